//! Blocking FirecREST client for C, Fortran and Rust programs on HPC systems.
//!
//! One [`Client`] serves FirecREST v1 and v2. Files move in and out through the staging area
//! with [`Transfer`], followed by polling the v1 status integers (110–118). The C ABI lives in
//! `capi` (header `include/firecrest.h`), the Fortran module in `include/firecrest.f90`, and a
//! local FirecREST emulator in the `firecrest-emulator` crate of this workspace.
//!
//! ```
//! use firecrest::{transfers, Auth, Client, ListOptions, Options};
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
//! let status = t.wait(transfers::DOWNLOAD_READY, Duration::from_secs(30))?;
//! assert_eq!(status, transfers::DOWNLOAD_READY);
//! let mut bytes = Vec::new();
//! t.finish_download_to(&mut bytes)?;
//! assert_eq!(bytes, b"hello\n");
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod capi;
pub mod client;
pub mod error;
pub mod transfers;
mod transport;
pub mod types;
mod v1;
mod v2;

pub use auth::{Auth, ClientAuthMethod, TokenProvider};
pub use client::{Client, Options};
pub use error::{Error, ErrorKind, Result};
pub use transfers::{Direction, ExternalDownload, ExternalUpload, ProgressFn, Transfer};
pub use types::*;
