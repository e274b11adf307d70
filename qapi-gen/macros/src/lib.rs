//! QAPI bindings generated at compile time.
