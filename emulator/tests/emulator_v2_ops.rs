//! v2 filesystem operations beyond the recorded exchanges: sandbox confinement, clean failures.

mod support;

use firecrest_emulator::Config;
use serde_json::json;
use support::v2::V2;
use support::{call, encode};

fn emulator() -> V2 {
    V2::start(Config::default())
}

#[test]
fn tar_errors_show_remote_paths_only() {
    let v2 = emulator();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/nope", "targetPath": "/home/testuser/nope.tgz"}),
    );
    assert_eq!(r.status, 404, "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("nope: Cannot stat: No such file or directory"),
        "{msg}"
    );
    let root = v2.emu.root().to_string_lossy().into_owned();
    assert!(!msg.contains(&root), "local root leaked: {msg}");
}

#[test]
fn symlinks_do_not_lead_out_of_the_sandbox() {
    let v2 = emulator();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/symlink",
        &json!({"path": "/home/testuser/../../etc", "linkPath": "/home/testuser/etc"}),
    );
    // The target is checked like any path: /etc is outside the filesystems.
    assert_eq!(r.status, 400, "{}", r.text());
    std::os::unix::fs::symlink("/etc", v2.emu.local_path("/home/testuser/host-etc")).unwrap();
    let r = v2.get("/filesystem/cluster/ops/view?path=/home/testuser/host-etc/passwd");
    assert_eq!(
        r.status,
        404,
        "a link planted on disk reached the host: {}",
        r.text()
    );
}

#[test]
fn oversized_upload_leaves_no_file() {
    let v2 = emulator();
    let boundary = "b0undary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n"
    )
    .into_bytes();
    body.extend(vec![b'x'; 5 * 1024 * 1024 + 1]);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let auth = v2.bearer();
    let ct = format!("multipart/form-data; boundary={boundary}");
    let r = call(
        &v2.agent,
        "POST",
        &v2.url(&format!(
            "/filesystem/cluster/ops/upload?path={}",
            encode("/home/testuser")
        )),
        &[("Authorization", &auth), ("Content-Type", &ct)],
        Some(body),
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json()["message"], "File to upload is too large.");
    let names: Vec<String> = std::fs::read_dir(v2.emu.local_path("/home/testuser"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn offline_system_is_unavailable_and_unknown_systems_do_not_exist() {
    let v2 = emulator();
    let r = v2.get("/filesystem/offline/ops/ls?path=/home/testuser");
    assert_eq!(r.status, 503);
    let r = v2.get("/filesystem/nope/ops/ls?path=/home/testuser");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["message"], "System not found");
    let systems = v2.get("/status/systems").json();
    assert_eq!(systems["systems"][1]["name"], "offline");
    assert_eq!(systems["systems"][1]["servicesHealth"][0]["healthy"], false);
}

#[test]
fn compress_and_extract_as_transfer_jobs() {
    let v2 = emulator();
    let local = |p: &str| v2.emu.local_path(&format!("/home/testuser/{p}"));
    std::fs::create_dir_all(local("src/sub")).unwrap();
    std::fs::write(local("src/sub/a.txt"), b"archived\n").unwrap();
    std::fs::create_dir(local("out")).unwrap();
    let job = |op: &str, body: serde_json::Value| {
        let r = v2.send_json("POST", &format!("/filesystem/cluster/transfer/{op}"), &body);
        assert_eq!(r.status, 201, "{}", r.text());
        let t = r.json();
        let id = t["transferJob"]["jobId"].as_str().unwrap().to_string();
        let j = v2.wait_job(&id, |s| s == "COMPLETED" || s == "FAILED");
        assert_eq!(j["status"]["state"], "COMPLETED");
        v2.view(t["transferJob"]["logs"]["outputLog"].as_str().unwrap())
    };
    let log = job(
        "compress",
        json!({"path": "/home/testuser/src", "targetPath": "/home/testuser/src.tar.gz", "compression": "gzip"}),
    );
    assert!(log.contains("Files were successfully compressed."), "{log}");
    let log = job(
        "extract",
        json!({"path": "/home/testuser/src.tar.gz", "targetPath": "/home/testuser/out", "compression": "gzip"}),
    );
    assert!(log.contains("Files were successfully extracted."), "{log}");
    assert_eq!(
        std::fs::read(local("out/src/sub/a.txt")).unwrap(),
        b"archived\n"
    );
}

#[test]
fn refusals_name_the_path_once() {
    let v2 = emulator();
    for (method, op, body) in [
        ("POST", "mkdir", json!({"path": "/home/newdir"})),
        (
            "POST",
            "symlink",
            json!({"path": "/home/testuser", "linkPath": "/home/newdir"}),
        ),
    ] {
        let r = v2.send_json(method, &format!("/filesystem/cluster/ops/{op}"), &body);
        assert_eq!(r.status, 403, "{op}: {}", r.text());
        let msg = r.json()["message"].as_str().unwrap().to_string();
        assert_eq!(msg.matches("'/home/newdir'").count(), 1, "{op}: {msg}");
    }
    let r = v2.delete("/filesystem/cluster/ops/rm?path=/home/testuser");
    assert_eq!(r.status, 403, "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.ends_with("rm: cannot remove '/home/testuser': Permission denied"),
        "{msg}"
    );
}

/// Links planted on disk, as a tar extraction could leave them: the OS reads `..` and absolute
/// targets on the host, the emulator inside its root.
#[test]
fn writes_and_transfers_follow_links_inside_the_sandbox_only() {
    let v2 = emulator();
    let local = |p: &str| v2.emu.local_path(&format!("/home/testuser/{p}"));
    // `up` leads to /home, where the user may not write.
    std::os::unix::fs::symlink("..", local("up")).unwrap();
    let r = v2.send_json(
        "PUT",
        "/filesystem/cluster/ops/chmod",
        &json!({"path": "/home/testuser/up", "mode": "700"}),
    );
    assert_eq!(
        r.status,
        403,
        "chmod reached /home through a link: {}",
        r.text()
    );
    // A relative link that climbs out of the root on the host.
    let outside = std::env::temp_dir().join(format!("fe-outside-{}", std::process::id()));
    std::fs::write(&outside, b"host secret").unwrap();
    let depth = v2.emu.local_path("/home/testuser").components().count();
    let climb = format!("{}{}", "../".repeat(depth), outside.display());
    std::os::unix::fs::symlink(&climb, local("climb")).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/transfer/download",
        &json!({"source_path": "/home/testuser/climb", "transfer_directives": {"transferMethod": "s3"}}),
    );
    std::fs::remove_file(&outside).unwrap();
    // Refused up front; the job itself also reads the file through the sandbox only.
    assert_eq!(
        r.status,
        404,
        "a host file was offered for staging: {}",
        r.text()
    );
}

