//! What one connection holds for its client until the writer writes it:
//! replies and events in one queue bounded in messages and bytes.
//!
//! A reply waits for room (and with it the command that produced it, the
//! in-band queue behind it and, once that is full, the reading of the
//! client's input: QEMU's behaviour towards a client that does not read).
//! An event never waits: when it does not fit, it is dropped for that
//! client and counted.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tracing::warn;

/// How much output one connection may hold queued.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Messages (replies and events).
    pub messages: usize,
    /// Bytes of those messages.
    pub bytes: usize,
    /// Events among the messages.
    pub events: usize,
}

/// One message, CRLF included.
enum Line {
    Reply(String),
    Event(Arc<str>),
}

impl Line {
    fn bytes(&self) -> &[u8] {
        match self {
            Line::Reply(s) => s.as_bytes(),
            Line::Event(s) => s.as_bytes(),
        }
    }
}

#[derive(Default)]
struct Queue {
    lines: VecDeque<Line>,
    bytes: usize,
    events: usize,
    closed: bool,
    /// Events dropped since the last one that fitted.
    dropped: u64,
}

impl Queue {
    /// Whether a message of `len` bytes fits.  Into an empty queue
    /// anything fits, so that a reply larger than the byte limit still
    /// goes out, alone.
    fn fits(&self, limits: &Limits, len: usize) -> bool {
        self.lines.is_empty()
            || (self.lines.len() < limits.messages && self.bytes + len <= limits.bytes)
    }

    fn push(&mut self, line: Line) {
        self.bytes += line.bytes().len();
        if matches!(line, Line::Event(_)) {
            self.events += 1;
        }
        self.lines.push_back(line);
    }
}

/// A connection's output queue, shared by the producers (the in-band
/// executor, out-of-band tasks, the server's event sender) and the writer.
pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    limits: Limits,
    /// Something was queued, or the outbox closed: wakes the writer.
    filled: Notify,
    /// The writer took messages out, or the outbox closed: wakes producers.
    drained: Notify,
}

