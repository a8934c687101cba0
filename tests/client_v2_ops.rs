//! Client operations against the v2 emulator, and one body run against v1 and v2 alike.

mod support;

use firecrest::{ApiVersion, ErrorKind, HeadTailOptions, ListOptions};
use support::*;

const TEXT: &str = "line 1\nline 2\nline 3\nline 4\nline 5\n";

/// The operations both versions have, with the same expectations on either.
fn common_operations(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let dir = format!("{}/common", emu.home());

    c.mkdir(&sys, &format!("{dir}/a/b"), true).unwrap();
    c.simple_upload_bytes(&sys, TEXT.as_bytes(), &dir, "f.txt")
        .unwrap();
    let file = format!("{dir}/f.txt");

    let entries = c.list_files(&sys, &dir, ListOptions::default()).unwrap();
    let f = entries
        .iter()
        .find(|e| e.name == "f.txt")
        .expect("f.txt listed");
    assert_eq!((f.kind.as_str(), f.size), ("-", TEXT.len() as u64));
    assert_eq!(f.link_target, None);
    assert!(entries.iter().any(|e| e.name == "a" && e.kind == "d"));

    c.symlink(&sys, &file, &format!("{dir}/link")).unwrap();
    let entries = c.list_files(&sys, &dir, ListOptions::default()).unwrap();
    let link = entries.iter().find(|e| e.name == "link").unwrap();
    assert_eq!(
        (link.kind.as_str(), link.link_target.as_deref()),
        ("l", Some(file.as_str()))
    );

    assert_eq!(c.stat(&sys, &file, false).unwrap().size, TEXT.len() as i64);
    assert_eq!(
        c.checksum(&sys, &file).unwrap(),
        sha256_hex(TEXT.as_bytes())
    );
    assert!(c.file_type(&sys, &file).unwrap().contains("text"));
    let two = HeadTailOptions {
        lines: Some(2),
        ..Default::default()
    };
    assert_eq!(c.head(&sys, &file, two).unwrap(), "line 1\nline 2\n");
    assert_eq!(c.tail(&sys, &file, two).unwrap(), "line 4\nline 5\n");
    let bytes3 = HeadTailOptions {
        bytes: Some(3),
        ..Default::default()
    };
    assert_eq!(c.head(&sys, &file, bytes3).unwrap(), "lin");
    assert_eq!(c.view(&sys, &file).unwrap(), TEXT);

    c.chmod(&sys, &file, "600").unwrap();
    let entries = c.list_files(&sys, &dir, ListOptions::default()).unwrap();
    let f = entries.iter().find(|e| e.name == "f.txt").unwrap();
    assert_eq!(f.permissions, "rw-------");

    c.copy(&sys, &file, &format!("{dir}/copy.txt")).unwrap();
    c.mv(
        &sys,
        &format!("{dir}/copy.txt"),
        &format!("{dir}/a/moved.txt"),
    )
    .unwrap();
    let mut out = Vec::new();
    c.simple_download_to(&sys, &format!("{dir}/a/moved.txt"), &mut out)
        .unwrap();
    assert_eq!(out, TEXT.as_bytes());

    c.remove(&sys, &format!("{dir}/a")).unwrap();
    let e = c
        .list_files(&sys, &format!("{dir}/a"), ListOptions::default())
        .unwrap_err();
    // Each version's own classification: v2 answers 404, v1 400 with X-Invalid-Path.
    match api {
        ApiVersion::V2 => assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}"),
        ApiVersion::V1 => assert_eq!(e.error_header().map(|h| h.0), Some("X-Invalid-Path")),
    }
    assert!(e.message().contains("No such file or directory"), "{e:?}");

    let me = c.whoami(Some(&sys)).unwrap();
    assert_eq!(c.groups(&sys).unwrap().user.name, me);
    let systems = c.all_systems().unwrap();
    assert!(systems
        .iter()
        .any(|s| s.system == sys && s.status == "available"));
}

#[test]
fn common_operations_v1() {
    common_operations(ApiVersion::V1);
}

#[test]
fn common_operations_v2() {
    common_operations(ApiVersion::V2);
}

#[test]
fn detects_v2() {
    let emu = emulator(ApiVersion::V2, |_| {});
    let c = client_with(&emu, options(None));
    assert_eq!(c.api_version().unwrap(), ApiVersion::V2);
}

#[test]
fn systems_and_parameters() {
    let (emu, c) = setup(ApiVersion::V2);
    let systems = c.all_systems().unwrap();
    let status = |name: &str| {
        systems
            .iter()
            .find(|s| s.system == name)
            .map(|s| s.status.clone())
    };
    assert_eq!(status("cluster").as_deref(), Some("available"));
    assert_eq!(status("offline").as_deref(), Some("not available"));
    assert_eq!(c.system(&emu.system()).unwrap().status, "available");
    let e = c.system("nope").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains("nope"), "{e:?}");

    let p = c.parameters().unwrap();
    let mb: f64 = p.get("UTILITIES_MAX_FILE_SIZE").unwrap().parse().unwrap();
    assert!(mb > 0.0);
    assert!(!p.get("FIRECREST_VERSION").unwrap().is_empty());
    let fs = c.filesystems(Some(&emu.system())).unwrap();
    assert!(fs[0]["path"].is_string(), "{fs}");

    for e in [
        c.all_services().map(drop).unwrap_err(),
        c.service("utilities").map(drop).unwrap_err(),
        c.tasks(None).map(drop).unwrap_err(),
        c.task("1").map(drop).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e:?}");
        assert!(e.message().contains("v2"), "{e:?}");
    }
}

