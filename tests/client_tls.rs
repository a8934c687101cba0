//! Trust as curl has it: the system's store (`SSL_CERT_FILE`, `SSL_CERT_DIR`) by default,
//! `ca_file` added to it, `ca_file_only` replacing it, and a refused certificate reported as
//! TLS with the host named. Real TLS over loopback: two test CAs, each signing one HTTPS front
//! of the same emulator.
//!
//! One test only: the trust store is read from the environment when a client is made, and
//! the environment is the process's, so the cases run one after the other.

mod support;

use firecrest::{ApiVersion, Client, ErrorKind, Options};
use std::path::PathBuf;
use support::tls::{TestCa, TlsFront};
use support::*;

struct Fronts {
    emu: firecrest_emulator::Emulator,
    /// Signed by the "centre" CA, which the user names in `ca_file`.
    centre: TlsFront,
    /// Signed by the "public" CA, which stands for the system's store.
    public: TlsFront,
    centre_pem: PathBuf,
    public_pem: PathBuf,
    public_dir: PathBuf,
}

impl Fronts {
    fn client(&self, front: &TlsFront, ca_file: Option<&PathBuf>, only: bool) -> Client {
        let options = Options {
            ca_file: ca_file.cloned(),
            ca_file_only: only,
            ..options(Some(ApiVersion::V2))
        };
        // The token endpoint stays plain HTTP: what is under test is the API host's TLS.
        Client::new(&front.url(&self.emu.url()), auth(&self.emu), options).expect("client")
    }

    fn reaches(&self, front: &TlsFront, ca_file: Option<&PathBuf>, only: bool) -> bool {
        match self.client(front, ca_file, only).all_systems() {
            Ok(systems) => {
                assert_eq!(systems[0].system, "cluster");
                true
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
                assert_eq!(e.kind().code(), 13, "FIRECREST_STATUS_TLS");
                let m = e.message();
                assert!(m.contains("localhost:"), "names the host: {m}");
                assert!(m.contains("UnknownIssuer"), "says why: {m}");
                assert!(m.contains("trusted:"), "says what was trusted: {m}");
                false
            }
        }
    }
}

fn set_store(file: Option<&PathBuf>, dir: Option<&PathBuf>) {
    match file {
        Some(f) => std::env::set_var("SSL_CERT_FILE", f),
        None => std::env::remove_var("SSL_CERT_FILE"),
    }
    match dir {
        Some(d) => std::env::set_var("SSL_CERT_DIR", d),
        None => std::env::remove_var("SSL_CERT_DIR"),
    }
}

#[test]
fn trust_as_curl_has_it() {
    let emu = emulator(ApiVersion::V2, |_| {});
    let (centre_ca, public_ca) = (TestCa::new("centre CA"), TestCa::new("public CA"));
    let dir = Scratch::new("tls");
    let centre_pem = dir.path().join("centre.pem");
    centre_ca.write_pem(&centre_pem);
    let public_pem = dir.path().join("public.pem");
    public_ca.write_pem(&public_pem);
    let public_dir = dir.path().join("certs");
    std::fs::create_dir(&public_dir).unwrap();
    public_ca.write_pem(&public_dir.join("public-ca.pem"));
    let f = Fronts {
        centre: TlsFront::start(&centre_ca, &emu.url()),
        public: TlsFront::start(&public_ca, &emu.url()),
        emu,
        centre_pem,
        public_pem,
        public_dir,
    };

    // The machine's own store knows neither test CA: both refused, as TLS, naming the host.
    set_store(None, None);
    assert!(!f.reaches(&f.centre, None, false));
    assert!(!f.reaches(&f.public, None, false));

    // SSL_CERT_FILE is the system's store (as for curl and OpenSSL).
    set_store(Some(&f.public_pem), None);
    assert!(f.reaches(&f.public, None, false), "SSL_CERT_FILE honoured");
    assert!(!f.reaches(&f.centre, None, false));
    let e = f.client(&f.centre, None, false).all_systems().unwrap_err();
    assert!(e.message().contains("SSL_CERT_FILE"), "{e}");

    // ca_file adds the centre's CA: the centre and the public server both reachable.
    assert!(f.reaches(&f.centre, Some(&f.centre_pem), false));
    assert!(
        f.reaches(&f.public, Some(&f.centre_pem), false),
        "ca_file adds to the system's store"
    );

    // ca_file_only trusts that file alone.
    assert!(f.reaches(&f.centre, Some(&f.centre_pem), true));
    assert!(!f.reaches(&f.public, Some(&f.centre_pem), true));

    // SSL_CERT_DIR likewise.
    set_store(None, Some(&f.public_dir));
    assert!(f.reaches(&f.public, None, false), "SSL_CERT_DIR honoured");
    assert!(!f.reaches(&f.centre, None, false));
    set_store(None, None);

    // A file that holds no certificate is refused when the client is made, naming the file.
    let not_pem = f.public_dir.join("notes.txt");
    std::fs::write(&not_pem, "no certificate here\n").unwrap();
    let Err(e) = Client::new(
        &f.centre.url(&f.emu.url()),
        auth(&f.emu),
        Options {
            ca_file: Some(not_pem.clone()),
            ..Options::default()
        },
    ) else {
        panic!("a CA file without a certificate is refused");
    };
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.message().contains("notes.txt"), "{e}");
}
