//! Every v1 operation against the emulator over loopback: results and error classes.

mod support;

use firecrest::{ApiVersion, ErrorKind, HeadTailOptions, ListOptions};
use support::*;

#[test]
fn detects_v1_with_one_request_and_caches_it() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    assert_eq!(c.known_api_version(), None);
    assert_eq!(c.api_version().unwrap(), ApiVersion::V1);
    assert_eq!(c.api_version().unwrap(), ApiVersion::V1);
    assert_eq!(c.known_api_version(), Some(ApiVersion::V1));
    assert_eq!(emu.counter("GET /status/systems"), 1);
}

#[test]
fn forced_version_sends_no_detection_request() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client_with(
        &emu,
        firecrest::Options {
            api_version: Some(ApiVersion::V1),
            ..fast_options()
        },
    );
    assert_eq!(c.known_api_version(), Some(ApiVersion::V1));
    c.whoami(None).unwrap();
    assert_eq!(emu.counter("GET /status/systems"), 0);
}

#[test]
fn status_calls() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let systems = c.all_systems().unwrap();
    let cluster = systems.iter().find(|s| s.system == "cluster").unwrap();
    assert_eq!(cluster.status, "available");
    let offline = systems.iter().find(|s| s.system == "offline").unwrap();
    assert_eq!(offline.status, "not available");
    assert_eq!(c.system("cluster").unwrap().system, "cluster");
    let e = c.system("nope").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
    assert!(e.message().contains("nope"), "{e}");

    let services = c.all_services().unwrap();
    assert!(services.iter().any(|s| s.service == "utilities"));
    assert_eq!(c.service("utilities").unwrap().service, "utilities");
    assert_eq!(
        c.service("nonexistent").unwrap_err().kind(),
        ErrorKind::NotFound
    );

    let params = c.parameters().unwrap();
    assert!(
        params.get("UTILITIES_MAX_FILE_SIZE").is_some(),
        "{params:?}"
    );
    let fs = c.filesystems(None).unwrap();
    assert!(fs.get("cluster").is_some(), "{fs}");
    let fs = c.filesystems(Some("cluster")).unwrap();
    assert!(fs.is_array(), "{fs}");
}

#[test]
fn identity() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let before = emu.counter("requests");
    c.api_version().unwrap();
    let after_detect = emu.counter("requests");
    assert_eq!(c.whoami(None).unwrap(), "testuser");
    // Only the token request, no FirecREST call.
    assert_eq!(emu.counter("requests") - after_detect, 0, "before {before}");
    assert_eq!(c.whoami(Some("cluster")).unwrap(), "testuser");
    let g = c.groups("cluster").unwrap();
    assert_eq!(g.user.name, "testuser");
    assert!(!g.groups.is_empty());
    let e = c.whoami(Some("nope")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError, "{e:?}");
}

#[test]
fn listing() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    put_remote(&emu, &remote(&emu, "dir1/inner.txt"), b"inner\n");
    put_remote(&emu, &remote(&emu, "dir1/sub/deep.txt"), b"deep\n");
    put_remote(&emu, &remote(&emu, ".hidden"), b"h");
    put_remote(&emu, &remote(&emu, "hello.txt"), b"hello\n");
    let home = emu.home();

    let plain = c
        .list_files("cluster", &home, ListOptions::default())
        .unwrap();
    let names: Vec<&str> = plain.iter().map(|e| e.name.as_str()).collect();
    assert!(
        names.contains(&"hello.txt") && names.contains(&"dir1"),
        "{names:?}"
    );
    assert!(!names.contains(&".hidden"));
    let hello = plain.iter().find(|e| e.name == "hello.txt").unwrap();
    assert_eq!(hello.size, 6);
    assert_eq!(hello.kind, "-");
    assert_eq!(hello.link_target, None);
    assert_eq!(plain.iter().find(|e| e.name == "dir1").unwrap().kind, "d");

    let hidden = c
        .list_files(
            "cluster",
            &home,
            ListOptions {
                show_hidden: true,
                recursive: false,
            },
        )
        .unwrap();
    assert!(hidden.iter().any(|e| e.name == ".hidden"));

    let rec = c
        .list_files(
            "cluster",
            &home,
            ListOptions {
                show_hidden: false,
                recursive: true,
            },
        )
        .unwrap();
    assert!(
        rec.iter().any(|e| e.name.ends_with("sub/deep.txt")),
        "{rec:?}"
    );
}