impl Outbox {
    pub(crate) fn new(limits: Limits) -> Self {
        Outbox {
            queue: Mutex::new(Queue::default()),
            limits,
            filled: Notify::new(),
            drained: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while the lock is held leaves a consistent queue.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a reply, waiting for room; `false` when the connection is
    /// closing and the reply was discarded.
    pub(crate) async fn reply(&self, line: String) -> bool {
        loop {
            let drained = self.drained.notified();
            tokio::pin!(drained);
            drained.as_mut().enable();
            {
                let mut q = self.lock();
                if q.closed {
                    return false;
                }
                if q.fits(&self.limits, line.len()) {
                    q.push(Line::Reply(line));
                    drop(q);
                    self.filled.notify_one();
                    return true;
                }
            }
            drained.await;
        }
    }

    /// Queues an event if it fits; otherwise drops it for this client and
    /// counts it.  `true` when queued.
    pub(crate) fn event(&self, line: &Arc<str>) -> bool {
        let mut q = self.lock();
        if q.closed {
            return false;
        }
        if q.events >= self.limits.events || !q.fits(&self.limits, line.len()) {
            q.dropped += 1;
            if q.dropped == 1 {
                warn!("client too slow: dropping events");
            }
            return false;
        }
        if q.dropped > 0 {
            warn!(lost = q.dropped, "client too slow: events were dropped");
            q.dropped = 0;
        }
        q.push(Line::Event(line.clone()));
        drop(q);
        self.filled.notify_one();
        true
    }

    /// Moves queued messages into `buf` (at least one, then as many as fit
    /// in `max` bytes), waiting for one; `false` once the outbox is closed.
    pub(crate) async fn take(&self, buf: &mut Vec<u8>, max: usize) -> bool {
        loop {
            let filled = self.filled.notified();
            tokio::pin!(filled);
            filled.as_mut().enable();
            {
                let mut q = self.lock();
                if q.closed {
                    return false;
                }
                if !q.lines.is_empty() {
                    while let Some(line) = q.lines.front() {
                        let len = line.bytes().len();
                        if !buf.is_empty() && buf.len() + len > max {
                            break;
                        }
                        buf.extend_from_slice(line.bytes());
                        q.bytes -= len;
                        if let Some(Line::Event(_)) = q.lines.pop_front() {
                            q.events -= 1;
                        }
                    }
                    if q.lines.is_empty() {
                        // Give back what a burst made the queue grow to.
                        q.lines = VecDeque::new();
                    }
                    drop(q);
                    self.drained.notify_waiters();
                    return true;
                }
            }
            filled.await;
        }
    }

    /// Whether the connection is closing.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Closes the outbox: queued messages are dropped, waiting producers
    /// and the writer return.
    pub(crate) fn close(&self) {
        let mut q = self.lock();
        q.closed = true;
        q.lines = VecDeque::new();
        q.bytes = 0;
        q.events = 0;
        drop(q);
        self.filled.notify_one();
        self.drained.notify_waiters();
    }
}

/// The connections that have negotiated capabilities, which receive the
/// server's events, by connection number.
#[derive(Default)]
pub(crate) struct Subscribers {
    map: Mutex<HashMap<u64, Arc<Outbox>>>,
}

impl Subscribers {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Outbox>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connection, unless it is closing: checked under the lock,
    /// so that a connection that closes (then is removed) at the same time
    /// is not left behind.
    pub(crate) fn insert(&self, id: u64, outbox: Arc<Outbox>) {
        let mut map = self.lock();
        if !outbox.is_closed() {
            map.insert(id, outbox);
        }
    }

    pub(crate) fn remove(&self, id: u64) {
        let mut map = self.lock();
        map.remove(&id);
        if map.is_empty() {
            // Give back what a crowd of clients made the table grow to.
            *map = HashMap::new();
        }
    }

    /// Queues an event for every subscriber it fits; returns for how many.
    pub(crate) fn send(&self, line: &Arc<str>) -> usize {
        self.lock().values().filter(|o| o.event(line)).count()
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(messages: usize, bytes: usize, events: usize) -> Limits {
        Limits {
            messages,
            bytes,
            events,
        }
    }

    #[tokio::test]
    async fn replies_wait_for_room_and_events_are_dropped() {
        let out = Arc::new(Outbox::new(limits(2, 1000, 1)));
        assert!(out.reply("a\r\n".into()).await);
        let ev: Arc<str> = "e\r\n".into();
        assert!(out.event(&ev));
        // Full: two messages.  The event is dropped, the reply waits.
        assert!(!out.event(&ev));
        let waiting = tokio::spawn({
            let out = out.clone();
            async move { out.reply("b\r\n".into()).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let mut buf = Vec::new();
        assert!(out.take(&mut buf, 1 << 20).await);
        assert_eq!(buf, b"a\r\ne\r\n");
        assert!(waiting.await.unwrap());
        buf.clear();
        assert!(out.take(&mut buf, 1 << 20).await);
        assert_eq!(buf, b"b\r\n");
    }

    #[tokio::test]
    async fn bytes_limit_and_oversized_replies() {
        let out = Outbox::new(limits(100, 10, 100));
        // Larger than the limit, but alone: it goes.
        assert!(out.reply("x".repeat(50)).await);
        let ev: Arc<str> = "e\r\n".into();
        assert!(!out.event(&ev));
        let mut buf = Vec::new();
        assert!(out.take(&mut buf, 4).await);
        assert_eq!(buf.len(), 50);
        assert!(out.event(&ev));
        assert!(out.event(&ev));
        assert!(out.event(&ev));
        // 9 bytes queued: a fourth does not fit in 10.
        assert!(!out.event(&ev));
        buf.clear();
        // `max` 4: one message per take.
        assert!(out.take(&mut buf, 4).await);
        assert_eq!(buf, b"e\r\n");
    }

    #[tokio::test]
    async fn closing_releases_producers_and_writer() {
        let out = Arc::new(Outbox::new(limits(1, 100, 1)));
        assert!(out.reply("a".into()).await);
        let waiting = tokio::spawn({
            let out = out.clone();
            async move { out.reply("b".into()).await }
        });
        tokio::task::yield_now().await;
        out.close();
        assert!(!waiting.await.unwrap());
        let mut buf = Vec::new();
        assert!(!out.take(&mut buf, 10).await);
        assert!(!out.event(&"e".into()));
    }
}
