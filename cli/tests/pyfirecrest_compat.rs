//! The same command lines through pyfirecrest's CLI (3.10.0, `.venv/bin/firecrest` at the
//! workspace root) and ours, against one v2 emulator: the same exit codes and the same JSON
//! (or text) on stdout. Without pyfirecrest the test is skipped with its reason, unless CI is
//! set, where that is a failure.

mod common;

use common::*;
use firecrest_emulator::ApiVersion;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn pyfirecrest() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let bin = root.join(".venv/bin/firecrest");
    if bin.is_file() {
        return Some(bin);
    }
    let reason = format!(
        "{} is missing (.ci/run installs pyfirecrest)",
        bin.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{reason}");
    }
    println!("SKIPPED: pyfirecrest compatibility: {reason}");
    None
}

/// How a command's stdout is compared when both succeeded.
#[derive(Clone, Copy, Debug)]
enum Compare {
    /// Parsed JSON, equal after `normalise`.
    Json,
    /// The bytes as printed (file content, `id`, `file`, `server-version`).
    Text,
    /// Nothing printed by either.
    Empty,
}

/// What must differ, and only that.
fn normalise(args: &[&str], mut v: Value) -> Value {
    match args.iter().find(|a| !a.starts_with('-')).copied() {
        // pyfirecrest prints v2's whole system description (hosts, schedulers, storage...);
        // the library's `System` has the name, a status and a description derived from the
        // health checks, which pyfirecrest does not print. The names must agree.
        Some("systems") => Value::Array(
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].clone())
                .collect(),
        ),
        // v2 userinfo's `accounts` has no field in the library's `UserGroups`.
        Some("id") => {
            v.as_object_mut().unwrap().remove("accounts");
            v
        }
        // The other client's reads (head, checksum) between the two stats may move atime.
        Some("stat") => {
            v.as_object_mut().unwrap().remove("atime");
            v
        }
        _ => v,
    }
}

/// `theirs` cut down to the keys `ours` has (recursively): pyfirecrest prints v2's whole Job
/// (tasks, priority, cluster, …), the library reports the fields it models; those must agree.
fn project(ours: &Value, theirs: &Value) -> Value {
    match (ours, theirs) {
        (Value::Object(o), Value::Object(t)) => Value::Object(
            o.keys()
                .map(|k| {
                    let v = t.get(k).cloned().unwrap_or(Value::Null);
                    (k.clone(), project(&o[k], &v))
                })
                .collect(),
        ),
        (Value::Array(o), Value::Array(t)) if o.len() == t.len() => {
            Value::Array(o.iter().zip(t).map(|(a, b)| project(a, b)).collect())
        }
        (_, t) => t.clone(),
    }
}

