//! The C and Fortran programs: the library they link, their builds (tests/c/Makefile, which also
//! finds the examples of examples-c/), an emulator and its variables, runs (optionally under
//! valgrind), and the checks of their output.

use super::{crate_dir, emulator, emulator_env, tool_available, Scratch};
use firecrest::ApiVersion;
use firecrest_emulator::Emulator;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The directory of libfirecrest.so and libfirecrest.a for the C and Fortran programs: what
/// `cargo build --lib --features test-exports` gives for this test's profile, built on first use
/// into a target directory of its own, `<target>/c-tests`.
///
/// Not the files beside the test binaries: cargo names the C libraries the same whatever the
/// features, so `cargo build` (without test-exports) or `cargo test --all-features` of the same
/// profile replaces them, and a later `cargo test` that finds its own build fresh would link
/// another feature set. Only these tests build into `<target>/c-tests`, always with one feature
/// set (test-exports adds `firecrest_test_panic`, which edges.c calls).
pub fn lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(build_library).clone()
}

fn build_library() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // <target>/<profile directory>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary in <target>/<profile>/deps");
    let dir_name = profile_dir.file_name().unwrap().to_str().unwrap();
    let profile = if dir_name == "debug" { "dev" } else { dir_name };
    let target_dir = profile_dir.parent().unwrap().join("c-tests");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let out = Command::new(cargo)
        .args([
            "build",
            "--lib",
            "-p",
            "firecrest",
            "--features",
            "test-exports",
        ])
        .args(["--profile", profile])
        .arg("--manifest-path")
        .arg(crate_dir().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .output()
        .expect("running cargo build");
    assert!(
        out.status.success(),
        "cargo build of the library for the C tests failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = target_dir.join(dir_name);
    for lib in ["libfirecrest.so", "libfirecrest.a"] {
        assert!(
            dir.join(lib).exists(),
            "cargo build left no {lib} in {}",
            dir.display()
        );
    }
    dir
}

/// The loader's search path of the environment without cargo's target directory: `cargo test`
/// puts its deps directory there, and the programs must load the library their rpath names, as
/// they would on a user's machine.
fn loader_path() -> Option<OsString> {
    let target = lib_dir().parent()?.parent()?.to_path_buf();
    let kept: Vec<PathBuf> = std::env::split_paths(&std::env::var_os("LD_LIBRARY_PATH")?)
        .filter(|p| !p.starts_with(&target))
        .collect();
    std::env::join_paths(kept).ok()
}

/// Sets the loader's search path of `cmd` as `loader_path` says.
pub fn without_cargo_libraries(cmd: &mut Command) -> &mut Command {
    match loader_path() {
        Some(path) if !path.is_empty() => cmd.env("LD_LIBRARY_PATH", path),
        _ => cmd.env_remove("LD_LIBRARY_PATH"),
    }
}

/// Builds `targets` (names of tests/c/Makefile and examples-c/Makefile: `tour`, `tour-static`,
/// `edges-asan`) into `scratch/build`; returns that directory. Panics with make's output.
pub fn build(scratch: &Scratch, targets: &[&str]) -> PathBuf {
    let build = scratch.path().join("build");
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(crate_dir().join("tests/c"))
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
    without_cargo_libraries(&mut cmd)
        .args(args)
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
        let emu = emulator(api, |_| {});
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
    for n in 1..=13 {
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
        "state 3 (COMPLETED is 3), exit code 0, wrote: hello from job ".to_string(),
        "0 failed".to_string(),
    ];
    if api == ApiVersion::V1 {
        expected.push("utilities: UTILITIES_MAX_FILE_SIZE = ".to_string());
        expected.push("service utilities: available".to_string());
        expected.push("the link is invalidated".to_string());
        expected.push("tour finished: 13 ok, 0 unsupported, 0 failed".to_string());
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