#[test]
fn identity() {
    let (emu, c) = setup(ApiVersion::V2);
    let sys = emu.system();
    assert_eq!(c.whoami(Some(&sys)).unwrap(), "testuser");
    assert_eq!(c.whoami(None).unwrap(), "testuser");
    let g = c.groups(&sys).unwrap();
    assert_eq!(g.user.name, "testuser");
    assert!(!g.groups.is_empty());
    let e = c.groups("nope").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains("System not found"), "{e:?}");
}

#[test]
fn server_errors_carry_firecrest_text() {
    let (emu, c) = setup(ApiVersion::V2);
    let sys = emu.system();
    let home = emu.home();

    let e = c.stat(&sys, &format!("{home}/missing"), false).unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::NotFound, 404));
    assert!(e.message().contains("No such file or directory"), "{e:?}");
    assert!(e.message().contains("missing"), "{e:?}");

    let e = c
        .list_files("nope", &home, ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains("System not found"), "{e:?}");

    let e = c
        .list_files(&sys, "relative/dir", ListOptions::default())
        .unwrap_err();
    assert_eq!(e.http_status(), 400, "{e:?}");
    assert!(e.message().contains("is not an absolute path"), "{e:?}");

    let closed = format!("{home}/closed");
    c.mkdir(&sys, &closed, false).unwrap();
    c.chmod(&sys, &closed, "000").unwrap();
    let e = c
        .list_files(&sys, &closed, ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    assert!(e.message().contains("Permission denied"), "{e:?}");
    c.chmod(&sys, &closed, "700").unwrap();

    let e = c.mkdir(&sys, &closed, false).unwrap_err();
    assert_eq!(e.http_status(), 400);
    assert!(e.message().contains("File exists"), "{e:?}");

    let both = HeadTailOptions {
        bytes: Some(1),
        lines: Some(1),
        skip: false,
    };
    let e = c.head(&sys, &closed, both).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);

    let e = c.chown(&sys, &closed, None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);

    let e = c.stat(&sys, "/home/it's", false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn copy_job_failure_reports_the_error_log() {
    let (emu, c) = setup(ApiVersion::V2);
    let sys = emu.system();
    let home = emu.home();
    let e = c
        .copy(
            &sys,
            &format!("{home}/does-not-exist"),
            &format!("{home}/x"),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert!(e.message().contains("No such file or directory"), "{e:?}");
    assert!(e.message().contains("does-not-exist"), "{e:?}");
}

#[test]
fn small_transfer_limits() {
    let (emu, c) = setup(ApiVersion::V2);
    let sys = emu.system();
    let home = emu.home();
    let mb: f64 = c
        .parameters()
        .unwrap()
        .get("UTILITIES_MAX_FILE_SIZE")
        .unwrap()
        .parse()
        .unwrap();
    let limit = (mb * 1048576.0) as usize;

    // At the limit: accepted. One byte over: refused locally, naming size and limit.
    c.simple_upload_bytes(&sys, &bytes(limit, 1), &home, "at-limit.bin")
        .unwrap();
    let before = emu.counter("requests");
    let e = c
        .simple_upload_bytes(&sys, &bytes(limit + 1, 1), &home, "over.bin")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains(&(limit + 1).to_string()), "{e:?}");
    assert!(e.message().contains(&limit.to_string()), "{e:?}");
    assert!(e.message().contains("external_upload"), "{e:?}");
    assert!(!emu.local_path(&format!("{home}/over.bin")).exists());
    // only the limit lookup went out, not the body
    assert!(emu.counter("requests") - before <= 2);

    // Downloads travel base64-encoded: the at-limit file is refused, 3/4 of it passes.
    let mut sink = Vec::new();
    let e = c
        .simple_download_to(&sys, &format!("{home}/at-limit.bin"), &mut sink)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("base64"), "{e:?}");
    assert!(e.message().contains("external_download"), "{e:?}");
    let fits = limit / 4 * 3;
    let data = bytes(fits, 2);
    put_remote(&emu, &format!("{home}/fits.bin"), &data);
    let n = c
        .simple_download_to(&sys, &format!("{home}/fits.bin"), &mut sink)
        .unwrap();
    assert_eq!(n as usize, fits);
    assert_eq!(sha256_hex(&sink), sha256_hex(&data));
}

#[test]
fn simple_file_round_trip() {
    let (emu, c) = setup(ApiVersion::V2);
    let sys = emu.system();
    let home = emu.home();
    let dir = scratch("simple");
    let src = dir.join("in.bin");
    let sum = write_file(&src, 100_000, 3);
    c.simple_upload(&sys, &src, &home, None).unwrap();
    assert_eq!(c.checksum(&sys, &format!("{home}/in.bin")).unwrap(), sum);
    let dst = dir.join("out.bin");
    c.simple_download(&sys, &format!("{home}/in.bin"), &dst)
        .unwrap();
    assert_eq!(sha256_file(&dst), sum);
    let e = c
        .simple_download(&sys, &format!("{home}/nothing"), &dir.join("none"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(!dir.join("none").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn early_job_not_found_is_tolerated() {
    // Real schedulers may not list a fresh job for ~20 s: its GET answers 404 "Job not found."
    let (emu, c) = setup(ApiVersion::V2);
    let (sys, home) = (emu.system(), emu.home());
    c.simple_upload_bytes(&sys, TEXT.as_bytes(), &home, "src.txt")
        .unwrap();
    emu.add_fault(status_fault(
        Some("GET"),
        "/compute/cluster/jobs/",
        404,
        None,
        3,
    ));
    c.copy(&sys, &format!("{home}/src.txt"), &format!("{home}/dst.txt"))
        .unwrap();
    assert_eq!(
        std::fs::read(emu.local_path(&format!("{home}/dst.txt"))).unwrap(),
        TEXT.as_bytes()
    );
}
