//! What the test crates share: emulators of either API version, clients with fast polling,
//! fixtures written straight into the emulator's root, scratch directories, test data, and the
//! rule for tests that need an outside tool. `c` builds and runs the C and Fortran programs,
//! `py` runs the pyfirecrest witness.
#![allow(dead_code)] // each test crate uses a different part

pub mod c;
pub mod py;

use firecrest::{ApiVersion, Auth, Client, ErrorKind, Options};
use firecrest_emulator::{Config, Emulator, Fault, FaultAction};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Generates, for each `body(api: ApiVersion)` named, a module of that name with two tests,
/// `v1` and `v2`, that run it against an emulator of each version.
#[macro_export]
macro_rules! on_both_versions {
    (@tests $body:ident) => {
        #[test]
        fn v1() {
            super::$body(firecrest::ApiVersion::V1);
        }
        #[test]
        fn v2() {
            super::$body(firecrest::ApiVersion::V2);
        }
    };
    ($($body:ident),* $(,)?) => {
        $(
            mod $body {
                $crate::on_both_versions!(@tests $body);
            }
        )*
    };
}

/// As `on_both_versions!`, with a third test, `v2_4`, against a v2 server before 2.5.0 (its
/// transfer directives in snake_case; see `as_release`).
#[macro_export]
macro_rules! on_every_server {
    ($($body:ident),* $(,)?) => {
        $(
            mod $body {
                $crate::on_both_versions!(@tests $body);
                #[test]
                fn v2_4() {
                    $crate::support::as_release("2.4.0", || super::$body(firecrest::ApiVersion::V2));
                }
            }
        )*
    };
}

thread_local! {
    /// The v2 release `emulator` starts on this thread (None: the emulator's default).
    static RELEASE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with every v2 emulator it starts answering as `release` (e.g. `2.4.0`).
pub fn as_release<T>(release: &str, f: impl FnOnce() -> T) -> T {
    RELEASE.with(|r| *r.borrow_mut() = Some(release.to_string()));
    let out = f();
    RELEASE.with(|r| *r.borrow_mut() = None);
    out
}

/// True on CI (`CI` set to anything but empty, `0` or `false`), where nothing may be skipped.
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// A test that cannot run here: says why and returns false, or fails on CI.
pub fn skip(reason: &str) -> bool {
    assert!(!on_ci(), "{reason} (CI is set, so nothing may be skipped)");
    eprintln!("SKIPPED: {reason}");
    false
}

pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Whether a test needing `tool` can run here; prints why not, and fails on CI.
pub fn tool_available(tool: &str, why: &str) -> bool {
    have(tool) || skip(&format!("{tool} is not installed ({why})"))
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An emulator speaking `api`, its configuration changed by `tweak` first.
pub fn emulator(api: ApiVersion, tweak: impl FnOnce(&mut Config)) -> Emulator {
    let mut config = Config {
        api: firecrest_emulator::ApiVersion::from_number(api.number()).expect("v1 or v2"),
        ..Config::default()
    };
    if let Some(release) = RELEASE.with(|r| r.borrow().clone()) {
        config.server_version = release;
    }
    tweak(&mut config);
    Emulator::start(config).expect("emulator starts")
}

/// The variables a program reads to find a FirecREST (pyfirecrest's names), from the emulator.
pub fn emulator_env(emu: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("FIRECREST_URL", emu.url()),
        ("AUTH_TOKEN_URL", emu.token_url()),
        ("FIRECREST_CLIENT_ID", emu.client_id()),
        ("FIRECREST_CLIENT_SECRET", emu.client_secret()),
        ("FIRECREST_SYSTEM", emu.system()),
        ("FIRECREST_HOME", emu.home()),
    ]
}

/// Short backoff so that retry tests stay quick.
pub fn fast_options() -> Options {
    Options {
        poll_initial: Duration::from_millis(10),
        poll_max: Duration::from_millis(100),
        ..Options::default()
    }
}

/// Fast polling; `api` None lets the client detect the version.
pub fn options(api: Option<ApiVersion>) -> Options {
    Options {
        api_version: api,
        ..fast_options()
    }
}

pub fn auth(emu: &Emulator) -> Auth {
    Auth::client_credentials(emu.client_id(), emu.client_secret(), emu.token_url())
}

/// A client with client credentials and fast polling that detects the version.
pub fn client(emu: &Emulator) -> Client {
    client_with(emu, fast_options())
}

pub fn client_with(emu: &Emulator, options: Options) -> Client {
    Client::new(&emu.url(), auth(emu), options).expect("client")
}

pub fn client_for(emu: &Emulator, api: ApiVersion) -> Client {
    client_with(emu, options(Some(api)))
}

/// An emulator speaking `api` and a client forced to it.
pub fn setup(api: ApiVersion) -> (Emulator, Client) {
    let emu = emulator(api, |_| {});
    let c = client_for(&emu, api);
    (emu, c)
}

/// `home/name` as a remote path.
pub fn remote(emu: &Emulator, name: &str) -> String {
    format!("{}/{name}", emu.home())
}

/// Writes a remote file through the emulator's root (fixture, not through the client).
pub fn put_remote(emu: &Emulator, remote_path: &str, data: &[u8]) {
    let p = emu.local_path(remote_path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

pub fn read_remote(emu: &Emulator, remote_path: &str) -> Vec<u8> {
    std::fs::read(emu.local_path(remote_path)).unwrap()
}

/// A fresh directory in the system's temporary directory, unique to this process and moment.
fn fresh_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "firecrest-test-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A fresh local scratch directory for one test (the test removes it).
pub fn scratch(tag: &str) -> PathBuf {
    fresh_dir(tag)
}

/// A fresh scratch directory for one test, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        Scratch(fresh_dir(name))
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Files in `dir` (to check that no temporary file was left behind).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Deterministic bytes that are not all the same (so offsets matter); they repeat every 1 MiB.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u64)
                .wrapping_mul(2654435761)
                .wrapping_add(seed as u64) as u8
                ^ (i >> 12) as u8
        })
        .collect()
}

