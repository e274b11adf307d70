//! Tests of the public path.
//!
//! The conformance suites (`tests/qemu_suite.rs`, `tests/real_schemas.rs`,
//! `tests/colo.rs`) read QEMU's schemas from the shared directory; [`shared`]
//! finds it and says when it is absent.

pub mod shared;
