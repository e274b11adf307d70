//! Event subscriptions: a receiver per subscriber over a bounded broadcast
//! channel, so a slow subscriber loses events (and is told how many)
//! instead of holding memory or delaying replies.

use std::sync::Arc;
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::sync::broadcast;

use super::Error;
use crate::{EventMessage, EventSet, Timestamp};

/// What travels on the broadcast channel.
pub(crate) type EventItem<E> = Result<Arc<EventMessage<E>>, Arc<UndecodedEvent>>;

/// An event whose data the schema's [`EventSet::decode`] rejected (a known
/// event with data that does not match its type).
#[derive(Debug)]
pub struct UndecodedEvent {
    /// The event's name.
    pub name: String,
    /// Its `data` member as sent.
    pub data: Option<Box<RawValue>>,
    /// When it happened.
    pub timestamp: Timestamp,
    /// Why it could not be decoded.
    pub error: String,
}

/// What a subscriber gets instead of an event.
#[derive(Clone, Debug, thiserror::Error)]
pub enum EventError {
    /// The subscriber did not keep up: this many events were dropped for it
    /// since its previous receive.  The next events follow.
    #[error("the subscriber fell behind and lost {0} events")]
    Lagged(u64),
    /// An event could not be decoded.
    #[error("cannot decode event {}: {}", .0.name, .0.error)]
    Undecodable(Arc<UndecodedEvent>),
}

/// A subscription to a client's events, from
/// [`Client::events`](super::Client::events).
///
/// Only events that arrive after the subscription are received.  Each
/// subscriber has its own bounded queue
/// ([`ClientBuilder::event_capacity`](super::ClientBuilder::event_capacity)):
/// a subscriber that falls behind loses the oldest events and gets
/// [`EventError::Lagged`] with their count, then the following events.
pub struct Events<E> {
    rx: broadcast::Receiver<EventItem<E>>,
    lagged: u64,
}

impl<E: EventSet> Events<E> {
    pub(crate) fn new(rx: broadcast::Receiver<EventItem<E>>) -> Self {
        Events { rx, lagged: 0 }
    }

    /// The next event; `None` once the connection is closed and every
    /// event received before has been taken.
    pub async fn recv(&mut self) -> Option<Result<Arc<EventMessage<E>>, EventError>> {
        match self.rx.recv().await {
            Ok(item) => Some(self.item(item)),
            Err(broadcast::error::RecvError::Lagged(n)) => Some(Err(self.lag(n))),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next event if one is queued, without waiting: `None` when none is
    /// queued or the connection is closed.
    pub fn try_recv(&mut self) -> Option<Result<Arc<EventMessage<E>>, EventError>> {
        match self.rx.try_recv() {
            Ok(item) => Some(self.item(item)),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Err(self.lag(n))),
            Err(_) => None,
        }
    }

    /// Waits at most `timeout` for the first event that `accept` takes,
    /// skipping the others; undecodable events are skipped too, and events
    /// lost because this subscriber fell behind count in
    /// [`Events::lagged`].  Fails with [`Error::Timeout`], or with
    /// [`Error::Disconnected`] when the connection closes first.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use qapi_types::client::{Client, Error};
    /// # async fn demo<E: qapi_types::EventSet>(client: Client<E>) -> Result<(), Error> {
    /// let mut events = client.events();
    /// // ... send what makes QEMU emit it, then:
    /// let shutdown = events
    ///     .wait_for(Duration::from_secs(5), |e| e.name() == "SHUTDOWN")
    ///     .await?;
    /// println!("at {:?}", shutdown.timestamp);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        mut accept: impl FnMut(&E) -> bool,
    ) -> Result<Arc<EventMessage<E>>, Error> {
        let wait = async {
            loop {
                match self.recv().await {
                    Some(Ok(m)) if accept(&m.event) => return Ok(m),
                    Some(_) => {}
                    None => return Err(Error::Disconnected),
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or(Err(Error::Timeout(timeout)))
    }

    /// How many events this subscriber has lost so far.
    pub fn lagged(&self) -> u64 {
        self.lagged
    }

    fn item(&self, item: EventItem<E>) -> Result<Arc<EventMessage<E>>, EventError> {
        item.map_err(EventError::Undecodable)
    }

    fn lag(&mut self, n: u64) -> EventError {
        self.lagged += n;
        EventError::Lagged(n)
    }
}

impl<E> std::fmt::Debug for Events<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("queued", &self.rx.len())
            .field("lagged", &self.lagged)
            .finish()
    }
}
