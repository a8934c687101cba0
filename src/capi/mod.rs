//! The C ABI: thin `extern "C"` wrappers over the Rust API, all through one boundary
//! (`boundary::boundary`). cbindgen reads this directory only and writes `firecrest.h`, so every
//! export is written out by hand (no macros, which cbindgen cannot see) and its doc comment is
//! addressed to C readers.

#![allow(non_camel_case_types)]
// the C names are the contract
// Every export has the same safety contract, stated once in the header's preamble: pointers are
// NULL or valid for their documented use, handles come from this library and are not used after
// `_free`. Repeating it as a `# Safety` section would put it before every C declaration.
#![allow(clippy::missing_safety_doc)]

pub mod auth;
pub mod boundary;
pub mod client;
pub mod files;
pub mod json;
pub mod options;
pub mod strings;
pub mod transfers;

pub use self::auth::firecrest_auth;
pub use self::boundary::firecrest_status;
pub use self::client::firecrest_client;
pub use self::options::firecrest_options;
pub use self::transfers::firecrest_transfer;
