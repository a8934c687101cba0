//! Client operations against the emulator, each body run on v1 and v2: results, and the errors
//! for bad paths, unknown systems and permissions (with each version's own classification where
//! the servers differ).

mod support;

use firecrest::{ApiVersion, ErrorKind, HeadTailOptions, ListOptions};
use support::*;

on_both_versions!(
    detects_the_version_with_one_request_and_caches_it,
    forced_version_sends_no_detection_request,
    common_operations,
    systems_and_parameters,
    identity,
    listing,
    file_operations,
    head_tail_view,
    errors_name_system_and_path,
    simple_transfers,
    simple_file_round_trip,
    names_arrive_as_utf8,
    listing_numeric_ids_and_dereferenced,
    recursive_listing_follows_linked_directories,
    scheduler_view,
);

/// Servers before 2.5.0 publish the limits of direct transfers beside the systems, not in
/// each: the client reads either.
#[test]
fn simple_transfers_on_a_2_4_server() {
    as_release("2.4.0", || simple_transfers(ApiVersion::V2));
}

/// Non-ASCII names, which a real v2 server relays as `ls` escapes them (`\303\274`), come back
/// as the names themselves, link targets too.
fn names_arrive_as_utf8(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let dir = remote(&emu, "n\u{e4}mes");
    put_remote(&emu, &format!("{dir}/\u{fc}ber \u{20ac}.txt"), b"x");
    std::os::unix::fs::symlink(
        emu.local_path(&format!("{dir}/\u{fc}ber \u{20ac}.txt")),
        emu.local_path(&format!("{dir}/l\u{ee}nk")),
    )
    .unwrap();
    let entries = c
        .list_files("cluster", &dir, ListOptions::default())
        .unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert!(names.contains(&"\u{fc}ber \u{20ac}.txt"), "{names:?}");
    let link = entries.iter().find(|e| e.kind == "l").expect("the link");
    assert_eq!(link.name, "l\u{ee}nk");
    assert_eq!(
        link.link_target.as_deref(),
        Some(format!("{dir}/\u{fc}ber \u{20ac}.txt").as_str())
    );
    let home = c
        .list_files(
            "cluster",
            &emu.home(),
            ListOptions {
                recursive: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        home.iter()
            .any(|e| e.name == "n\u{e4}mes/\u{fc}ber \u{20ac}.txt"),
        "{home:?}"
    );
}

fn listing_numeric_ids_and_dereferenced(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let dir = remote(&emu, "opts");
    put_remote(&emu, &format!("{dir}/data.txt"), b"12345");
    std::os::unix::fs::symlink(
        emu.local_path(&format!("{dir}/data.txt")),
        emu.local_path(&format!("{dir}/link")),
    )
    .unwrap();
    let list = |options| c.list_files("cluster", &dir, options).unwrap();
    let plain = list(ListOptions::default());
    let link = plain.iter().find(|e| e.name == "link").unwrap();
    assert_eq!(link.kind, "l");
    assert!(link.user.parse::<u32>().is_err(), "a name: {}", link.user);

    let numeric = list(ListOptions {
        numeric_uid: true,
        ..Default::default()
    });
    let data = numeric.iter().find(|e| e.name == "data.txt").unwrap();
    assert!(data.user.parse::<u32>().is_ok(), "a number: {}", data.user);
    assert!(
        data.group.parse::<u32>().is_ok(),
        "a number: {}",
        data.group
    );

    let followed = list(ListOptions {
        dereference: true,
        ..Default::default()
    });
    let link = followed.iter().find(|e| e.name == "link").unwrap();
    assert_eq!((link.kind.as_str(), link.size), ("-", 5), "{link:?}");
    assert_eq!(link.link_target, None);
}

/// `ls -RL`: a link to a directory is listed as the directory and descended into, beneath the
/// root; a link back to a directory being listed is a loop ls refuses, failing the call.
fn recursive_listing_follows_linked_directories(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let dir = remote(&emu, "rl");
    put_remote(&emu, &format!("{dir}/a/f.txt"), b"f");
    put_remote(&emu, &format!("{dir}-other/g.txt"), b"gg");
    std::os::unix::fs::symlink("../rl-other", emu.local_path(&format!("{dir}/link"))).unwrap();
    let list = |dereference| {
        c.list_files(
            "cluster",
            &dir,
            ListOptions {
                recursive: true,
                dereference,
                ..Default::default()
            },
        )
    };
    let names = |entries: &[firecrest::FileEntry]| {
        let mut v: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
        v.sort();
        v
    };
    let plain = list(false).unwrap();
    assert_eq!(names(&plain), ["a", "a/f.txt", "link"]);
    let followed = list(true).unwrap();
    assert_eq!(names(&followed), ["a", "a/f.txt", "link", "link/g.txt"]);
    let g = followed.iter().find(|e| e.name == "link/g.txt").unwrap();
    assert_eq!((g.kind.as_str(), g.size), ("-", 2), "{g:?}");
    let link = followed.iter().find(|e| e.name == "link").unwrap();
    assert_eq!(link.kind, "d", "{link:?}");

    std::os::unix::fs::symlink(".", emu.local_path(&format!("{dir}/a/loop"))).unwrap();
    let e = list(true).unwrap_err();
    assert!(
        e.message().contains("not listing already-listed directory"),
        "{e}"
    );
    // Without dereference the loop is a link like any other.
    assert!(names(&list(false).unwrap()).contains(&"a/loop".to_string()));
}

/// Nodes, partitions and reservations: one shape on both versions (v1 through a compute task,
/// v2 from `/status/{system}/…`), from the emulator's one node, partition and reservation.
fn scheduler_view(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let nodes = c.nodes("cluster").unwrap();
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    assert_eq!(nodes[0].name, "localhost");
    assert_eq!(nodes[0].state, ["IDLE"]);
    assert_eq!(nodes[0].partitions, ["normal"]);
    assert!(nodes[0].features.is_empty(), "(null) is no feature");

    let partitions = c.partitions("cluster").unwrap();
    assert_eq!(partitions.len(), 1, "{partitions:?}");
    let p = &partitions[0];
    assert_eq!((p.name.as_str(), p.state.as_str()), ("normal", "UP"));
    assert_eq!((p.total_cpus, p.total_nodes), (Some(2), Some(1)));
    let default = match api {
        ApiVersion::V1 => Some(true),
        ApiVersion::V2 => None,
    };
    assert_eq!(p.default, default);

    let reservations = c.reservations("cluster").unwrap();
    assert_eq!(reservations.len(), 1, "{reservations:?}");
    let r = &reservations[0];
    assert_eq!(
        (r.name.as_str(), r.nodes.as_str()),
        ("maintenance", "localhost")
    );
    assert_eq!(r.state, "INACTIVE");
    assert_eq!(
        (r.start_time.as_str(), r.end_time.as_str()),
        ("2030-01-01T08:00:00", "2030-01-01T12:00:00")
    );

    let e = c.nodes("nope").unwrap_err();
    assert!(e.message().contains("nodes nope"), "{e}");
    let e = c.partitions("").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

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

fn detects_the_version_with_one_request_and_caches_it(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client_with(&emu, options(None));
    assert_eq!(c.known_api_version(), None);
    assert_eq!(c.api_version().unwrap(), api);
    assert_eq!(c.api_version().unwrap(), api);
    assert_eq!(c.known_api_version(), Some(api));
    assert_eq!(emu.counter("GET /status/systems"), 1);
}

fn forced_version_sends_no_detection_request(api: ApiVersion) {
    let (emu, c) = setup(api);
    assert_eq!(c.known_api_version(), Some(api));
    c.whoami(None).unwrap();
    assert_eq!(emu.counter("GET /status/systems"), 0);
}

fn systems_and_parameters(api: ApiVersion) {
    let (emu, c) = setup(api);
    let systems = c.all_systems().unwrap();
    let status = |name: &str| {
        systems
            .iter()
            .find(|s| s.system == name)
            .map(|s| s.status.clone())
    };
    assert_eq!(status("cluster").as_deref(), Some("available"));
    assert_eq!(status("offline").as_deref(), Some("not available"));
    assert_eq!(c.system(&emu.system()).unwrap().system, "cluster");
    assert_eq!(c.system(&emu.system()).unwrap().status, "available");
    let e = c.system("nope").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
    assert!(e.message().contains("nope"), "{e:?}");

    let p = c.parameters().unwrap();
    let mb: f64 = p.get("UTILITIES_MAX_FILE_SIZE").unwrap().parse().unwrap();
    assert!(mb > 0.0, "{p:?}");
    let fs = c.filesystems(Some(&emu.system())).unwrap();
    assert!(fs.is_array(), "{fs}");

    match api {
        ApiVersion::V1 => {
            let services = c.all_services().unwrap();
            assert!(services.iter().any(|s| s.service == "utilities"));
            assert_eq!(c.service("utilities").unwrap().service, "utilities");
            assert_eq!(
                c.service("nonexistent").unwrap_err().kind(),
                ErrorKind::NotFound
            );
            let fs = c.filesystems(None).unwrap();
            assert!(fs.get("cluster").is_some(), "{fs}");
        }
        ApiVersion::V2 => {
            assert!(!p.get("FIRECREST_VERSION").unwrap().is_empty());
            assert!(fs[0]["path"].is_string(), "{fs}");
            // v2 has no micro-services and no tasks.
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
    }
}

fn identity(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let sys = emu.system();
    c.api_version().unwrap();
    let after_detect = emu.counter("requests");
    assert_eq!(c.whoami(None).unwrap(), "testuser");
    if api == ApiVersion::V1 {
        // Only the token request, no FirecREST call: v1's token names the user.
        assert_eq!(emu.counter("requests") - after_detect, 0);
    }
    assert_eq!(c.whoami(Some(&sys)).unwrap(), "testuser");
    let g = c.groups(&sys).unwrap();
    assert_eq!(g.user.name, "testuser");
    assert!(!g.groups.is_empty());
    // An unknown system.
    match api {
        ApiVersion::V1 => {
            let e = c.whoami(Some("nope")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ApiError, "{e:?}");
        }
        ApiVersion::V2 => {
            let e = c.groups("nope").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NotFound);
            assert!(e.message().contains("System not found"), "{e:?}");
        }
    }
}

fn listing(api: ApiVersion) {
    let emu = emulator(api, |_| {});
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
                ..Default::default()
            },
        )
        .unwrap();
    assert!(hidden.iter().any(|e| e.name == ".hidden"));

    let rec = c
        .list_files(
            "cluster",
            &home,
            ListOptions {
                recursive: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        rec.iter().any(|e| e.name.ends_with("sub/deep.txt")),
        "{rec:?}"
    );
}

fn file_operations(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let home = emu.home();
    let data = pattern(3000, 1);
    put_remote(&emu, &remote(&emu, "a.bin"), &data);

    c.mkdir("cluster", &format!("{home}/x/y/z"), true).unwrap();
    assert!(emu.local_path(&format!("{home}/x/y/z")).is_dir());
    let e = c.mkdir("cluster", &format!("{home}/x"), false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError);
    assert_v1_header(api, &e, "X-Exists");
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
    assert_v1_header(api, &e, "X-Invalid-Mode");
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
    assert_eq!(e.kind(), missing_path_kind(api), "{e:?}");
    assert_v1_header(api, &e, "X-Invalid-Path");
}

fn head_tail_view(api: ApiVersion) {
    let emu = emulator(api, |_| {});
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
    // v1's view shows the first 10 lines, v2's the whole file.
    let shown = match api {
        ApiVersion::V1 => 10,
        ApiVersion::V2 => 30,
    };
    assert_eq!(c.view("cluster", &p).unwrap().lines().count(), shown);
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

fn simple_transfers(api: ApiVersion) {
    let emu = emulator(api, |_| {});
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
    assert_eq!(e.kind(), missing_path_kind(api), "{e:?}");
    assert_eq!(entries(&dir), vec!["down.bin", "up.bin"]);

    if api == ApiVersion::V1 {
        // (v2 answers 400 for a path outside its filesystems.)
        let e = c
            .simple_upload("cluster", &local, "/root", None)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    }
    let e = c
        .simple_upload("cluster", &dir.join("missing.bin"), &emu.home(), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.message().contains("missing.bin"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn errors_name_system_and_path(api: ApiVersion) {
    let (emu, c) = setup(api);
    let (sys, home) = (emu.system(), emu.home());

    // A path that does not exist.
    let missing = remote(&emu, "does-not-exist");
    let e = c
        .list_files(&sys, &missing, ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), missing_path_kind(api), "{e:?}");
    assert!(
        e.message().contains(&sys) && e.message().contains(&missing),
        "{e}"
    );
    let e = c.stat(&sys, &format!("{home}/missing"), false).unwrap_err();
    assert!(e.message().contains("missing"), "{e:?}");
    assert!(e.message().contains("No such file or directory"), "{e:?}");
    match api {
        ApiVersion::V1 => {
            assert_v1_header(api, &e, "X-Not-Found");
            let e = c
                .list_files(&sys, &missing, ListOptions::default())
                .unwrap_err();
            assert_eq!(e.http_status(), 400);
            assert_v1_header(api, &e, "X-Invalid-Path");
        }
        ApiVersion::V2 => assert_eq!((e.kind(), e.http_status()), (ErrorKind::NotFound, 404)),
    }

    // A system that does not exist, and one that is down.
    let e = c
        .list_files("nope", &home, ListOptions::default())
        .unwrap_err();
    assert!(e.message().contains("nope"), "{e}");
    match api {
        ApiVersion::V1 => {
            assert_eq!(e.kind(), ErrorKind::ApiError);
            assert!(
                e.error_header()
                    .unwrap()
                    .0
                    .starts_with("X-Machine-Does-Not-Exist"),
                "{e:?}"
            );
            let e = c
                .list_files("offline", &home, ListOptions::default())
                .unwrap_err();
            assert_v1_header(api, &e, "X-Machine-Not-Available");
        }
        ApiVersion::V2 => {
            assert_eq!(e.kind(), ErrorKind::NotFound);
            assert!(e.message().contains("System not found"), "{e:?}");
        }
    }

    // Permission denied is reported as Forbidden (v1: the X-Permission-Denied header kept).
    if api == ApiVersion::V1 {
        // (v2 answers 400 for a path outside its filesystems.)
        let e = c
            .list_files(&sys, "/root", ListOptions::default())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
        assert_v1_header(api, &e, "X-Permission-Denied");
    }
    let closed = format!("{home}/closed");
    c.mkdir(&sys, &closed, false).unwrap();
    c.chmod(&sys, &closed, "000").unwrap();
    if api == ApiVersion::V2 {
        // (v1's emulator lists a closed directory of its own user.)
        let e = c
            .list_files(&sys, &closed, ListOptions::default())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
        assert!(e.message().contains("Permission denied"), "{e:?}");
    }
    c.chmod(&sys, &closed, "700").unwrap();

    let e = c.mkdir(&sys, &closed, false).unwrap_err();
    assert_eq!(e.http_status(), 400);
    assert!(e.message().contains("File exists"), "{e:?}");

    let e = c.checksum(&sys, &home).unwrap_err();
    assert_v1_header(api, &e, "X-A-Directory");

    if api == ApiVersion::V2 {
        // (v1 lists a relative path from the home directory.)
        let e = c
            .list_files(&sys, "relative/dir", ListOptions::default())
            .unwrap_err();
        assert_eq!(e.http_status(), 400, "{e:?}");
        assert!(e.message().contains("is not an absolute path"), "{e:?}");
    }

    // Refused by the client before any request.
    let both = HeadTailOptions {
        bytes: Some(1),
        lines: Some(1),
        skip: false,
    };
    let e = c.head(&sys, &closed, both).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = c.chown(&sys, &closed, None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    if api == ApiVersion::V2 {
        // (v2 refuses a quote in a path; v1 sends it.)
        let e = c.stat(&sys, "/home/it's", false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    assert_eq!(
        c.list_files("", "/x", ListOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
}

fn simple_file_round_trip(api: ApiVersion) {
    let (emu, c) = setup(api);
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
    assert_eq!(e.kind(), missing_path_kind(api), "{e:?}");
    assert!(!dir.join("none").exists());
    std::fs::remove_dir_all(dir).unwrap();
}
