//! Shared by the `tests/c_*.rs` drivers: build the C programs with examples-c/Makefile against
//! the cdylib/staticlib this `cargo test` built, start an in-process emulator, run a program with
//! the emulator's variables (optionally under valgrind), and decide when a missing tool may skip.

#![allow(dead_code)] // each test binary uses a different part

use firecrest::ApiVersion;
use firecrest_emulator::{Config, Emulator};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// True on CI (`CI=true`), where nothing may be skipped.
pub fn on_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
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
    if have(tool) {
        return true;
    }
    assert!(
        !on_ci(),
        "{tool} is required on CI ({why}) but is not installed"
    );
    eprintln!("SKIPPED: {tool} is not installed ({why})");
    false
}

/// The directory holding the libfirecrest.so/.a of this test run: cargo builds the library with
/// the test's features (emulator, test-exports) next to the test binaries.
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary directory").to_path_buf();
    for dir in [deps.clone(), deps.parent().unwrap().to_path_buf()] {
        if dir.join("libfirecrest.so").exists() && dir.join("libfirecrest.a").exists() {
            return dir;
        }
    }
    panic!(
        "no libfirecrest.so and libfirecrest.a beside {}",
        exe.display()
    );
}

/// The shared library's SONAME version: cargo-c's rule (0.y.z → "0.y", x.y.z → "x"), as build.rs
/// sets it.
pub fn soname_version() -> String {
    let (major, minor) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
    );
    if major == "0" {
        format!("0.{minor}")
    } else {
        major.to_string()
    }
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "firecrest-c-{name}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
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

/// Builds `targets` (e.g. "build/tour" names: `tour`, `tour-static`, `edges-asan`) with the
/// examples' Makefile into `scratch/build`; returns that directory. Panics with make's output.
pub fn build(scratch: &Scratch, targets: &[&str]) -> PathBuf {
    let build = scratch.path().join("build");
    let examples = crate_dir().join("examples-c");
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(&examples)
        .arg(format!("BUILD={}", build.display()))
        .arg(format!("LIBDIR={}", lib_dir().display()))
        .arg(format!("INCDIR={}", crate_dir().join("include").display()));
    for t in targets {
        make.arg(build.join(t));
    }
    let out = make.output().expect("running make");
    assert!(
        out.status.success(),
        "make {targets:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    build
}

/// Whether the C toolchain is here (required on CI).
pub fn c_toolchain() -> bool {
    tool_available("cc", "C compiler for the examples")
        && tool_available("make", "examples-c/Makefile")
}

pub fn start_emulator(api: ApiVersion) -> std::io::Result<Emulator> {
    Emulator::start(Config {
        api: firecrest_emulator::ApiVersion::from_number(api.number()).expect("v1 or v2"),
        ..Config::default()
    })
}

/// The variables the C programs read, from the emulator's accessors.
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

/// Runs `program args` with `env` (and TMPDIR = scratch), optionally prefixed by `wrapper`
/// (e.g. valgrind). Stdout and stderr are captured.
pub fn run(
    scratch: &Scratch,
    wrapper: &[&str],
    program: &Path,
    args: &[&str],
    env: &[(&str, String)],
) -> Output {
    let mut cmd = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args)
        .env("TMPDIR", scratch.path())
        .env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()))
}

/// Stdout and stderr for assertion messages.
pub fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One test's world: a scratch directory, the C programs built into it, an emulator, and the
/// variables the programs read.
pub struct Setup {
    pub scratch: Scratch,
    pub build: PathBuf,
    pub emu: Emulator,
    pub env: Vec<(&'static str, String)>,
}

impl Setup {
    /// Builds `targets` and starts an emulator speaking `api`; None (the reason printed) when the
    /// C toolchain is missing locally.
    pub fn new(name: &str, targets: &[&str], api: ApiVersion) -> Option<Setup> {
        if !c_toolchain() {
            return None;
        }
        let scratch = Scratch::new(name);
        let build = build(&scratch, targets);
        let emu = start_emulator(api).expect("starting the emulator");
        let env = emulator_env(&emu);
        Some(Setup {
            scratch,
            build,
            emu,
            env,
        })
    }

    /// Runs the built `program` with `args`, under `wrapper` (e.g. VALGRIND) if not empty.
    pub fn run(&self, wrapper: &[&str], program: &str, args: &[&str]) -> Output {
        run(
            &self.scratch,
            wrapper,
            &self.build.join(program),
            args,
            &self.env,
        )
    }

    /// A path in the user's remote home.
    pub fn remote(&self, name: &str) -> String {
        format!("{}/{name}", self.emu.home())
    }

    /// A path in the scratch directory, as a string for a command line.
    pub fn local(&self, name: &str) -> String {
        self.scratch.path().join(name).to_str().unwrap().to_string()
    }
}

/// Checks a C test's verdict line ("<name>: N passed, 0 failed").
pub fn check_c_test(out: &Output, what: &str) {
    assert!(out.status.success(), "{what}\n{}", show(out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(" passed, 0 failed"),
        "{what}\n{}",
        show(out)
    );
}

/// The valgrind command the memory tests use: no error, no definite leak.
pub const VALGRIND: &[&str] = &[
    "valgrind",
    "--quiet",
    "--error-exitcode=1",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite",
];

/// Checks the tour's output: every step, and what each one must show.
pub fn check_tour_output(out: &Output, api: ApiVersion) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "tour failed\n{}", show(out));
    for n in 1..=12 {
        assert!(
            stdout.contains(&format!("== step {n}:")),
            "step {n} missing\n{}",
            show(out)
        );
    }
    let mut expected = vec![
        format!("FirecREST API v{}", api.number()),
        "user: testuser".to_string(),
        "system cluster: available".to_string(),
        "system offline: not available".to_string(),
        "uploaded /home/testuser/firecrest-tour-".to_string(),
        "downloaded it back: same bytes".to_string(),
        "status 111".to_string(),
        "upload done: /home/testuser/firecrest-tour-".to_string(),
        "status 117".to_string(),
        "downloaded 3145745 bytes: same bytes".to_string(),
        "link: http://127.0.0.1".to_string(),
        "0 failed".to_string(),
    ];
    if api == ApiVersion::V1 {
        expected.push("utilities: UTILITIES_MAX_FILE_SIZE = ".to_string());
        expected.push("service utilities: available".to_string());
        expected.push("the link is invalidated".to_string());
        expected.push("tour finished: 12 ok, 0 unsupported, 0 failed".to_string());
    } else {
        // v2 has no micro-services and cannot invalidate a presigned URL: reported, not fatal.
        expected.push("firecrest_all_services: UNSUPPORTED".to_string());
    }
    for e in expected {
        assert!(
            stdout.contains(&e),
            "tour output lacks {e:?}\n{}",
            show(out)
        );
    }
    // The status integers are printed as they change, in order.
    let order: Vec<usize> = [
        "status 111",
        "upload done",
        "status 117",
        "same bytes\n  ok",
    ]
    .iter()
    .map(|s| stdout.rfind(s).unwrap_or(0))
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "steps out of order\n{}",
        show(out)
    );
}
