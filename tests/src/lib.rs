//! Tests of the public path.
