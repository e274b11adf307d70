//! The two halves of a client connection: a line reader with a size limit
//! and QGA's delimiter skipping, and a writer that can attach file
//! descriptors on Unix sockets.

use std::io;
use std::pin::Pin;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// File descriptors travelling with a request.
#[cfg(unix)]
pub(crate) type Fds = Vec<std::os::fd::OwnedFd>;
/// File descriptors travelling with a request (none off Unix).
#[cfg(not(unix))]
pub(crate) type Fds = Vec<std::convert::Infallible>;

type BoxRead = Pin<Box<dyn AsyncRead + Send>>;
type BoxWrite = Pin<Box<dyn AsyncWrite + Send>>;

/// Splits a stream into the reader and writer halves of a connection.
pub(crate) fn split_stream<S>(stream: S, max_message_size: usize) -> (LineReader, WriteHalf)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (r, w) = tokio::io::split(stream);
    (
        LineReader::new(Box::pin(r), max_message_size),
        WriteHalf::Other(Box::pin(w)),
    )
}

/// Splits a Unix stream, keeping the socket for file-descriptor passing.
#[cfg(unix)]
pub(crate) fn split_unix(
    stream: tokio::net::UnixStream,
    max_message_size: usize,
) -> (LineReader, WriteHalf) {
    let (r, w) = stream.into_split();
    (
        LineReader::new(Box::pin(r), max_message_size),
        WriteHalf::Unix(w),
    )
}

/// Splits a TCP stream.
pub(crate) fn split_tcp(
    stream: tokio::net::TcpStream,
    max_message_size: usize,
) -> (LineReader, WriteHalf) {
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    (
        LineReader::new(Box::pin(r), max_message_size),
        WriteHalf::Other(Box::pin(w)),
    )
}

/// What [`LineReader::read_line`] found.
pub(crate) enum ReadLine {
    /// A complete line (with its `\n`) is in the reader's buffer.
    Line,
    /// The peer closed the connection (possibly in the middle of a line).
    Eof,
    /// The line exceeds the size limit; what was read of it is discarded.
    TooLong,
}

/// Reads newline-terminated messages.
pub(crate) struct LineReader {
    inner: BufReader<BoxRead>,
    /// The last line read.
    pub(crate) buf: Vec<u8>,
    max: usize,
}

impl LineReader {
    fn new(r: BoxRead, max: usize) -> Self {
        LineReader {
            inner: BufReader::with_capacity(64 * 1024, r),
            buf: Vec::new(),
            max,
        }
    }

    /// Reads the next line into `self.buf`.
    pub(crate) async fn read_line(&mut self) -> io::Result<ReadLine> {
        self.buf.clear();
        if self.buf.capacity() > 1024 * 1024 {
            // Do not keep a huge buffer around after a huge message.
            self.buf = Vec::new();
        }
        let limit = (self.max as u64).saturating_add(2); // room for "\r\n"
        let n = (&mut self.inner)
            .take(limit)
            .read_until(b'\n', &mut self.buf)
            .await?;
        if n == 0 {
            return Ok(ReadLine::Eof);
        }
        if self.buf.last() != Some(&b'\n') {
            if self.buf.len() as u64 >= limit {
                self.buf.clear();
                return Ok(ReadLine::TooLong);
            }
            return Ok(ReadLine::Eof);
        }
        Ok(ReadLine::Line)
    }

    /// Discards input up to and including the next `byte`; `false` at the
    /// end of the stream.
    pub(crate) async fn skip_past(&mut self, byte: u8) -> io::Result<bool> {
        loop {
            let buf = self.inner.fill_buf().await?;
            if buf.is_empty() {
                return Ok(false);
            }
            match buf.iter().position(|&b| b == byte) {
                Some(i) => {
                    self.inner.consume(i + 1);
                    return Ok(true);
                }
                None => {
                    let n = buf.len();
                    self.inner.consume(n);
                }
            }
        }
    }
}

/// The writing half of a connection.
pub(crate) enum WriteHalf {
    /// A Unix socket: file descriptors can travel with a message.
    #[cfg(unix)]
    Unix(tokio::net::unix::OwnedWriteHalf),
    /// Any other stream.
    Other(BoxWrite),
}

impl WriteHalf {
    /// Whether [`WriteHalf::write_frame`] can send file descriptors.
    pub(crate) fn can_pass_fds(&self) -> bool {
        match self {
            #[cfg(unix)]
            WriteHalf::Unix(_) => super::scm::SUPPORTED,
            WriteHalf::Other(_) => false,
        }
    }

    /// Writes one message, with `fds` attached to its first byte.
    pub(crate) async fn write_frame(&mut self, bytes: &[u8], fds: &Fds) -> io::Result<()> {
        match self {
            #[cfg(unix)]
            WriteHalf::Unix(w) => {
                let mut done = 0;
                if !fds.is_empty() {
                    done = send_with_fds(w, bytes, fds).await?;
                }
                w.write_all(&bytes[done..]).await?;
                w.flush().await
            }
            WriteHalf::Other(w) => {
                if !fds.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "file descriptors need a Unix socket",
                    ));
                }
                w.write_all(bytes).await?;
                w.flush().await
            }
        }
    }

    /// Shuts the writing direction down.
    pub(crate) async fn shutdown(&mut self) {
        let _ = match self {
            #[cfg(unix)]
            WriteHalf::Unix(w) => w.shutdown().await,
            WriteHalf::Other(w) => w.shutdown().await,
        };
    }
}

/// Sends the start of `bytes` with `fds` as SCM_RIGHTS; returns how many
/// bytes went out.
#[cfg(unix)]
async fn send_with_fds(
    w: &tokio::net::unix::OwnedWriteHalf,
    bytes: &[u8],
    fds: &Fds,
) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let sock: &tokio::net::UnixStream = w.as_ref();
    loop {
        sock.writable().await?;
        match sock.try_io(tokio::io::Interest::WRITABLE, || {
            super::scm::send_with_fds(sock.as_raw_fd(), bytes, fds)
        }) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
