//! Runs a Python script that drives pyfirecrest, the official FirecREST client, against an
//! emulator started in this process. pyfirecrest is the independent witness that the emulator
//! behaves like a real FirecREST: the scripts (tests/py/) use it unchanged, exactly as a user
//! would.

use super::{emulator, emulator_env, sha256_hex, skip};
use firecrest::ApiVersion;
use firecrest_emulator::Emulator;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The version .ci/run installs; the scripts were written against its code.
pub const PYFIRECREST_VERSION: &str = "3.10.0";
/// The emulator's fixed user.
const EMULATOR_USER: &str = "testuser";
/// Whole-script limit, so that a hang fails the test instead of blocking the suite. The scripts'
/// own waits are shorter, so a slow step normally fails inside Python with a precise message.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A test outside CI skips (with a message) when the witness cannot run; on CI that is a failure.
fn unavailable(what: &str) -> Option<PathBuf> {
    skip(&format!(
        "pyfirecrest witness not run: {what}. Install it with `python3 -m venv .venv && \
         .venv/bin/pip install pyfirecrest=={PYFIRECREST_VERSION}` in the repository root \
         (or point FIRECREST_PYTHON at an interpreter that has it)."
    ));
    None
}

/// The interpreter with pyfirecrest (env FIRECREST_PYTHON, else <repo>/.venv/bin/python), after
/// checking it and the external `tools` the script needs; None (test skipped) outside CI when
/// something is missing.
pub fn witness_python(tools: &[&str]) -> Option<PathBuf> {
    let python = std::env::var_os("FIRECREST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let probe = Command::new(&python)
        .args(["-c", "import firecrest; print(firecrest.__version__)"])
        .stdin(Stdio::null())
        .output();
    let version = match probe {
        Err(e) => return unavailable(&format!("cannot run {}: {e}", python.display())),
        Ok(out) if !out.status.success() => {
            return unavailable(&format!(
                "{} cannot import firecrest: {}",
                python.display(),
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
            ))
        }
        Ok(out) => String::from_utf8_lossy(&out.stdout).trim().to_string(),
    };
    if version != PYFIRECREST_VERSION {
        return unavailable(&format!(
            "{} has pyfirecrest {version}, the witness is pinned to {PYFIRECREST_VERSION}",
            python.display()
        ));
    }
    for tool in tools {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return unavailable(&format!("`{tool}` is not on PATH (pyfirecrest runs it)"));
        }
    }
    Some(python)
}

/// An emulator for one witness run: fresh temporary root, any free port, quick task steps.
pub fn start_emulator(api: ApiVersion) -> Emulator {
    emulator(api, |c| c.task_delay = Duration::from_millis(20))
}

pub struct Run {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout ---\n{}--- stderr ---\n{}",
            match self.status {
                Some(s) => s.to_string(),
                None => format!("killed after {}s (timeout)", SCRIPT_TIMEOUT.as_secs()),
            },
            self.stdout,
            self.stderr
        )
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn wait_or_kill(child: &mut Child) -> Option<ExitStatus> {
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the script") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs tests/py/<script> with the emulator's coordinates in the environment, as a user of
/// pyfirecrest would set them.
pub fn run_script(python: &Path, script: &str, emu: &Emulator) -> Run {
    run_script_with(python, script, emu, &[])
}

/// `run_script` with more variables in the environment.
pub fn run_script_with(
    python: &Path,
    script: &str,
    emu: &Emulator,
    extra: &[(&str, String)],
) -> Run {
    let script_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/py")
        .join(script);
    let mut cmd = Command::new(python);
    cmd.arg(&script_path)
        .envs(emulator_env(emu))
        .env("FIRECREST_WITNESS_USER", EMULATOR_USER)
        // Everything is on loopback: a proxy from the environment must not intercept it.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1")
        // No __pycache__ inside tests/py.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .envs(extra.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let status = wait_or_kill(&mut child);
    Run {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Fails with the script's whole output unless it exited 0; then checks, independently of
/// pyfirecrest, every file the script reported (`WITNESS-FILE <remote path> <size> <sha256>`)
/// against the bytes the emulator holds on disk. Returns how many files were checked.
pub fn assert_witness_passed(run: &Run, emu: &Emulator) -> usize {
    assert!(
        run.status.is_some_and(|s| s.success()),
        "pyfirecrest witness failed\n{}",
        run.transcript()
    );
    let mut checked = 0;
    for line in run.stdout.lines() {
        let Some(rest) = line.strip_prefix("WITNESS-FILE ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split(' ').collect();
        let [remote, size, sha] = fields[..] else {
            panic!(
                "malformed line from the script: {line}\n{}",
                run.transcript()
            );
        };
        let local = emu.local_path(remote);
        let bytes = std::fs::read(&local).unwrap_or_else(|e| {
            panic!(
                "{remote} (local {}) unreadable after the run: {e}\n{}",
                local.display(),
                run.transcript()
            )
        });
        assert_eq!(
            bytes.len().to_string(),
            size,
            "size of {remote} on the emulator's disk"
        );
        assert_eq!(
            sha256_hex(&bytes),
            sha,
            "sha256 of {remote} on the emulator's disk"
        );
        checked += 1;
    }
    println!("{}", run.stdout);
    checked
}

/// pyfirecrest reuses its token until 10 s before expiry; the emulator's tokens last minutes, so
/// a whole run needs one (more would mean the emulator rejected or mis-dated its own tokens).
pub fn assert_one_token(emu: &Emulator) {
    assert_eq!(
        emu.counter("token_requests"),
        1,
        "token requests during the run"
    );
}
