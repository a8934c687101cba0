//! Which certificate authorities the client trusts, as curl decides it: the system's store
//! (`SSL_CERT_FILE` and `SSL_CERT_DIR` when set, otherwise the distribution's bundle, the macOS
//! keychain or the Windows store), where centres install their own CA, plus the user's
//! `ca_file`; or, with `ca_file_only`, that file alone. A machine with no store at all falls back
//! to the Mozilla roots built into the library, so that public servers still work there.

use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use std::path::Path;
use std::sync::Mutex;
use ureq::tls::{Certificate, RootCerts};

/// The roots to verify servers against, and how to name them in a certificate error.
pub(super) struct Trust {
    pub(super) roots: RootCerts,
    pub(super) described: String,
}

pub(super) fn trust(options: &Options) -> Result<Trust> {
    let extra = match &options.ca_file {
        Some(path) => Some((path, load_ca_file(path)?)),
        None if options.ca_file_only => {
            return Err(Error::invalid_argument(
                "ca_file_only is set but no ca_file is given: nothing would be trusted",
            ))
        }
        None => None,
    };
    if let (true, Some((path, certs))) = (options.ca_file_only, &extra) {
        return Ok(Trust {
            roots: RootCerts::new_with_certs(certs),
            described: format!("only ca_file {}", path.display()),
        });
    }
    let (mut roots, mut described) = system_roots();
    if let Some((path, certs)) = extra {
        roots.extend(certs);
        described = format!("{described} and ca_file {}", path.display());
    }
    Ok(Trust {
        roots: RootCerts::from(roots),
        described,
    })
}

/// The system's store as read by the last client made with the same `SSL_CERT_FILE` and
/// `SSL_CERT_DIR`: reading and decoding a distribution's bundle costs milliseconds, more than
/// the calls of a short-lived client, and a program may make a client per thread.
type StoreKey = [Option<std::ffi::OsString>; 2];
static SYSTEM_ROOTS: Mutex<Option<(StoreKey, Vec<Certificate<'static>>, String)>> =
    Mutex::new(None);

fn system_roots() -> (Vec<Certificate<'static>>, String) {
    let key: StoreKey = [
        std::env::var_os("SSL_CERT_FILE"),
        std::env::var_os("SSL_CERT_DIR"),
    ];
    let mut cached = SYSTEM_ROOTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((k, roots, described)) = cached.as_ref() {
        if *k == key {
            return (roots.clone(), described.clone());
        }
    }
    let (roots, described) = read_system_roots();
    *cached = Some((key, roots.clone(), described.clone()));
    (roots, described)
}

/// The system's store, or the built-in Mozilla roots where the system has none. Certificates
/// the store holds but cannot parse are skipped (curl does the same with a bundle's bad entry).
fn read_system_roots() -> (Vec<Certificate<'static>>, String) {
    let found = rustls_native_certs::load_native_certs();
    let from_env = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .filter(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
        .copied()
        .collect::<Vec<_>>();
    if !found.certs.is_empty() {
        let certs = owned(&found.certs);
        let described = if from_env.is_empty() {
            "the system's trust store".to_string()
        } else {
            format!("the system's trust store ({})", from_env.join(" and "))
        };
        return (certs, described);
    }
    let certs = owned(webpki_root_certs::TLS_SERVER_ROOT_CERTS);
    let described = if from_env.is_empty() {
        "the built-in Mozilla roots (no system trust store found)".to_string()
    } else {
        // The user pointed at a store that holds nothing: say so rather than quietly trusting
        // another set than the one asked for.
        format!(
            "the built-in Mozilla roots ({} named no readable certificate)",
            from_env.join(" and ")
        )
    };
    (certs, described)
}

/// DER certificates as ureq takes them.
fn owned(certs: &[rustls::pki_types::CertificateDer<'_>]) -> Vec<Certificate<'static>> {
    certs
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect()
}

fn load_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("ca_file {}: {e}", path.display())))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Tls,
                    format!("ca_file {}: {e}", path.display()),
                ))
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!(
            "ca_file {}: no PEM certificate found",
            path.display()
        )));
    }
    Ok(certs)
}

/// A failed handshake or an untrusted certificate names the host and what was trusted, so
/// that the user can tell a missing centre CA from a wrong URL.
pub(super) fn explain(err: Error, url: &str, described: &str) -> Error {
    if err.kind() != ErrorKind::Tls {
        return err;
    }
    let host = host_of(url);
    let message = format!("TLS with {host}: {} (trusted: {described})", err.message());
    err.with_message(message)
}

/// `host[:port]` of an absolute URL (no credentials, path or query).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_an_url() {
        assert_eq!(host_of("https://api.cscs.ch/v2/status"), "api.cscs.ch");
        assert_eq!(
            host_of("https://u:p@s3:9000/b?X-Amz-Signature=s"),
            "s3:9000"
        );
        assert_eq!(host_of("http://h"), "h");
    }

    #[test]
    fn ca_file_only_needs_a_ca_file() {
        let options = Options {
            ca_file_only: true,
            ..Options::default()
        };
        let e = trust(&options).err().expect("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("ca_file_only"), "{e}");
    }
}