#[test]
fn same_lines_same_answers() {
    let Some(py) = pyfirecrest() else { return };
    let emu = start(ApiVersion::V2);
    let env = env_of(&emu);
    let home = emu.home();
    let file = remote(&emu, "a.txt");
    put(&emu, &file, b"alpha\nbeta\ngamma\ndelta\nepsilon\n");
    put(&emu, &remote(&emu, ".dot"), b"hidden\n");
    put(&emu, &remote(&emu, "sub/inner.txt"), b"inner\n");
    let missing = remote(&emu, "missing");
    let made = remote(&emu, "made/deep");
    let link = remote(&emu, "link");
    let made_parent = remote(&emu, "made");
    let orphan = remote(&emu, "no/parent");

    use Compare::*;
    let lines: Vec<(Vec<&str>, Compare)> = vec![
        (vec!["systems"], Json),
        (vec!["server-version"], Text),
        (vec!["id"], Text),
        (vec!["id", "--json"], Json),
        (vec!["ls", &home], Json),
        (vec!["ls", "-a", &home], Json),
        (vec!["ls", "-R", &home], Json),
        (vec!["ls", "--show-hidden", "--recursive", &home], Json),
        (vec!["mkdir", "-p", &made], Empty),
        (vec!["ls", &made_parent], Json),
        (vec!["chmod", &file, "640"], Empty),
        (vec!["stat", &file], Json),
        (vec!["stat", "-L", &home], Json),
        (vec!["checksum", &file], Json),
        (vec!["file", &file], Text),
        (vec!["head", &file], Text),
        (vec!["head", "-n", "2", &file], Text),
        (vec!["head", "-n", "-2", &file], Text),
        (vec!["head", "-c", "7", &file], Text),
        (vec!["head", "--json", "-n", "3", &file], Json),
        (vec!["tail", &file], Text),
        (vec!["tail", "-n", "2", &file], Text),
        (vec!["tail", "-n", "+2", &file], Text),
        (vec!["tail", "--lines", "+4", "--json", &file], Json),
        (vec!["tail", "-c", "4", "--json", &file], Json),
        // Failures: the same exit codes (the messages differ by design: ours is one line on
        // stderr, pyfirecrest prints its exception text on stdout).
        (vec!["ls", &missing], Empty),
        (vec!["stat", "-s", "nosuch", &file], Empty),
        (vec!["mkdir", &orphan], Empty),
        (vec!["head", "-n", "1", "-c", "1", &file], Empty),
        (vec!["checksum"], Empty),
        (vec!["no-such-command"], Empty),
    ];
    for (args, compare) in &lines {
        let ours = run_with(Path::new(BIN), &env, args);
        let theirs = run_with(&py, &env, args);
        let shown = format!(
            "{args:?}\nours: {} {}{}\npyfirecrest: {} {}{}",
            ours.code, ours.stdout, ours.stderr, theirs.code, theirs.stdout, theirs.stderr
        );
        assert_eq!(ours.code, theirs.code, "{shown}");
        if ours.code != 0 {
            assert!([1, 2].contains(&ours.code), "{shown}");
            continue;
        }
        match compare {
            Json => assert_eq!(
                normalise(args, ours.json()),
                normalise(args, theirs.json()),
                "{shown}"
            ),
            Text => assert_eq!(ours.stdout, theirs.stdout, "{shown}"),
            Empty => assert_eq!(
                (ours.stdout.as_str(), theirs.stdout.as_str()),
                ("", ""),
                "{shown}"
            ),
        }
    }

    // Operations that change the tree: each client its own target, the same result.
    for (who, bin) in [("ours", Path::new(BIN)), ("py", py.as_path())] {
        let target = format!("{link}-{who}");
        let copy = remote(&emu, &format!("copy-{who}.txt"));
        let moved = remote(&emu, &format!("moved-{who}.txt"));
        let archive = remote(&emu, &format!("archive-{who}.tar.gz"));
        let out = remote(&emu, &format!("out-{who}"));
        for args in [
            vec!["symlink", file.as_str(), &target],
            vec!["cp", &file, &copy],
            vec!["mv", &copy, &moved],
            vec!["rm", "--force", &target],
            vec!["compress", &moved, &archive],
            vec!["mkdir", &out],
            vec!["extract", &archive, &out],
        ] {
            let r = run_with(bin, &env, &args);
            assert_eq!(
                (r.code, r.stdout.as_str()),
                (0, ""),
                "{who} {args:?}: {}",
                r.stderr
            );
        }
        assert!(emu.local_path(&moved).is_file(), "{who}");
        assert!(emu.local_path(&target).symlink_metadata().is_err(), "{who}");
        let extracted = format!("{out}/moved-{who}.txt");
        assert!(emu.local_path(&extracted).is_file(), "{who}: {extracted}");
    }
    let names = |v: Value| -> Vec<String> {
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    let listed = names(run_with(Path::new(BIN), &env, &["ls", &home]).ok().json());
    let listed_py = names(run_with(&py, &env, &["ls", &home]).ok().json());
    assert_eq!(listed, listed_py);
    assert!(
        listed.contains(&"moved-ours.txt".to_string())
            && listed.contains(&"moved-py.txt".to_string())
    );

    // Jobs: each client submits the same script; then both read each job alike.
    let script = scratch("compat-jobs").join("job.sh");
    std::fs::write(&script, "#!/bin/bash\necho compat > compat.txt\n").unwrap();
    let script = script.to_str().unwrap();
    let submit = [
        "submit",
        "--working-dir",
        home.as_str(),
        "-e",
        "X=1",
        script,
    ];
    let mut ids = Vec::new();
    for bin in [Path::new(BIN), py.as_path()] {
        let answer = run_with(bin, &env, &submit).ok().json();
        let keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["jobId"], "{answer}");
        ids.push(answer["jobId"].as_str().unwrap().to_string());
    }
    for id in &ids {
        // pyfirecrest waits and prints nothing useful to compare; ours prints the job.
        let waited = run_with(&py, &env, &["wait-for-job", id]);
        assert_eq!(waited.code, 0, "{}", waited.stderr);
        run_with(Path::new(BIN), &env, &["wait-for-job", id]).ok();
        for command in ["job-info", "job-metadata"] {
            let ours = run_with(Path::new(BIN), &env, &[command, id]).ok().json();
            let theirs = run_with(&py, &env, &[command, id]).ok().json();
            assert_eq!(ours, project(&ours, &theirs), "{command} {id}:\n{theirs}");
        }
    }
    put(&emu, &remote(&emu, "sleep.sh"), b"#!/bin/bash\nsleep 60\n");
    let sleeping = format!("remote://{home}/sleep.sh");
    for bin in [Path::new(BIN), py.as_path()] {
        let answer = run_with(bin, &env, &["submit", "--working-dir", &home, &sleeping])
            .ok()
            .json();
        let id = answer["jobId"].as_str().unwrap();
        let cancelled = run_with(bin, &env, &["cancel", id]);
        assert_eq!(
            (cancelled.code, cancelled.stdout.as_str()),
            (0, ""),
            "{}",
            cancelled.stderr
        );
    }
}
