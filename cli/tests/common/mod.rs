//! Running the real `firecrest` binary against an emulator started in this process.
#![allow(dead_code)] // each test file uses its own part of this

use firecrest_emulator::{ApiVersion, Config, Emulator};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_firecrest");

/// One test body per behaviour, run on FirecREST v1 and v2: `both!(name, body)` makes the
/// tests `name::v1` and `name::v2`, each calling `body(ApiVersion)`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn v1() {
                super::$body(firecrest_emulator::ApiVersion::V1)
            }
            #[test]
            fn v2() {
                super::$body(firecrest_emulator::ApiVersion::V2)
            }
        }
    };
}

pub fn start(api: ApiVersion) -> Emulator {
    Emulator::start(Config {
        api,
        ..Default::default()
    })
    .expect("the emulator starts")
}

/// What a run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// Exit 0 or a panic that shows what was printed.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The emulator's environment (pyfirecrest's variable names), nothing inherited but PATH.
pub fn env_of(emu: &Emulator) -> Vec<(String, String)> {
    emu.env_lines()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn command(program: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(args)
        .stdin(Stdio::null());
    c
}

pub fn run_with(program: &Path, env: &[(String, String)], args: &[&str]) -> Run {
    finish(
        command(program, env, args)
            .output()
            .expect("the program runs"),
    )
}

pub fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `firecrest ARGS` against `emu`.
pub fn run(emu: &Emulator, args: &[&str]) -> Run {
    run_with(Path::new(BIN), &env_of(emu), args)
}

/// A fresh local directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("firecrest-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a remote file straight into the emulator's root.
pub fn put(emu: &Emulator, remote: &str, data: &[u8]) {
    let local = emu.local_path(remote);
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::write(local, data).unwrap();
}

pub fn remote(emu: &Emulator, name: &str) -> String {
    format!("{}/{name}", emu.home())
}

/// Deterministic bytes that are not all alike.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2654435761)
                .rotate_left(seed as u32 % 31) as u8
                ^ seed
        })
        .collect()
}
