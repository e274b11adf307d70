//! Giving memory back to the system once a crowd of clients has left.
//!
//! Each connection allocates buffers and tasks from several threads.  With
//! glibc's allocator, what they free stays in its arenas, fragmented, and
//! the process keeps its peak size long after the clients left (the load
//! bench measured 31 MiB after 1000 clients had gone, against 3 MiB idle).
//! Asking glibc to trim (`malloc_trim`) once the number of connections has
//! fallen well below its peak brings it back near the idle figure.  Other
//! allocators (a `#[global_allocator]` such as mimalloc) manage this
//! themselves; the call is then cheap and harmless.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What the server does with memory freed when many clients leave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemoryRelease {
    /// Once the connections have fallen to a quarter of a peak of at least
    /// 64, and again when the last of them has gone, ask the allocator to
    /// return free memory to the system (glibc's `malloc_trim` on Linux;
    /// nothing elsewhere).
    #[default]
    AfterCrowds,
    /// Leave it to the allocator.
    Never,
}

/// The smallest peak of connections worth a release.
const CROWD: usize = 64;

/// Counts live connections and releases memory after crowds.
#[derive(Default)]
pub(crate) struct Census {
    live: AtomicUsize,
    /// The most connections since the last release.
    peak: AtomicUsize,
    /// A crowd left and some of it was still there at the last release:
    /// release again when the last connection goes.
    tail: AtomicBool,
    policy: MemoryRelease,
}

impl Census {
    pub(crate) fn new(policy: MemoryRelease) -> Self {
        Census {
            policy,
            ..Census::default()
        }
    }

    pub(crate) fn opened(&self) {
        let now = self.live.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    /// Called once a connection's resources are dropped.
    pub(crate) fn closed(&self) {
        let now = self.live.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
        if self.policy == MemoryRelease::Never {
            return;
        }
        let peak = self.peak.load(Ordering::Relaxed);
        let crowd_left = peak >= CROWD
            && now <= peak / 4
            && self
                .peak
                .compare_exchange(peak, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
        if crowd_left {
            self.tail.store(now > 0, Ordering::Relaxed);
        }
        let last_gone = now == 0 && self.tail.swap(false, Ordering::Relaxed);
        if crowd_left || last_gone {
            tracing::debug!(peak, now, "releasing free memory");
            // It walks the allocator's arenas: not on a worker thread.
            drop(tokio::task::spawn_blocking(release));
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: glibc's malloc_trim takes any padding, locks each arena
    // while it trims it, and only returns free pages to the system.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_release_needs_a_crowd_that_left() {
        let census = Census::new(MemoryRelease::AfterCrowds);
        for _ in 0..100 {
            census.opened();
        }
        for _ in 0..74 {
            census.closed();
        }
        // 26 left of 100: not yet.
        assert_eq!(census.peak.load(Ordering::Relaxed), 100);
        census.closed();
        // 25: released, and the peak starts again from there.
        assert_eq!(census.peak.load(Ordering::Relaxed), 25);
        assert!(census.tail.load(Ordering::Relaxed));
        for _ in 0..25 {
            census.closed();
        }
        // The last one gone: released again.
        assert_eq!(census.live.load(Ordering::Relaxed), 0);
        assert!(!census.tail.load(Ordering::Relaxed));
        // A few clients come and go: no release.
        for _ in 0..10 {
            census.opened();
        }
        for _ in 0..10 {
            census.closed();
        }
        assert!(!census.tail.load(Ordering::Relaxed));
        assert_eq!(census.peak.load(Ordering::Relaxed), 25);
    }
}