/// Bytes that never repeat at a power-of-two period (xorshift): a part sent at the wrong
/// offset changes the checksum, even with the emulator's 1 MiB parts.
pub fn bytes(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Writes `bytes(size, seed)` to `path`; returns its sha256.
pub fn write_file(path: &Path, size: usize, seed: u64) -> String {
    let data = bytes(size, seed);
    std::fs::write(path, &data).unwrap();
    sha256_hex(&data)
}

pub fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

pub fn sha256_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    format!("{:x}", h.finalize())
}

pub fn fault(method: Option<&str>, prefix: &str, action: FaultAction, times: u32) -> Fault {
    Fault {
        method: method.map(str::to_string),
        path_prefix: prefix.to_string(),
        action,
        times,
    }
}

pub fn status_fault(
    method: Option<&str>,
    prefix: &str,
    status: u16,
    retry_after: Option<&str>,
    times: u32,
) -> Fault {
    fault(
        method,
        prefix,
        FaultAction::Status {
            status,
            retry_after: retry_after.map(str::to_string),
        },
        times,
    )
}

/// Where the emulator serves operation `op` (`ls`, `download`, …) on system `cluster`, for
/// faults and counters: v1's `/utilities/<op>`, v2's `/filesystem/cluster/ops/<op>`.
pub fn ops_path(api: ApiVersion, op: &str) -> String {
    match api {
        ApiVersion::V1 => format!("/utilities/{op}"),
        ApiVersion::V2 => format!("/filesystem/cluster/ops/{op}"),
    }
}

/// Where the emulator starts an external transfer of `direction` (`upload`, `download`) on
/// system `cluster`: v1's storage task, v2's transfer job.
pub fn transfer_path(api: ApiVersion, direction: &str) -> String {
    match api {
        ApiVersion::V1 => format!("/storage/xfer-external/{direction}"),
        ApiVersion::V2 => format!("/filesystem/cluster/transfer/{direction}"),
    }
}

/// Where whoami asks on system `cluster`.
pub fn whoami_path(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1 => "/utilities/whoami",
        ApiVersion::V2 => "/status/cluster/userinfo",
    }
}

/// v1 names an error in an X- header, which the error keeps; v2 has no such header (its message
/// carries the server's text).
pub fn assert_v1_header(api: ApiVersion, e: &firecrest::Error, header: &str) {
    if api == ApiVersion::V1 {
        assert_eq!(e.error_header().map(|h| h.0), Some(header), "{e:?}");
    }
}

/// How each version classifies a path that does not exist: v1 answers 400 with X-Invalid-Path
/// (or X-Not-Found), v2 404.
pub fn missing_path_kind(api: ApiVersion) -> ErrorKind {
    match api {
        ApiVersion::V1 => ErrorKind::ApiError,
        ApiVersion::V2 => ErrorKind::NotFound,
    }
}