#[test]
fn a_symlink_loop_is_an_error_not_a_host_path() {
    let v2 = emulator();
    let local = |p: &str| v2.emu.local_path(&format!("/home/testuser/{p}"));
    std::os::unix::fs::symlink("loop", local("loop")).unwrap();
    let r = v2.get("/filesystem/cluster/ops/stat?path=/home/testuser/loop/x");
    assert_eq!(r.status, 500, "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.ends_with("cannot access '/home/testuser/loop/x': Too many levels of symbolic links"),
        "{msg}"
    );
}

#[test]
fn extraction_does_not_write_through_a_link_in_the_target() {
    let v2 = emulator();
    let local = |p: &str| v2.emu.local_path(&format!("/home/testuser/{p}"));
    std::fs::create_dir_all(local("src/evil")).unwrap();
    std::fs::write(local("src/evil/f"), b"from the archive").unwrap();
    // Only the member `evil/f`, no `evil/` entry: tar opens the path through what is there.
    let tarred = std::process::Command::new("tar")
        .args(["-czf", "a.tgz", "-C", "src", "evil/f"])
        .current_dir(local(""))
        .status()
        .unwrap();
    assert!(tarred.success());
    let outside = std::env::temp_dir().join(format!("fe-extract-outside-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(local("out/keep")).unwrap();
    std::fs::write(local("out/keep/k"), b"k").unwrap();
    let depth = v2.emu.local_path("/home/testuser/out").components().count();
    let climb = format!("{}{}", "../".repeat(depth), outside.display());
    std::os::unix::fs::symlink(&climb, local("out/evil")).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/extract",
        &json!({"path": "/home/testuser/a.tgz", "targetPath": "/home/testuser/out", "compression": "gzip"}),
    );
    let escaped = std::fs::read_dir(&outside).unwrap().count();
    std::fs::remove_dir_all(&outside).unwrap();
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(escaped, 0, "the archive was extracted outside the root");
    assert_eq!(
        std::fs::read(local("out/evil/f")).unwrap(),
        b"from the archive"
    );
    assert_eq!(std::fs::read(local("out/keep/k")).unwrap(), b"k");
    let left: Vec<_> = std::fs::read_dir(local("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 2, "staging left behind: {left:?}");
}

#[test]
fn compress_does_not_follow_links_out_of_the_root() {
    let v2 = emulator();
    let local = |p: &str| v2.emu.local_path(&format!("/home/testuser/{p}"));
    std::fs::create_dir_all(local("tree")).unwrap();
    let depth = v2
        .emu
        .local_path("/home/testuser/tree")
        .components()
        .count();
    let climb = format!("{}etc/hostname", "../".repeat(depth));
    std::os::unix::fs::symlink(&climb, local("tree/host")).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/tree", "targetPath": "/home/testuser/t.tgz", "dereference": true}),
    );
    // The link is refused as one the user could not read; nothing of the host is archived.
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("/home/testuser/tree/host"),
        "{}",
        r.text()
    );
    assert!(!local("t.tgz").exists(), "an archive was written");
    // A link that stays inside the root is followed: its target's content is archived.
    std::fs::remove_file(local("tree/host")).unwrap();
    std::fs::write(local("real.txt"), b"real").unwrap();
    std::os::unix::fs::symlink("../real.txt", local("tree/inside")).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/tree", "targetPath": "/home/testuser/t.tgz", "dereference": true}),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let listing = std::process::Command::new("tar")
        .args(["-tvzf"])
        .arg(local("t.tgz"))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.starts_with('d') && listing.contains("\n-"),
        "{listing}"
    );
    assert!(
        !listing.contains("\nl"),
        "a link was archived as a link: {listing}"
    );
    std::fs::remove_file(local("t.tgz")).unwrap();
    // Without dereference the link is archived as a link, as tar does.
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/tree", "targetPath": "/home/testuser/t.tgz"}),
    );
    assert_eq!(r.status, 204, "{}", r.text());
}

