//! Every command once, through the real binary, on FirecREST v1 and v2; JSON parsed and checked.

mod common;

use common::*;
use firecrest_emulator::ApiVersion;
use sha2::{Digest, Sha256};

const TEXT: &[u8] = b"one\ntwo\nthree\nfour\n";

fn status_commands(api: ApiVersion) {
    let emu = start(api);
    let systems = run(&emu, &["systems"]).ok().json();
    let names: Vec<&str> = systems
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cluster", "offline"]);
    assert_eq!(systems[0]["status"], "available");

    let table = run(&emu, &["systems", "--table"]).ok().stdout;
    assert!(table.starts_with("SYSTEM"), "{table}");
    assert!(table
        .lines()
        .any(|l| l.starts_with("cluster ") && l.contains("available")));

    let id = run(&emu, &["id"]).ok().stdout;
    assert!(id.starts_with("uid=") && id.contains("(testuser)"), "{id}");
    let id = run(&emu, &["id", "--json"]).ok().json();
    assert_eq!(id["user"]["name"], "testuser");
    assert!(id["groups"].is_array());

    let nodes = run(&emu, &["get-nodes"]).ok().json();
    assert_eq!(nodes[0]["name"], "localhost", "{nodes}");
    assert_eq!(nodes[0]["partitions"][0], "normal", "{nodes}");
    let partitions = run(&emu, &["get-partitions"]).ok().json();
    assert_eq!(partitions[0]["name"], "normal", "{partitions}");
    let reservations = run(&emu, &["get-reservations"]).ok().json();
    assert_eq!(reservations[0]["name"], "maintenance", "{reservations}");

    let none = run(&emu, &["job-info", "--name", "no-such-job"])
        .ok()
        .json();
    assert_eq!(none, serde_json::json!([]));
    let r = run(&emu, &["job-info", "--time-window", "2d"]);
    assert_eq!(r.code, 2, "an unknown window is a usage error");

    let version = run(&emu, &["server-version"]).ok().stdout;
    match api {
        ApiVersion::V2 => assert_eq!(version, "2\n"),
        // v1 publishes its version among the parameters.
        ApiVersion::V1 => assert!(!version.trim().is_empty(), "{version}"),
    }
}
both!(status, status_commands);

fn file_commands(api: ApiVersion) {
    let emu = start(api);
    let home = emu.home();
    put(&emu, &remote(&emu, "a.txt"), TEXT);
    put(&emu, &remote(&emu, ".hidden"), b"");

    let dir = remote(&emu, "d1/d2");
    run(&emu, &["mkdir", "-p", &dir]).ok();
    assert!(emu.local_path(&dir).is_dir());
    let plain = run(&emu, &["mkdir", &remote(&emu, "x/y")]);
    assert_eq!(plain.code, 1, "mkdir without -p needs the parent");

    let copy = remote(&emu, "d1/b.txt");
    run(&emu, &["cp", &remote(&emu, "a.txt"), &copy]).ok();
    let moved = remote(&emu, "d1/d2/c.txt");
    run(&emu, &["mv", &copy, &moved]).ok();
    assert_eq!(std::fs::read(emu.local_path(&moved)).unwrap(), TEXT);
    assert!(!emu.local_path(&copy).exists());

    run(&emu, &["chmod", &moved, "600"]).ok();
    let stat = run(&emu, &["stat", &moved]).ok().json();
    assert_eq!(stat["mode"].as_i64().unwrap() & 0o777, 0o600);
    assert_eq!(stat["size"], TEXT.len() as i64);
    run(&emu, &["chown", &moved, "--owner", "testuser"]).ok();

    let link = remote(&emu, "link");
    run(&emu, &["symlink", &remote(&emu, "a.txt"), &link]).ok();

    let ls = run(&emu, &["ls", &home]).ok().json();
    let entries = ls.as_array().unwrap();
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"a.txt") && names.contains(&"d1"),
        "{names:?}"
    );
    assert!(!names.contains(&".hidden"), "hidden without -a: {names:?}");
    let a = entries.iter().find(|e| e["name"] == "a.txt").unwrap();
    assert_eq!(a["type"], "-");
    assert_eq!(a["size"], TEXT.len().to_string());
    for key in ["linkTarget", "user", "group", "permissions", "lastModified"] {
        assert!(a.get(key).is_some(), "{key} missing from {a}");
    }
    let l = entries.iter().find(|e| e["name"] == "link").unwrap();
    assert_eq!(l["type"], "l");
    assert!(l["linkTarget"].as_str().unwrap().ends_with("a.txt"), "{l}");

    let followed = run(&emu, &["ls", "-L", "-n", &home]).ok().json();
    let l = followed
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "link")
        .unwrap();
    assert_eq!(l["type"], "-", "-L describes the target: {l}");
    assert!(
        l["user"].as_str().unwrap().parse::<u32>().is_ok(),
        "-n: {l}"
    );

    let all = run(&emu, &["ls", "-a", &home]).ok().json();
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == ".hidden"));
    let deep = run(&emu, &["ls", "-R", &remote(&emu, "d1")]).ok().json();
    assert!(deep
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"].as_str().unwrap().ends_with("c.txt")));

    let table = run(&emu, &["ls", "--table", &home]).ok().stdout;
    let row = table.lines().find(|l| l.ends_with(" a.txt")).expect(&table);
    assert!(row.starts_with("-rw"), "{row}");
    assert!(table.lines().any(|l| l.contains("link -> ")), "{table}");

    let kind = run(&emu, &["file", &remote(&emu, "a.txt")]).ok().stdout;
    assert!(kind.contains("text"), "{kind}");

    // rm asks unless --force; with no answer (stdin is empty) nothing is removed.
    let asked = run(&emu, &["rm", &link]);
    assert_eq!(asked.code, 1);
    assert!(emu.local_path(&link).symlink_metadata().is_ok());
    run(&emu, &["rm", "--force", &link]).ok();
    assert!(emu.local_path(&link).symlink_metadata().is_err());
}
both!(files, file_commands);

