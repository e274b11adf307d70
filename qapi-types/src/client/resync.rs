//! Resynchronising a guest-agent connection with `guest-sync-delimited`.
//!
//! The client sends a 0xFF byte (the agent then drops any partial input)
//! and `guest-sync-delimited` with a random number.  From then on the
//! reader discards everything up to a 0xFF, and accepts only the reply
//! that carries the number; calls sent before are abandoned
//! ([`Error::Resync`]).  QMP connections never resynchronise, and their
//! reader never takes the lock for it.

use tracing::{debug, trace};

use super::conn::{Mode, Pending, ReplyBody, Shared, lock};
use super::error::Error;
use crate::EventSet;
use crate::wire::Incoming;

/// A resynchronisation under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Resync {
    /// The random number sent to `guest-sync-delimited`.
    pub value: i64,
    /// The id of its request.
    pub id: u64,
}

impl<E: EventSet> Shared<E> {
    /// The resynchronisation under way, if any.
    pub(super) fn resync_state(&self) -> Option<Resync> {
        if self.mode != Mode::Qga {
            return None;
        }
        lock(&self.state).resync
    }

    /// Starts a resynchronisation: everything sent before its request is
    /// abandoned.
    pub(super) fn begin_resync(&self, rs: Resync) {
        let abandoned: Vec<Pending> = {
            let mut st = lock(&self.state);
            st.resync = Some(rs);
            let ids: Vec<u64> = st
                .pending
                .keys()
                .copied()
                .filter(|&id| id < rs.id)
                .collect();
            ids.iter().filter_map(|id| st.pending.remove(id)).collect()
        };
        for p in abandoned {
            let _ = p.tx.send(Err(Error::Resync));
        }
    }

    /// Completes the resynchronisation when `line` (what follows a 0xFF) is
    /// the reply carrying our number.
    pub(super) fn try_finish_resync(&self, rs: Resync, line: &[u8]) {
        let Ok(text) = std::str::from_utf8(line) else {
            trace!("discarding undecodable data after the sync delimiter");
            return;
        };
        let Ok(msg) = serde_json::from_str::<Incoming<'_>>(text) else {
            trace!("discarding malformed data after the sync delimiter");
            return;
        };
        let Some(ret) = msg.ret else {
            trace!("discarding a non-reply after the sync delimiter");
            return;
        };
        if ret.get().trim().parse::<i64>().ok() != Some(rs.value) {
            debug!(
                got = ret.get(),
                "discarding a stale guest-sync-delimited reply"
            );
            return;
        }
        let pending = {
            let mut st = lock(&self.state);
            if st.resync != Some(rs) {
                return;
            }
            st.resync = None;
            st.pending.remove(&rs.id)
        };
        debug!(value = rs.value, "guest agent resynchronised");
        if let Some(p) = pending {
            let _ = p.tx.send(Ok(ReplyBody::copy(ret.get())));
        }
    }
}

#[cfg(feature = "qga")]
impl<E: EventSet> super::conn::Conn<E> {
    /// Resynchronises a guest-agent connection, within `timeout`.
    pub(crate) async fn resync(&self, timeout: Option<std::time::Duration>) -> Result<(), Error> {
        use super::conn::{Awaits, request_prefix, with_timeout};
        use super::transport::Fds;
        use tokio::sync::oneshot;
        use tracing::Instrument;

        let value = random_sync_value();
        let span = self.span.clone();
        with_timeout(timeout, async {
            let permit = self.acquire().await?;
            // A leading 0xFF makes the agent drop any partial input.
            let mut bytes = vec![0xFF];
            let args = format!("{{\"id\":{value}}}");
            bytes.extend(request_prefix("guest-sync-delimited", false, Some(&args)));
            let (tx, rx) = oneshot::channel();
            let pending = Pending {
                tx,
                _permit: Some(permit),
            };
            let id = self.submit(bytes, Fds::new(), Awaits::Resync(pending, value))?;
            debug!(id, value, "guest-sync-delimited queued");
            self.outcome(rx).await.map(|_| ())
        })
        .instrument(span)
        .await
    }
}

/// A random positive number for `guest-sync-delimited`.
#[cfg(feature = "qga")]
fn random_sync_value() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(now);
    (h.finish() >> 1) as i64
}