#[test]
fn copy_and_move_into_home_itself() {
    let v2 = emulator();
    let local = |p: &str| v2.emu.local_path(&format!("/home/testuser/{p}"));
    std::fs::create_dir_all(local("d")).unwrap();
    std::fs::write(local("d/a"), b"a").unwrap();
    std::fs::write(local("d/b"), b"b").unwrap();
    for (op, body) in [
        (
            "cp",
            json!({"sourcePath": "/home/testuser/d/a", "targetPath": "/home/testuser"}),
        ),
        (
            "mv",
            json!({"sourcePath": "/home/testuser/d/b", "targetPath": "/home/testuser"}),
        ),
    ] {
        let r = v2.send_json("POST", &format!("/filesystem/cluster/transfer/{op}"), &body);
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["transferJob"]["jobId"]
            .as_str()
            .unwrap()
            .to_string();
        let job = v2.wait_job(&id, |s| s == "COMPLETED" || s == "FAILED");
        assert_eq!(job["status"]["state"], "COMPLETED", "{op}: {job}");
    }
    assert_eq!(std::fs::read(local("a")).unwrap(), b"a");
    assert_eq!(std::fs::read(local("b")).unwrap(), b"b");
    assert!(!local("d/b").exists());
}

/// `tar -tvzf` of an archive: one line per member (mode, owner, size, time, name).
fn listing(archive: &std::path::Path) -> String {
    let out = std::process::Command::new("tar")
        .arg("-tvzf")
        .arg(archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines.join("\n")
}

#[test]
fn compress_with_dereference_archives_what_tar_h_does() {
    use std::os::unix::fs::PermissionsExt;
    let v2 = emulator();
    let local = |p: &str| v2.emu.local_path(&format!("/home/testuser/{p}"));
    std::fs::create_dir_all(local("deref/sub")).unwrap();
    std::fs::create_dir_all(local("elsewhere/inner")).unwrap();
    std::fs::write(local("deref/plain.txt"), b"plain").unwrap();
    std::fs::write(local("deref/sub/run.sh"), b"#!/bin/sh\n").unwrap();
    std::fs::set_permissions(local("deref/sub/run.sh"), PermissionsExt::from_mode(0o750)).unwrap();
    std::fs::write(local("elsewhere/inner/far.txt"), b"far away").unwrap();
    std::fs::set_permissions(local("elsewhere/inner"), PermissionsExt::from_mode(0o701)).unwrap();
    std::fs::write(local("lonely.txt"), b"lonely").unwrap();
    std::os::unix::fs::symlink("../lonely.txt", local("deref/to-file")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", local("deref/to-dir")).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/deref", "targetPath": "/home/testuser/d.tgz", "dereference": true}),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    // The host's tar -h on the same tree (all of it inside the root) is the reference.
    let reference = local("reference.tgz");
    let made = std::process::Command::new("tar")
        .arg("-czhf")
        .arg(&reference)
        .arg("-C")
        .arg(local(""))
        .arg("deref")
        .status()
        .unwrap();
    assert!(made.success());
    let got = listing(&local("d.tgz"));
    assert_eq!(got, listing(&reference));
    assert!(got.contains("deref/to-dir/inner/far.txt"), "{got}");
    assert!(got.contains("-rwxr-x---"), "{got}");
    let out = std::process::Command::new("tar")
        .arg("-xOzf")
        .arg(local("d.tgz"))
        .arg("deref/to-dir/inner/far.txt")
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"far away");
    // A file reached twice is archived once, then as a hard link to it, as tar -h does.
    std::os::unix::fs::symlink("plain.txt", local("deref/again")).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/deref", "targetPath": "/home/testuser/d2.tgz", "dereference": true}),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let got = listing(&local("d2.tgz"));
    let kinds: Vec<char> = got
        .lines()
        .filter(|l| l.contains("deref/plain.txt") || l.contains("deref/again"))
        .map(|l| l.chars().next().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{got}");
    assert!(kinds.contains(&'h') && kinds.contains(&'-'), "{got}");
}

