//! The C ABI: thin `extern "C"` wrappers over the Rust API, all through one boundary.
