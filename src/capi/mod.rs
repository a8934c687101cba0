//! The C ABI: thin `extern "C"` wrappers over the Rust API, all through one boundary
//! (`boundary::boundary`). Private to the crate: C reaches it through the exported symbols,
//! Rust users through the Rust API it wraps. cbindgen reads this directory only and writes `firecrest.h`, so every
//! export is written out by hand (no macros, which cbindgen cannot see) and its doc comment is
//! addressed to C readers.

// The C names are the contract.
#![allow(non_camel_case_types)]
// Every export has the same safety contract, stated once in the header's preamble: pointers are
// NULL or valid for their documented use, handles come from this library and are not used after
// `_free`. Repeating it as a `# Safety` section would put it before every C declaration.
#![allow(clippy::missing_safety_doc)]

pub mod auth;
pub mod boundary;
pub mod client;
pub mod debug;
pub mod dirs;
pub mod files;
pub mod jobs;
pub mod json;
mod jsonbuild;
mod jsondoc;
pub mod options;
pub mod stream;
pub mod strings;
pub mod transfers;

#[cfg(test)]
mod tests {
    use super::auth::firecrest_auth;
    use super::client::firecrest_client;
    use super::jobs::{firecrest_job, firecrest_job_options};
    use super::options::firecrest_options;
    use super::transfers::firecrest_transfer;

    /// The header promises that clients and auth objects may be shared between threads and
    /// that options and transfers may move between them.
    #[test]
    fn handles_are_send_and_sync_as_documented() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<firecrest_client>();
        send_sync::<firecrest_auth>();
        send::<firecrest_options>();
        send::<firecrest_transfer>();
        send::<firecrest_job>();
        send::<firecrest_job_options>();
    }
}