fn content_commands(api: ApiVersion) {
    let emu = start(api);
    let path = remote(&emu, "a.txt");
    put(&emu, &path, TEXT);

    let sum = run(&emu, &["checksum", &path]).ok().json();
    assert_eq!(sum["algorithm"], "SHA256");
    assert_eq!(sum["checksum"], format!("{:x}", Sha256::digest(TEXT)));

    assert_eq!(
        run(&emu, &["head", "-n", "2", &path]).ok().stdout,
        "one\ntwo\n"
    );
    assert_eq!(run(&emu, &["head", "-n", "-3", &path]).ok().stdout, "one\n");
    assert_eq!(run(&emu, &["head", "-c", "5", &path]).ok().stdout, "one\nt");
    assert_eq!(run(&emu, &["tail", "-n", "1", &path]).ok().stdout, "four\n");
    assert_eq!(
        run(&emu, &["tail", "-n", "+3", &path]).ok().stdout,
        "three\nfour\n"
    );
    assert_eq!(
        run(&emu, &["tail", &path]).ok().stdout,
        String::from_utf8_lossy(TEXT)
    );
    let head = run(&emu, &["head", "--json", "-n", "2", &path]).ok().json();
    assert_eq!(head["content"], "one\ntwo\n");
    assert_eq!(head["contentType"], "lines");
    let tail = run(&emu, &["tail", "-c", "5", &path, "--json"]).ok().json();
    assert_eq!(tail["content"], "four\n");
    assert_eq!(tail["contentType"], "bytes");
    let both = run(&emu, &["head", "-n", "1", "-c", "1", &path]);
    assert_eq!(both.code, 1);
    assert!(
        both.stderr.contains("cannot specify both"),
        "{}",
        both.stderr
    );

    assert_eq!(
        run(&emu, &["view", &path]).ok().stdout,
        String::from_utf8_lossy(TEXT)
    );
    let view = run(&emu, &["--json", "view", &path]).ok().json();
    assert_eq!(view["content"], String::from_utf8_lossy(TEXT).as_ref());
}
both!(content, content_commands);