#[test]
fn compress_with_a_pattern_skips_what_the_user_may_not_read() {
    let v2 = emulator();
    let root_file = v2.emu.local_path("/root/private.txt");
    std::fs::write(&root_file, b"root's own").unwrap();
    std::fs::write(v2.emu.local_path("/home/testuser/mine.txt"), b"mine").unwrap();
    let top = v2.emu.local_path("/home/testuser/top");
    std::os::unix::fs::symlink(v2.emu.root(), top).unwrap();
    // The pattern walks the source's parent, here the whole root, as the user's find would:
    // /root is skipped (find complains, the server's pipeline reports tar's success).
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/top/x", "targetPath": "/home/testuser/all.tgz", "matchPattern": ".*\\.txt"}),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let got = listing(&v2.emu.local_path("/home/testuser/all.tgz"));
    assert!(got.contains("./home/testuser/mine.txt"), "{got}");
    assert!(!got.contains("private"), "{got}");
    // Nor through a link to /root itself: the server's `cd` there fails.
    let to_root = v2.emu.local_path("/home/testuser/r");
    std::os::unix::fs::symlink(v2.emu.local_path("/root"), to_root).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/r/x", "targetPath": "/home/testuser/r.tgz", "matchPattern": ".*"}),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let got = listing(&v2.emu.local_path("/home/testuser/r.tgz"));
    assert!(!got.contains("private"), "{got}");
    // A file the user may not read, in a directory it may: tar fails on it, and says so.
    let hidden = v2.emu.local_path("/home/testuser/hidden.txt");
    std::fs::write(&hidden, b"hidden").unwrap();
    std::fs::set_permissions(&hidden, std::os::unix::fs::PermissionsExt::from_mode(0o200)).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/ops/compress",
        &json!({"path": "/home/testuser/x", "targetPath": "/home/testuser/h.tgz", "matchPattern": ".*hidden.*"}),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text()
            .contains("./hidden.txt: Cannot open: Permission denied"),
        "{}",
        r.text()
    );
}

/// The server's download route answers with a plain `Response(content=…)`, which does not look
/// at `Range`: a client resuming a cut download gets the whole file again with 200.
#[test]
fn ops_download_ignores_range_as_the_server_does() {
    let v2 = emulator();
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(v2.emu.local_path("/home/testuser/r.bin"), &data).unwrap();
    let auth = v2.bearer();
    let r = call(
        &v2.agent,
        "GET",
        &v2.url("/filesystem/cluster/ops/download?path=/home/testuser/r.bin"),
        &[("Authorization", &auth), ("Range", "bytes=1000-")],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Range"), None);
    assert_eq!(r.header("Accept-Ranges"), None);
    assert_eq!(r.body, data);
    assert_eq!(
        v2.emu.counter("GET /filesystem/cluster/ops/download Range"),
        1
    );
}