#[test]
fn file_operations() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let home = emu.home();
    let data = pattern(3000, 1);
    put_remote(&emu, &remote(&emu, "a.bin"), &data);

    c.mkdir("cluster", &format!("{home}/x/y/z"), true).unwrap();
    assert!(emu.local_path(&format!("{home}/x/y/z")).is_dir());
    let e = c.mkdir("cluster", &format!("{home}/x"), false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError);
    assert_eq!(e.error_header().map(|h| h.0), Some("X-Exists"), "{e:?}");
    assert!(
        e.message().contains("cluster") && e.message().contains("/x"),
        "{e}"
    );

    c.copy(
        "cluster",
        &format!("{home}/a.bin"),
        &format!("{home}/b.bin"),
    )
    .unwrap();
    assert_eq!(read_remote(&emu, &format!("{home}/b.bin")), data);
    c.mv(
        "cluster",
        &format!("{home}/b.bin"),
        &format!("{home}/c.bin"),
    )
    .unwrap();
    assert!(!emu.local_path(&format!("{home}/b.bin")).exists());
    assert_eq!(read_remote(&emu, &format!("{home}/c.bin")), data);

    c.chmod("cluster", &format!("{home}/c.bin"), "700").unwrap();
    let st = c.stat("cluster", &format!("{home}/c.bin"), false).unwrap();
    assert_eq!(st.mode & 0o777, 0o700);
    assert_eq!(st.size, 3000);
    let e = c
        .chmod("cluster", &format!("{home}/c.bin"), "999")
        .unwrap_err();
    assert_eq!(
        e.error_header().map(|h| h.0),
        Some("X-Invalid-Mode"),
        "{e:?}"
    );
    let e = c
        .chown(
            "cluster",
            &format!("{home}/c.bin"),
            Some("nosuchuser"),
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError, "{e:?}");
    assert_eq!(
        c.chown("cluster", &format!("{home}/c.bin"), None, None)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );

    c.symlink("cluster", &format!("{home}/c.bin"), &format!("{home}/link"))
        .unwrap();
    let listing = c
        .list_files("cluster", &home, ListOptions::default())
        .unwrap();
    let link = listing.iter().find(|e| e.name == "link").unwrap();
    assert_eq!(link.kind, "l");
    assert!(
        link.link_target.as_deref().unwrap_or("").ends_with("c.bin"),
        "{link:?}"
    );

    assert_eq!(
        c.checksum("cluster", &format!("{home}/c.bin")).unwrap(),
        sha256_hex(&data)
    );
    assert!(!c
        .file_type("cluster", &format!("{home}/c.bin"))
        .unwrap()
        .is_empty());

    c.remove("cluster", &format!("{home}/c.bin")).unwrap();
    assert!(!emu.local_path(&format!("{home}/c.bin")).exists());
    let e = c.remove("cluster", &format!("{home}/c.bin")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError);
    assert_eq!(
        e.error_header().map(|h| h.0),
        Some("X-Invalid-Path"),
        "{e:?}"
    );
}