fn direct_transfers(api: ApiVersion) {
    let emu = start(api);
    let dir = scratch(&format!("direct-{api:?}"));
    let data = pattern(100_000, 3);
    let local = dir.join("small.bin");
    std::fs::write(&local, &data).unwrap();

    let up = run(
        &emu,
        &["--debug", "upload", local.to_str().unwrap(), &emu.home()],
    )
    .ok();
    assert!(up.stderr.contains("direct transfer"), "{}", up.stderr);
    assert_eq!(
        std::fs::read(emu.local_path(&remote(&emu, "small.bin"))).unwrap(),
        data
    );
    let local = local.to_str().unwrap();
    run(&emu, &["upload", local, &emu.home(), "renamed.bin"]).ok();
    assert_eq!(
        std::fs::read(emu.local_path(&remote(&emu, "renamed.bin"))).unwrap(),
        data
    );

    let back = dir.join("back.bin");
    let down = run(
        &emu,
        &[
            "--debug",
            "download",
            &remote(&emu, "renamed.bin"),
            back.to_str().unwrap(),
        ],
    );
    assert!(down.ok().stderr.contains("direct transfer"));
    assert_eq!(std::fs::read(&back).unwrap(), data);

    // Without a destination: the source's name in the current directory.
    let mut c = command(
        std::path::Path::new(BIN),
        &env_of(&emu),
        &["download", &remote(&emu, "small.bin")],
    );
    finish(c.current_dir(&dir).output().unwrap()).ok();
    assert_eq!(std::fs::read(dir.join("small.bin")).unwrap(), data);
    // Nothing but the files: no temporary left beside them.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["back.bin", "small.bin"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
both!(direct, direct_transfers);

/// Above the direct limit: v2's is 5 MiB (downloads 3/4 of it), so a 6 MiB file goes staged
/// by itself; v1's staged path is asked for with --staged.
fn staged_transfers(api: ApiVersion) {
    let emu = start(api);
    let dir = scratch(&format!("staged-{api:?}"));
    let data = pattern(6 << 20, 7);
    let local = dir.join("big.bin");
    std::fs::write(&local, &data).unwrap();
    let forced: &[&str] = match api {
        ApiVersion::V1 => &["--staged"],
        ApiVersion::V2 => &[],
    };

    let home = emu.home();
    let mut args = vec!["--debug", "upload", local.to_str().unwrap(), &home];
    args.extend(forced);
    let up = run(&emu, &args).ok();
    assert!(up.stderr.contains("staged transfer"), "{}", up.stderr);
    assert_eq!(
        std::fs::read(emu.local_path(&remote(&emu, "big.bin"))).unwrap(),
        data
    );

    let back = dir.join("back.bin");
    let source = remote(&emu, "big.bin");
    let mut args = vec!["--debug", "download", &source, back.to_str().unwrap()];
    args.extend(forced);
    let down = run(&emu, &args).ok();
    assert!(down.stderr.contains("staged transfer"), "{}", down.stderr);
    assert!(std::fs::read(&back).unwrap() == data, "the bytes differ");
    std::fs::remove_dir_all(&dir).unwrap();
}
both!(staged, staged_transfers);

/// compress and extract on the server; `upload -r` and `download -r` move a whole tree.
fn archives_and_directories(api: ApiVersion) {
    let emu = start(api);
    let dir = scratch(&format!("dirs-{api:?}"));
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/a.txt"), b"a\n").unwrap();
    std::fs::write(tree.join("b.bin"), pattern(70_000, 3)).unwrap();

    let home = emu.home();
    run(&emu, &["upload", "-r", tree.to_str().unwrap(), &home]).ok();
    let up = remote(&emu, "tree");
    assert_eq!(
        std::fs::read(emu.local_path(&format!("{up}/sub/a.txt"))).unwrap(),
        b"a\n"
    );

    let archive = remote(&emu, "tree.tar.gz");
    run(&emu, &["compress", &up, &archive]).ok();
    let into = remote(&emu, "into");
    run(&emu, &["mkdir", &into]).ok();
    run(&emu, &["extract", &archive, &into]).ok();
    assert_eq!(
        std::fs::read(emu.local_path(&format!("{into}/tree/b.bin"))).unwrap(),
        pattern(70_000, 3)
    );

    // Into an existing local directory: the tree arrives under its own name.
    let back = dir.join("back");
    std::fs::create_dir(&back).unwrap();
    run(&emu, &["download", "-r", &up, back.to_str().unwrap()]).ok();
    assert_eq!(std::fs::read(back.join("tree/sub/a.txt")).unwrap(), b"a\n");
    assert_eq!(
        std::fs::read(back.join("tree/b.bin")).unwrap(),
        pattern(70_000, 3)
    );
    // Again: the directory exists, so it is refused and left as it is.
    let again = run(&emu, &["download", "-r", &up, back.to_str().unwrap()]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}
both!(archives, archives_and_directories);

/// submit (--wait), job-info, job-metadata, wait-for-job and cancel; a job's output downloaded.
fn job_commands(api: ApiVersion) {
    let emu = start(api);
    let dir = scratch(&format!("jobs-{api:?}"));
    let script = dir.join("job.sh");
    std::fs::write(
        &script,
        "#!/bin/bash\necho \"value $MYVAR\" > out.txt\necho printed\n",
    )
    .unwrap();
    let home = emu.home();
    let script = script.to_str().unwrap();
    let submitted = run(
        &emu,
        &[
            "submit",
            "--wait",
            "--working-dir",
            &home,
            "-e",
            "MYVAR=7",
            script,
        ],
    );
    let stdout = submitted.ok().stdout;
    // Two JSON documents: the submission, then the final information.
    let mut docs = serde_json::Deserializer::from_str(&stdout).into_iter::<serde_json::Value>();
    let id = docs.next().unwrap().unwrap()["jobId"]
        .as_str()
        .unwrap()
        .to_string();
    let info = docs.next().unwrap().unwrap();
    assert_eq!(info[0]["jobId"], id.as_str());
    assert_eq!(info[0]["status"]["state"], "COMPLETED");
    assert_eq!(info[0]["status"]["exitCode"], 0);

    // Its output, downloaded.
    let local = dir.join("out.txt");
    run(
        &emu,
        &[
            "download",
            &format!("{home}/out.txt"),
            local.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(std::fs::read_to_string(&local).unwrap(), "value 7\n");

    let listed = run(&emu, &["job-info", &id]).ok().json();
    assert_eq!(listed[0]["status"]["state"], "COMPLETED");
    let waited = run(&emu, &["wait-for-job", &id]).ok().json();
    assert_eq!(waited[0]["status"]["state"], "COMPLETED");
    if api == ApiVersion::V2 {
        let meta = run(&emu, &["job-metadata", &id]).ok().json();
        assert!(meta[0]["standardOutput"]
            .as_str()
            .unwrap()
            .ends_with(&format!("slurm-{id}.out")));
    }

    // A failing job: its exit code is the command's; a running one can be cancelled.
    std::fs::write(dir.join("fail.sh"), "#!/bin/bash\nexit 4\n").unwrap();
    let failed = run(
        &emu,
        &[
            "submit",
            "--wait",
            "--working-dir",
            &home,
            dir.join("fail.sh").to_str().unwrap(),
        ],
    );
    assert_eq!(failed.code, 4, "{}", failed.stderr);
    put(&emu, &remote(&emu, "sleep.sh"), b"#!/bin/bash\nsleep 60\n");
    let sleeper = run(
        &emu,
        &[
            "submit",
            "--working-dir",
            &home,
            &format!("remote://{home}/sleep.sh"),
        ],
    )
    .ok()
    .json();
    let sleeper = sleeper["jobId"].as_str().unwrap();
    // Attach once the scheduler lists it running (a fresh job may not be listed yet).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let seen = run(&emu, &["job-info", sleeper]);
        if seen.code == 0 && seen.json()[0]["status"]["state"] == "RUNNING" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never running");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let attached = run(&emu, &["attach-to-job", sleeper, "hostname"]);
    match api {
        ApiVersion::V2 => assert_eq!(attached.code, 0, "{}", attached.stderr),
        ApiVersion::V1 => {
            assert_eq!(attached.code, 1);
            assert!(attached.stderr.contains("v1"), "{}", attached.stderr);
        }
    }
    run(&emu, &["cancel", sleeper]).ok();
    let ended = run(&emu, &["wait-for-job", sleeper]).ok().json();
    assert!(
        ended[0]["status"]["state"]
            .as_str()
            .unwrap()
            .starts_with("CANCELLED"),
        "{ended}"
    );
    let unknown = run(&emu, &["job-info", "424242"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("424242"), "{}", unknown.stderr);
}
both!(jobs, job_commands);

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run_with(std::path::Path::new(BIN), &[], &["completions", shell]).ok();
        assert!(out.stdout.contains("firecrest"), "{shell}");
        assert!(out.stdout.contains("upload"), "{shell}");
    }
    let bad = run_with(std::path::Path::new(BIN), &[], &["completions", "tcsh"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn version_and_help_need_no_server() {
    let v = run_with(std::path::Path::new(BIN), &[], &["--version"]).ok();
    assert!(
        v.stdout.starts_with("FirecREST CLI Version: "),
        "{}",
        v.stdout
    );
    let help = run_with(std::path::Path::new(BIN), &[], &["--help"]).ok();
    for command in [
        "server-version",
        "systems",
        "ls",
        "upload",
        "attach-to-job",
        "view",
    ] {
        assert!(
            help.stdout.contains(command),
            "{command} missing from --help"
        );
    }
}
