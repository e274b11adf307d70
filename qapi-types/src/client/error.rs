//! The error type of the QMP and QGA clients.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::{QmpError, VersionTriple};

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error reply.  The class is kept as sent:
    /// known classes as their [`ErrorClass`](crate::ErrorClass) variant,
    /// newer ones as [`ErrorClass::Other`](crate::ErrorClass::Other).
    #[error("QMP error reply: {0}")]
    Qmp(#[from] QmpError),
    /// Reading from or writing to the connection failed.  Every call that
    /// was pending on the connection fails with the same error.
    #[error("I/O error: {0}")]
    Io(#[source] Arc<io::Error>),
    /// The peer broke the protocol: a malformed message, a reply to an id
    /// the client never sent, a message larger than the configured
    /// limit...  The connection is closed and every pending call
    /// fails with this error.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The connection is closed: the peer hung up (possibly in the middle
    /// of a message), or [`Client::close`](crate::client::Client::close)
    /// was called.
    #[error("disconnected")]
    Disconnected,
    /// No reply came within the call's timeout.  A reply that arrives
    /// later is discarded.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The reply could not be decoded into the command's return type.
    #[error("cannot decode the reply to {command}: {source}")]
    Decode {
        /// The command.
        command: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The command's arguments could not be serialized.
    #[error("cannot encode the arguments of {command}: {source}")]
    Encode {
        /// The command.
        command: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// A guest-agent resynchronisation
    /// ([`qga::Client::resync`](crate::qga::Client::resync)) started while
    /// this call was waiting for its reply: the reply, if any, was
    /// discarded with the rest of the stale data.
    #[error("abandoned by a guest-agent resynchronisation")]
    Resync,
    /// The operation is not possible on this connection, such as passing
    /// file descriptors over TCP.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// The server lacks this command, as its schema says: the connection
    /// was probed ([`Client::probe`](crate::client::Client::probe)) and
    /// the command is not in the reply.  Nothing was sent.
    #[error("'{command}' is unsupported by this server (QEMU {version})")]
    NotSupported {
        /// The command.
        command: String,
        /// The server's version, from its greeting.
        version: VersionTriple,
    },
}

impl Error {
    /// The QMP error reply, when this is one.
    pub fn qmp(&self) -> Option<&QmpError> {
        match self {
            Error::Qmp(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(Arc::new(e))
    }
}
