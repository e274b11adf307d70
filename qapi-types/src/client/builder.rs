//! One builder for both clients: settings they share, settings of QMP's
//! alone, and connecting over a Unix socket, TCP or any byte stream.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::ToSocketAddrs;

use super::conn::Config;
use super::transport::{self, LineReader, WriteHalf};
use super::{Client, Error};
use crate::EventSet;

/// The QMP protocol: [`ClientBuilder`]s for it connect a [`Client`].
#[derive(Clone, Copy, Debug)]
pub enum Qmp {}

/// The guest agent's protocol: [`ClientBuilder`]s for it connect a
/// [`qga::Client`](crate::qga::Client).
#[derive(Clone, Copy, Debug)]
pub enum Qga {}

/// Settings for connecting a client: the QMP [`Client`]
/// (`ClientBuilder::new()`) or, with `P` = [`Qga`], the guest agent's
/// (`qga::Client::builder()`).
///
/// ```no_run
/// # use std::time::Duration;
/// # use qapi_types::client::{Client, ClientBuilder, Error};
/// # async fn demo<E: qapi_types::EventSet>() -> Result<(), Error> {
/// let client: Client<E> = ClientBuilder::new()
///     .timeout(Duration::from_secs(5))
///     .connect_unix("/run/qemu/qmp.sock")
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ClientBuilder<P = Qmp> {
    pub(crate) config: Config,
    pub(crate) probe: bool,
    protocol: PhantomData<P>,
}

impl<P> Clone for ClientBuilder<P> {
    fn clone(&self) -> Self {
        ClientBuilder {
            config: self.config.clone(),
            probe: self.probe,
            protocol: PhantomData,
        }
    }
}

impl<P> Default for ClientBuilder<P> {
    /// The defaults: no call timeout, 10 s for the handshake, 8 in-band
    /// commands in flight, messages up to 256 MiB; for QMP, 1024 events
    /// per subscriber, `oob` enabled when offered, no probe.
    fn default() -> Self {
        ClientBuilder {
            config: Config::default(),
            probe: false,
            protocol: PhantomData,
        }
    }
}

impl ClientBuilder<Qmp> {
    /// Settings for a QMP client, the defaults: no call timeout, 10 s for
    /// the greeting and negotiation, 1024 events per subscriber, 8 in-band
    /// commands in flight, messages up to 256 MiB, `oob` enabled when
    /// offered, no probe.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many events each subscriber may have queued before it starts
    /// losing the oldest ones.
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.config.event_capacity = capacity.max(1);
        self
    }

    /// Whether to enable the `oob` capability when the server offers it
    /// (default: yes).
    pub fn oob(mut self, enable: bool) -> Self {
        self.config.oob = enable;
        self
    }

    /// Whether to [probe](Client::probe) the server right after
    /// negotiation (default: no), within the handshake timeout.  If the
    /// probe fails, so does connecting.
    pub fn probe(mut self, probe: bool) -> Self {
        self.probe = probe;
        self
    }
}

impl<P> ClientBuilder<P> {
    /// The timeout of every call that does not set its own (default:
    /// none, wait as long as it takes).  It covers waiting for an in-band
    /// slot too.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.timeout = timeout.into();
        self
    }

    /// The timeout of the handshake (default: 10 s): the greeting and
    /// capabilities negotiation for QMP, a resynchronisation for the guest
    /// agent.  `None` waits as long as it takes.
    pub fn handshake_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.handshake_timeout = timeout.into();
        self
    }

    /// How many in-band commands may await their reply at once (QEMU
    /// queues at most 8 and then stops reading, which would also hold up
    /// out-of-band commands).  Callers beyond that wait for a slot.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.config.max_in_flight = n.max(1);
        self
    }

    /// The longest message accepted from the server, in bytes; a longer
    /// one ends the connection with [`Error::Protocol`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = bytes;
        self
    }
}

/// Connecting: one set of methods, for each protocol and the client it
/// connects (a QMP [`Client`] for any set of events, or the guest agent's
/// client), on the builder and, with default settings, on the client.
macro_rules! connect {
    ($protocol:ty => $client:ty $(, $events:ident)?) => {
        impl$(<$events: EventSet>)? $client {
            /// Connects to a server listening on a Unix socket, with
            /// default settings (see [`ClientBuilder`] for others).
            #[cfg(unix)]
            pub async fn connect_unix(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
                ClientBuilder::<$protocol>::default().connect_unix(path).await
            }

            /// Connects to a server listening on TCP, with default settings.
            pub async fn connect_tcp(addr: impl ToSocketAddrs) -> Result<Self, Error> {
                ClientBuilder::<$protocol>::default().connect_tcp(addr).await
            }

            /// Speaks over any byte stream, with default settings.
            pub async fn connect<S>(stream: S) -> Result<Self, Error>
            where
                S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
            {
                ClientBuilder::<$protocol>::default().connect_stream(stream).await
            }
        }

        impl ClientBuilder<$protocol> {
            /// Connects to a server listening on a Unix socket.
            #[cfg(unix)]
            pub async fn connect_unix$(<$events: EventSet>)?(
                self,
                path: impl AsRef<std::path::Path>,
            ) -> Result<$client, Error> {
                let stream = tokio::net::UnixStream::connect(path).await?;
                self.connect_unix_stream(stream).await
            }

            /// Speaks over a connected Unix socket (file descriptors can be
            /// passed, see [`Client::execute_with_fds`]).
            #[cfg(unix)]
            pub async fn connect_unix_stream$(<$events: EventSet>)?(
                self,
                stream: tokio::net::UnixStream,
            ) -> Result<$client, Error> {
                let (reader, writer) = transport::split_unix(stream, self.config.max_message_size);
                <$client>::start(self, reader, writer).await
            }

            /// Connects to a server listening on TCP.
            pub async fn connect_tcp$(<$events: EventSet>)?(
                self,
                addr: impl ToSocketAddrs,
            ) -> Result<$client, Error> {
                let stream = tokio::net::TcpStream::connect(addr).await?;
                let (reader, writer) = transport::split_tcp(stream, self.config.max_message_size);
                <$client>::start(self, reader, writer).await
            }

            /// Speaks over any byte stream.
            pub async fn connect_stream<$($events: EventSet,)? S>(
                self,
                stream: S,
            ) -> Result<$client, Error>
            where
                S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
            {
                let (reader, writer) = transport::split_stream(stream, self.config.max_message_size);
                <$client>::start(self, reader, writer).await
            }
        }
    };
}

connect!(Qmp => Client<E>, E);
#[cfg(feature = "qga")]
connect!(Qga => crate::qga::Client);

/// Starts a protocol over a new connection: the greeting and negotiation,
/// or a resynchronisation.
pub(crate) trait Start<P>: Sized {
    fn start(
        builder: ClientBuilder<P>,
        reader: LineReader,
        writer: WriteHalf,
    ) -> impl Future<Output = Result<Self, Error>> + Send;
}

impl<E: EventSet> Start<Qmp> for Client<E> {
    fn start(
        builder: ClientBuilder<Qmp>,
        reader: LineReader,
        writer: WriteHalf,
    ) -> impl Future<Output = Result<Self, Error>> + Send {
        super::handshake(builder, reader, writer)
    }
}
