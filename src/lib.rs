//! Blocking FirecREST client for C, Fortran and Rust programs on HPC systems.
//!
//! One [`Client`] serves FirecREST v1 and v2. Files move in and out through the staging area
//! with [`Transfer`], followed by polling its [`TransferState`] (v1's status integers 110–118).
//! The same library exports a C ABI (header `include/firecrest.h`; a Fortran module in
//! `include/firecrest.f90`); a local FirecREST emulator to test against is the
//! `firecrest-emulator` crate of this workspace.
//!
//! ```
//! use firecrest::{Auth, Client, ListOptions, Options, TransferState};
//! use firecrest_emulator::{Config, Emulator};
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A local FirecREST (v1 here; `api: ApiVersion::V2` for v2) — or a real one's URLs.
//! let emu = Emulator::start(Config::default())?;
//! let auth = Auth::client_credentials(emu.client_id(), emu.client_secret(), emu.token_url());
//! let client = Client::new(&emu.url(), auth, Options::default())?;
//! let (system, home) = (emu.system(), emu.home());
//!
//! for s in client.all_systems()? {
//!     println!("{}: {}", s.system, s.status);
//! }
//! client.simple_upload_bytes(&system, b"hello\n", &home, "hello.txt")?;
//! let names: Vec<String> = client
//!     .list_files(&system, &home, ListOptions::default())?
//!     .into_iter()
//!     .map(|e| e.name)
//!     .collect();
//! assert!(names.contains(&"hello.txt".to_string()));
//!
//! // A staged download, followed by polling the status integers.
//! let mut t = client.external_download(&system, &format!("{home}/hello.txt"))?;
//! let state = t.wait(TransferState::DownloadReady, Duration::from_secs(30))?;
//! assert_eq!(state, TransferState::DownloadReady);
//! let mut bytes = Vec::new();
//! t.finish_download_to(&mut bytes)?;
//! assert_eq!(bytes, b"hello\n");
//! # Ok(())
//! # }
//! ```

// Only the C layer needs `unsafe` (raw pointers from C); every other room forbids it.
#[forbid(unsafe_code)]
mod api;
#[forbid(unsafe_code)]
mod archive;
#[forbid(unsafe_code)]
pub mod auth;
mod capi;
#[forbid(unsafe_code)]
pub mod client;
#[forbid(unsafe_code)]
pub mod error;
#[forbid(unsafe_code)]
pub mod jobs;
#[forbid(unsafe_code)]
mod logging;
#[forbid(unsafe_code)]
pub mod options;
#[forbid(unsafe_code)]
mod session;
// Ending a token command's process group (libc::killpg) is its one unsafe call.
mod sys;
#[forbid(unsafe_code)]
pub mod transfers;
#[forbid(unsafe_code)]
mod transport;
#[forbid(unsafe_code)]
pub mod types;
#[forbid(unsafe_code)]
mod v1;
#[forbid(unsafe_code)]
mod v2;

#[cfg(test)]
mod properties;

pub use auth::{Auth, ClientAuthMethod, TokenProvider};
pub use client::{with_correlation_id, Client};
pub use error::{Error, ErrorKind, Result};
pub use jobs::Job;
pub use options::Options;
pub use transfers::{
    Direction, ExternalDownload, ExternalUpload, ProgressFn, Transfer, TransferState,
};
pub use types::*;
