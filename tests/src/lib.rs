//! Tests of the public path: conformance suites over QEMU's schemas, and
//! bindings generated the way a user generates them.
//!
//! The conformance suites (`tests/qemu_suite.rs`, `tests/real_schemas.rs`,
//! `tests/colo.rs`) read QEMU's schemas from the shared directory; [`shared`]
//! finds it and says when it is absent.  [`bindings`] holds generated code
//! that must compile without warnings.  The end-to-end tests
//! (`tests/real_qemu.rs`) and the runtime benchmarks (`benches/runtime.rs`)
//! start real QEMU processes with [`peers`] and check replies with [`json`].

#![deny(warnings)]

pub mod bindings;
pub mod json;
pub mod peers;
pub mod replies;
pub mod shared;
