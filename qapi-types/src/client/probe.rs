//! Probing: what the connected server has, from its own schema, read once
//! per connection.

use std::sync::Arc;

use super::transport::Fds;
use super::{Call, Client, Error, decode_reply};
use crate::introspect::{PathError, Schema};
use crate::{Command, Event, EventSet, VersionTriple};

/// The command a probe runs.
const QUERY: &str = "query-qmp-schema";

/// What a probed server has: its schema, as `query-qmp-schema` reported it,
/// and its version, from the greeting.
///
/// ```
/// use qapi_types::client::Capabilities;
/// use qapi_types::introspect::Schema;
/// use qapi_types::{Command, Empty, VersionTriple};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Stop {}
/// impl Command for Stop {
///     const NAME: &'static str = "stop";
///     type Returns = Empty;
/// }
///
/// let schema: Schema = qapi_types::serde_json::from_str(r#"[
///     {"name": "stop", "meta-type": "command", "arg-type": "0", "ret-type": "0"},
///     {"name": "0", "meta-type": "object", "members": []}
/// ]"#)?;
/// let version = VersionTriple { major: 7, minor: 2, micro: 0 };
/// let caps = Capabilities::new(schema, version);
/// assert!(caps.has_command::<Stop>());
/// assert_eq!(caps.has_argument::<Stop>("force"), Ok(false));
/// assert_eq!(caps.version().to_string(), "7.2.0");
/// # Ok::<(), qapi_types::serde_json::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Capabilities {
    schema: Schema,
    version: VersionTriple,
}

impl Capabilities {
    /// The capabilities of a server of `version` whose schema is `schema`
    /// ([`Client::probe`] builds them; this is for tests and for schemas
    /// read some other way).
    pub fn new(schema: Schema, version: VersionTriple) -> Self {
        Capabilities { schema, version }
    }

    /// The server's schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The server's QEMU version, from its greeting.
    pub fn version(&self) -> VersionTriple {
        self.version
    }

    /// Whether the server has the command `C`.
    pub fn has_command<C: Command>(&self) -> bool {
        self.schema.has_command(C::NAME)
    }

    /// Whether the server may send the event `E`.
    pub fn has_event<E: Event>(&self) -> bool {
        self.schema.has_event(E::NAME)
    }

    /// A path query ([`Schema::has`]) inside the arguments of `C`:
    /// `has_argument::<BlockdevAdd>("+file/drop-cache")` asks
    /// `blockdev-add/arg-type/+file/drop-cache`.
    pub fn has_argument<C: Command>(&self, path: &str) -> Result<bool, PathError> {
        self.schema.has(&format!("{}/arg-type/{path}", C::NAME))
    }

    /// Any path query: see [`Schema::has`] for the syntax.
    pub fn has(&self, path: &str) -> Result<bool, PathError> {
        self.schema.has(path)
    }

    /// `Err` when the server lacks the command `name`.
    pub(crate) fn check(&self, name: &str) -> Result<(), Error> {
        if self.schema.has_command(name) {
            Ok(())
        } else {
            Err(Error::NotSupported {
                command: name.to_owned(),
                version: self.version,
            })
        }
    }
}

impl<E: EventSet> Client<E> {
    /// What the server has: reads its schema with `query-qmp-schema` (within
    /// the default call timeout) the first time, and returns the same
    /// answer afterwards.  Callers that probe at once share one request;
    /// clones of the client share the answer.
    ///
    /// Once probed, [`Client::execute`] and its variants (and so the
    /// generated typed methods) fail at once with [`Error::NotSupported`]
    /// for a command the server lacks, without sending anything.
    /// [`Client::execute_raw`] sends what it is given regardless.
    ///
    /// A failed probe (an error reply, a reply that is not a schema, a
    /// closed connection) returns the error and leaves the connection
    /// unprobed; a later call tries again.
    ///
    /// ```no_run
    /// # use qapi_types::client::{Client, Error};
    /// # async fn demo<E: qapi_types::EventSet>(client: Client<E>) -> Result<(), Error> {
    /// let caps = client.probe().await?;
    /// if caps.has("blockdev-add/arg-type/+file/aio/^io_uring") == Ok(true) {
    ///     // ...
    /// }
    /// println!("QEMU {}", caps.version());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn probe(&self) -> Result<Arc<Capabilities>, Error> {
        let timeout = self.conn.config.timeout;
        self.probed
            .get_or_try_init(|| async {
                let call = Call {
                    name: QUERY,
                    args: None,
                    oob: false,
                    reply: true,
                    fds: Fds::new(),
                };
                let schema: Schema = decode_reply(QUERY, self.conn.call(call, timeout).await?)?;
                tracing::debug!(entities = schema.entities().len(), "server schema probed");
                Ok(Arc::new(Capabilities::new(
                    schema,
                    self.greeting().version.qemu,
                )))
            })
            .await
            .cloned()
    }

    /// The answer of [`Client::probe`], if the connection was probed.
    pub fn capabilities(&self) -> Option<Arc<Capabilities>> {
        self.probed.get().cloned()
    }
}