#[test]
fn head_tail_view() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let text: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    let p = remote(&emu, "hello.txt");
    put_remote(&emu, &p, text.as_bytes());
    let lines = |n| HeadTailOptions {
        lines: Some(n),
        ..Default::default()
    };
    assert_eq!(
        c.head("cluster", &p, lines(3)).unwrap(),
        "line 1\nline 2\nline 3\n"
    );
    assert_eq!(
        c.head(
            "cluster",
            &p,
            HeadTailOptions {
                bytes: Some(4),
                ..Default::default()
            }
        )
        .unwrap(),
        "line"
    );
    assert_eq!(
        c.tail("cluster", &p, lines(2)).unwrap(),
        "line 29\nline 30\n"
    );
    assert_eq!(
        c.tail(
            "cluster",
            &p,
            HeadTailOptions {
                lines: Some(29),
                skip: true,
                ..Default::default()
            }
        )
        .unwrap(),
        "line 29\nline 30\n"
    );
    assert_eq!(c.view("cluster", &p).unwrap().lines().count(), 10);
    let both = HeadTailOptions {
        bytes: Some(1),
        lines: Some(1),
        skip: false,
    };
    assert_eq!(
        c.head("cluster", &p, both).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn error_classes_name_system_and_path() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let missing = remote(&emu, "does-not-exist");
    let e = c
        .list_files("cluster", &missing, ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError);
    assert_eq!(e.http_status(), 400);
    assert_eq!(e.error_header().map(|h| h.0), Some("X-Invalid-Path"));
    assert!(
        e.message().contains("cluster") && e.message().contains(&missing),
        "{e}"
    );

    let e = c.stat("cluster", &missing, false).unwrap_err();
    assert_eq!(e.error_header().map(|h| h.0), Some("X-Not-Found"), "{e:?}");

    let e = c
        .list_files("nope", &emu.home(), ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError);
    assert!(
        e.error_header()
            .unwrap()
            .0
            .starts_with("X-Machine-Does-Not-Exist"),
        "{e:?}"
    );
    assert!(e.message().contains("nope"), "{e}");

    let e = c
        .list_files("offline", &emu.home(), ListOptions::default())
        .unwrap_err();
    assert_eq!(
        e.error_header().map(|h| h.0),
        Some("X-Machine-Not-Available"),
        "{e:?}"
    );

    // X-Permission-Denied is reported as Forbidden, the header kept.
    let e = c
        .list_files("cluster", "/root", ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    assert_eq!(e.error_header().map(|h| h.0), Some("X-Permission-Denied"));

    let e = c.checksum("cluster", &emu.home()).unwrap_err();
    assert_eq!(
        e.error_header().map(|h| h.0),
        Some("X-A-Directory"),
        "{e:?}"
    );

    assert_eq!(
        c.list_files("", "/x", ListOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn simple_transfers() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let dir = scratch("simple");
    let data = pattern(200_000, 7);
    let local = dir.join("up.bin");
    std::fs::write(&local, &data).unwrap();

    c.simple_upload("cluster", &local, &emu.home(), None)
        .unwrap();
    assert_eq!(read_remote(&emu, &remote(&emu, "up.bin")), data);
    c.simple_upload("cluster", &local, &emu.home(), Some("renamed.bin"))
        .unwrap();
    assert_eq!(read_remote(&emu, &remote(&emu, "renamed.bin")), data);
    c.simple_upload_bytes("cluster", b"from memory", &emu.home(), "mem.txt")
        .unwrap();
    assert_eq!(read_remote(&emu, &remote(&emu, "mem.txt")), b"from memory");

    let target = dir.join("down.bin");
    c.simple_download("cluster", &remote(&emu, "up.bin"), &target)
        .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), data);
    let mut buf = Vec::new();
    let n = c
        .simple_download_to("cluster", &remote(&emu, "mem.txt"), &mut buf)
        .unwrap();
    assert_eq!((n, buf.as_slice()), (11, &b"from memory"[..]));
    assert!(c
        .verify_checksum("cluster", &remote(&emu, "up.bin"), &target)
        .unwrap());

    // A failed download leaves neither the target nor a temporary file.
    let e = c
        .simple_download("cluster", &remote(&emu, "nothere.bin"), &dir.join("x.bin"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError, "{e:?}");
    assert_eq!(entries(&dir), vec!["down.bin", "up.bin"]);

    let e = c
        .simple_upload("cluster", &local, "/root", None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    let e = c
        .simple_upload("cluster", &dir.join("missing.bin"), &emu.home(), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.message().contains("missing.bin"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn size_limits() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let limit: u64 = c
        .parameters()
        .unwrap()
        .get("UTILITIES_MAX_FILE_SIZE")
        .unwrap()
        .parse()
        .unwrap();
    let too_big = vec![1u8; (limit * 1024 * 1024 + 1024) as usize];
    put_remote(&emu, &remote(&emu, "big.bin"), &too_big);
    let dir = scratch("limits");
    let e = c
        .simple_download("cluster", &remote(&emu, "big.bin"), &dir.join("big.bin"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError, "{e:?}");
    assert_eq!(e.error_header().map(|h| h.0), Some("X-Size-Limit"));
    assert!(entries(&dir).is_empty());
    let e = c.view("cluster", &remote(&emu, "big.bin")).unwrap_err();
    assert_eq!(e.error_header().map(|h| h.0), Some("X-Size-Limit"));

    let e = c
        .simple_upload_bytes("cluster", &too_big, &emu.home(), "up-big.bin")
        .unwrap_err();
    assert_eq!(e.http_status(), 413, "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Http);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tasks_list_and_single() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    put_remote(&emu, &remote(&emu, "t.bin"), b"task data");
    let mut t = c
        .external_download("cluster", &remote(&emu, "t.bin"))
        .unwrap();
    t.wait(
        firecrest::transfers::DOWNLOAD_READY,
        std::time::Duration::from_secs(30),
    )
    .unwrap();
    let all = c.tasks(None).unwrap();
    assert_eq!(all.len(), 1);
    let id = all[0].task_id.clone();
    assert_eq!(all[0].status, 117);
    let one = c.task(&id).unwrap();
    assert_eq!(one.service, "storage");
    assert_eq!(c.tasks(Some(&[id.as_str()])).unwrap()[0].task_id, id);
    let e = c.task("0123456789abcdef0123456789abcdef").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
}
