//! Blocking FirecREST client for C, Fortran and Rust programs on HPC systems.
//!
//! One [`Client`] serves FirecREST v1 and v2. Files move in and out through the staging area
//! with [`Transfer`], followed by polling the v1 status integers (110–118). The C ABI lives in
//! `capi` (header `include/firecrest.h`), the Fortran module in `include/firecrest.f90`, and a
//! local FirecREST emulator in `emulator` (cargo feature `emulator`).

pub mod auth;
pub mod capi;
pub mod client;
pub mod error;
pub mod transfers;
mod transport;
pub mod types;
mod v1;
mod v2;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use auth::{Auth, ClientAuthMethod, TokenProvider};
pub use client::{Client, Options};
pub use error::{Error, ErrorKind, Result};
pub use transfers::{Direction, ExternalDownload, ExternalUpload, ProgressFn, Transfer};
pub use types::*;
