//! TLS for the trust tests: test certificate authorities (rcgen) and a small TLS front that
//! terminates HTTPS with a certificate one of them signed and passes each request on to a
//! plain-HTTP emulator, so that the client speaks real TLS to a real FirecREST.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;

/// A certificate authority of the tests.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn write_pem(&self, path: &Path) {
        std::fs::write(path, &self.pem).expect("write CA PEM");
    }

    /// A server certificate for `localhost` and 127.0.0.1, and its key.
    fn server_cert(&self) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().expect("server key");
        let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".into()])
            .expect("server params");
        let cert = params.signed_by(&key, &self.issuer).expect("server cert");
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

/// An HTTPS front for a plain-HTTP server, with a certificate signed by `ca`. Each connection
/// carries one request (the request goes on with `Connection: close`).
pub struct TlsFront {
    port: u16,
}

impl TlsFront {
    pub fn start(ca: &TestCa, backend: &str) -> TlsFront {
        let (cert, key) = ca.server_cert();
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("server config");
        let config = Arc::new(config);
        let backend = backend
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (config, backend) = (config.clone(), backend.clone());
                std::thread::spawn(move || {
                    let _ = serve(config, conn, &backend);
                });
            }
        });
        TlsFront { port }
    }

    /// The front's base URL, `https://localhost:PORT`, with the backend's path appended.
    pub fn url(&self, backend_url: &str) -> String {
        let path = backend_url
            .trim_start_matches("http://")
            .split_once('/')
            .map_or(String::new(), |(_, p)| format!("/{p}"));
        format!("https://localhost:{}{path}", self.port)
    }
}

fn serve(config: Arc<rustls::ServerConfig>, tcp: TcpStream, backend: &str) -> std::io::Result<()> {
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let Some(request) = super::liar::read_request(&mut tls) else {
        return Ok(());
    };
    let mut forwarded = String::new();
    for line in request.head.trim_end().lines() {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    let mut up = TcpStream::connect(backend)?;
    up.write_all(forwarded.as_bytes())?;
    up.write_all(&request.body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    tls.write_all(&answer)?;
    tls.conn.send_close_notify();
    tls.flush()
}
