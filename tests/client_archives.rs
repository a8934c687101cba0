//! compress, extract and whole-directory transfers against the emulator, on v1 and v2: a tree
//! of 1,000 small files and a few large ones round-trips with identical content and modes, and
//! a failure leaves neither a half-extracted local tree nor a stray remote archive.

mod support;

use firecrest::{ApiVersion, CompressOptions, ErrorKind};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use support::*;

on_both_versions!(
    compress_and_extract,
    compress_follows_links_inside_the_root_only,
    compress_and_extract_errors,
    a_large_tree_round_trips_with_content_and_modes,
    a_small_tree_goes_the_direct_way,
    download_dir_failures_leave_nothing_behind,
    upload_dir_failures_leave_no_remote_archive,
    the_emulator_extracts_nothing_outside_its_root,
    a_refusing_progress_callback_stops_and_cleans_up,
);

/// Every entry under `dir` by relative path: its kind, mode bits and content (files: sha256;
/// links: their target).
fn tree(dir: &Path) -> BTreeMap<String, (char, u32, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (char, u32, String)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let m = fs::symlink_metadata(&p).unwrap();
            let mode = m.mode() & 0o777;
            if m.file_type().is_symlink() {
                let t = fs::read_link(&p).unwrap().to_string_lossy().into_owned();
                out.insert(rel, ('l', 0, t));
            } else if m.is_dir() {
                out.insert(rel, ('d', mode, String::new()));
                walk(root, &p, out);
            } else {
                out.insert(rel, ('-', mode, sha256_file(&p)));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Names in a remote directory that look like a directory transfer's leftovers.
fn leftovers(emu: &firecrest_emulator::Emulator, remote_dir: &str) -> Vec<String> {
    let local = emu.local_path(remote_dir);
    if !local.is_dir() {
        return Vec::new();
    }
    entries(&local)
        .into_iter()
        .filter(|n| n.contains("firecrest"))
        .collect()
}

fn compress_and_extract(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let dir = remote(&emu, "src");
    put_remote(&emu, &format!("{dir}/a.txt"), b"alpha\n");
    put_remote(&emu, &format!("{dir}/sub/b.bin"), &bytes(100_000, 1));
    let archive = remote(&emu, "src.tar.gz");
    c.compress(&sys, &dir, &archive, &CompressOptions::default())
        .unwrap();
    assert!(emu.local_path(&archive).is_file());

    let into = remote(&emu, "out");
    c.mkdir(&sys, &into, true).unwrap();
    c.extract(&sys, &archive, &into).unwrap();
    // The archive holds `src/…`, as `tar -C parent name` makes it.
    assert_eq!(
        tree(&emu.local_path(&dir)),
        tree(&emu.local_path(&format!("{into}/src")))
    );
}

/// `dereference`: links inside the tree are archived as what they point to; a link that
/// resolves outside the emulator's root fails the call and nothing is written.
fn compress_follows_links_inside_the_root_only(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let dir = remote(&emu, "linked");
    put_remote(&emu, &format!("{dir}/a.txt"), b"alpha");
    std::os::unix::fs::symlink("a.txt", emu.local_path(&format!("{dir}/l"))).unwrap();
    let (plain, followed) = (remote(&emu, "plain.tgz"), remote(&emu, "followed.tgz"));
    c.compress(&sys, &dir, &plain, &CompressOptions::default())
        .unwrap();
    let deref = CompressOptions {
        dereference: true,
        ..Default::default()
    };
    c.compress(&sys, &dir, &followed, &deref).unwrap();
    for (archive, link_kept) in [(&plain, true), (&followed, false)] {
        let into = format!("{archive}.d");
        c.mkdir(&sys, &into, false).unwrap();
        c.extract(&sys, archive, &into).unwrap();
        let l = emu.local_path(&format!("{into}/linked/l"));
        let meta = fs::symlink_metadata(&l).unwrap();
        assert_eq!(meta.file_type().is_symlink(), link_kept, "{archive}");
        assert_eq!(fs::read(&l).unwrap(), b"alpha");
    }

    let outside = Scratch::new("deref-outside");
    fs::write(outside.path().join("host.txt"), b"host secret").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("host.txt"),
        emu.local_path(&format!("{dir}/out")),
    )
    .unwrap();
    let leak = remote(&emu, "leak.tgz");
    let e = c.compress(&sys, &dir, &leak, &deref).unwrap_err();
    assert!(e.message().contains(&format!("{dir}/out")), "{e}");
    assert!(!emu.local_path(&leak).exists());
    // Without dereference the link itself is archived, which reads nothing outside.
    c.compress(&sys, &dir, &leak, &CompressOptions::default())
        .unwrap();
}

/// v2's `matchPattern`: the regular files under the source's parent whose `./…` path matches.
#[test]
fn v2_compress_with_a_match_pattern() {
    let (emu, c) = setup(ApiVersion::V2);
    let sys = emu.system();
    let dir = remote(&emu, "mixed");
    put_remote(&emu, &format!("{dir}/keep.txt"), b"keep");
    put_remote(&emu, &format!("{dir}/sub/also.txt"), b"also");
    put_remote(&emu, &format!("{dir}/drop.bin"), b"drop");
    let archive = remote(&emu, "mixed.tgz");
    let options = CompressOptions {
        match_pattern: Some(".*\\.txt".into()),
        ..Default::default()
    };
    c.compress(&sys, &dir, &archive, &options).unwrap();
    let into = remote(&emu, "txt-only");
    c.mkdir(&sys, &into, false).unwrap();
    c.extract(&sys, &archive, &into).unwrap();
    let got = tree(&emu.local_path(&into));
    let files: Vec<_> = got
        .iter()
        .filter(|(_, v)| v.0 == '-')
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(files, ["mixed/keep.txt", "mixed/sub/also.txt"]);
}

fn compress_and_extract_errors(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let missing = remote(&emu, "nope");
    let e = c
        .compress(
            &sys,
            &missing,
            &remote(&emu, "x.tar.gz"),
            &Default::default(),
        )
        .unwrap_err();
    assert!(
        e.message()
            .starts_with(&format!("compress {sys}:{missing}")),
        "{e}"
    );

    let e = c
        .extract(&sys, &remote(&emu, "none.tar.gz"), &emu.home())
        .unwrap_err();
    assert!(e.message().starts_with("extract "), "{e}");
    assert!(e.message().contains("none.tar.gz"), "{e}");

    put_remote(&emu, &remote(&emu, "d/f"), b"f");
    let with_pattern = CompressOptions {
        match_pattern: Some(".*\\.txt".into()),
        ..Default::default()
    };
    if api == ApiVersion::V1 {
        // v1 has no such option: refused before any request.
        let before = emu.counter("requests");
        let e = c
            .compress(
                &sys,
                &remote(&emu, "d"),
                &remote(&emu, "d.tar.gz"),
                &with_pattern,
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
        assert!(e.message().contains("match pattern"), "{e}");
        assert_eq!(emu.counter("requests"), before);
    }
    let e = c
        .compress(
            &sys,
            &remote(&emu, "d"),
            &remote(&emu, "d.tar.gz"),
            &CompressOptions {
                match_pattern: Some(String::new()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.message().contains("match_pattern is empty"), "{e}");
}

/// The tree of the issue: 1,000 small files in nested directories, a few large ones, a mix of
/// modes and a symlink inside the tree.
fn make_tree(root: &Path) {
    let file_modes = [0o644, 0o600, 0o755, 0o640, 0o700];
    let dir_modes = [0o755, 0o700, 0o750];
    for d in 0..10 {
        let dir = root.join(format!("d{d}/sub{}", d % 3));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..100 {
            let p = dir.join(format!("f{f:03}.dat"));
            fs::write(
                &p,
                bytes(10 + (f * 37 + d * 11) % 900, (d * 100 + f) as u64),
            )
            .unwrap();
            let mode = file_modes[(d + f) % file_modes.len()];
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    for i in 0..3 {
        write_file(&root.join(format!("large{i}.bin")), 3 << 20, 1000 + i);
    }
    fs::write(root.join("empty"), b"").unwrap();
    std::os::unix::fs::symlink("d1/sub1/f001.dat", root.join("link")).unwrap();
    for d in 0..10 {
        let mode = dir_modes[d % dir_modes.len()];
        fs::set_permissions(root.join(format!("d{d}")), fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn a_large_tree_round_trips_with_content_and_modes(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let scratch = Scratch::new("dir-round-trip");
    let src = scratch.path().join("tree");
    make_tree(&src);
    let original = tree(&src);
    assert_eq!(original.values().filter(|v| v.0 == '-').count(), 1004);

    // Staged both ways: 9 MiB of incompressible data is above the 5 MiB direct limit.
    let seen = Arc::new(AtomicU64::new(0));
    let s = Arc::clone(&seen);
    let progress: firecrest::ProgressFn = Box::new(move |done, _| {
        s.store(done, Ordering::SeqCst);
        true
    });
    let remote_dir = remote(&emu, "project/tree");
    c.upload_dir(&sys, &src, &remote_dir, Some(progress))
        .unwrap();
    assert!(
        seen.load(Ordering::SeqCst) > 9 << 20,
        "progress followed the staged send"
    );
    assert_eq!(tree(&emu.local_path(&remote_dir)), original);
    assert_eq!(leftovers(&emu, &remote_dir), Vec::<String>::new());

    let back = scratch.path().join("back");
    c.download_dir(&sys, &remote_dir, &back, None).unwrap();
    assert_eq!(tree(&back), original);
    assert_eq!(
        leftovers(&emu, &remote(&emu, "project")),
        Vec::<String>::new()
    );
    assert_eq!(entries(scratch.path()), ["back", "tree"]);
}

fn a_small_tree_goes_the_direct_way(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let scratch = Scratch::new("dir-small");
    let src = scratch.path().join("small");
    fs::create_dir_all(src.join("a/b")).unwrap();
    fs::write(src.join("a/b/c.txt"), b"c").unwrap();
    fs::write(src.join("top.sh"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(src.join("top.sh"), fs::Permissions::from_mode(0o755)).unwrap();

    // Into an existing directory: merged, files of the same name replaced, others kept.
    let remote_dir = remote(&emu, "small");
    put_remote(&emu, &format!("{remote_dir}/keep.txt"), b"kept");
    put_remote(&emu, &format!("{remote_dir}/top.sh"), b"old");
    let staged = transfer_path(api, "upload");
    c.upload_dir(&sys, &src, &remote_dir, None).unwrap();
    assert_eq!(
        emu.counter(&format!("POST {staged}")),
        0,
        "no staged transfer"
    );
    assert_eq!(
        read_remote(&emu, &format!("{remote_dir}/keep.txt")),
        b"kept"
    );
    assert_eq!(
        read_remote(&emu, &format!("{remote_dir}/top.sh")),
        b"#!/bin/sh\n"
    );
    assert_eq!(read_remote(&emu, &format!("{remote_dir}/a/b/c.txt")), b"c");

    let back = scratch.path().join("back");
    c.download_dir(&sys, &remote_dir, &back, None).unwrap();
    let mut expected = tree(&src);
    expected.insert("keep.txt".into(), ('-', 0o644, sha256_hex(b"kept")));
    assert_eq!(tree(&back), expected);

    // An existing local target is refused before any request.
    let before = emu.counter("requests");
    let e = c.download_dir(&sys, &remote_dir, &back, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.message().contains("exists"), "{e}");
    assert_eq!(emu.counter("requests"), before);
}

fn download_dir_failures_leave_nothing_behind(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let scratch = Scratch::new("dir-fail-down");
    let target = scratch.path().join("out");

    // No such remote directory.
    let e = c
        .download_dir(&sys, &remote(&emu, "missing"), &target, None)
        .unwrap_err();
    assert!(e.message().starts_with("download_dir "), "{e}");
    assert!(e.message().contains("missing"), "{e}");
    assert_eq!(entries(scratch.path()), Vec::<String>::new());
    assert_eq!(leftovers(&emu, &emu.home()), Vec::<String>::new());

    // The archive is made, then its download fails for good: no local tree, no remote archive.
    put_remote(&emu, &remote(&emu, "data/x.txt"), b"x");
    emu.add_fault(status_fault(None, &ops_path(api, "download"), 500, None, 0));
    let e = c
        .download_dir(&sys, &remote(&emu, "data"), &target, None)
        .unwrap_err();
    assert_eq!(e.http_status(), 500, "{e}");
    assert_eq!(entries(scratch.path()), Vec::<String>::new());
    assert_eq!(leftovers(&emu, &emu.home()), Vec::<String>::new());
}

fn upload_dir_failures_leave_no_remote_archive(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let scratch = Scratch::new("dir-fail-up");
    let src = scratch.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("f"), b"f").unwrap();
    let remote_dir = remote(&emu, "up");

    emu.add_fault(status_fault(
        Some("POST"),
        &ops_path(api, "extract"),
        500,
        None,
        0,
    ));
    let e = c.upload_dir(&sys, &src, &remote_dir, None).unwrap_err();
    assert!(e.message().starts_with("upload_dir "), "{e}");
    assert!(e.message().contains("extract"), "{e}");
    assert_eq!(leftovers(&emu, &remote_dir), Vec::<String>::new());

    // A link out of the tree is refused before anything is sent.
    std::os::unix::fs::symlink("/etc/passwd", src.join("evil")).unwrap();
    let before = emu.counter("requests");
    let e = c.upload_dir(&sys, &src, &remote_dir, None).unwrap_err();
    assert!(e.message().contains("evil"), "{e}");
    assert!(e.message().contains("outside"), "{e}");
    assert_eq!(emu.counter("requests"), before);

    // Not a directory.
    let e = c
        .upload_dir(&sys, &src.join("f"), &remote_dir, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn v2_compress_runs_as_a_job_when_the_command_times_out() {
    let (emu, c) = setup(ApiVersion::V2);
    let sys = emu.system();
    put_remote(&emu, &remote(&emu, "slow/f"), b"f");
    emu.add_fault(status_fault(
        Some("POST"),
        "/filesystem/cluster/ops/compress",
        408,
        None,
        1,
    ));
    emu.add_fault(status_fault(
        Some("POST"),
        "/filesystem/cluster/ops/extract",
        408,
        None,
        1,
    ));
    let archive = remote(&emu, "slow.tar.gz");
    c.compress(&sys, &remote(&emu, "slow"), &archive, &Default::default())
        .unwrap();
    assert_eq!(emu.counter("POST /filesystem/cluster/transfer/compress"), 1);
    let into = remote(&emu, "again");
    c.mkdir(&sys, &into, false).unwrap();
    c.extract(&sys, &archive, &into).unwrap();
    assert_eq!(emu.counter("POST /filesystem/cluster/transfer/extract"), 1);
    assert_eq!(read_remote(&emu, &format!("{into}/slow/f")), b"f");
}

/// An archive built by hand as a hostile user could: a member climbing out with `..`, an
/// absolute one, and a symlink to a host directory followed by a member through it.
fn hostile_archive(outside: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        let raw = |b: &mut tar::Builder<_>, name: &str| {
            let mut h = tar::Header::new_gnu();
            h.set_size(4);
            h.set_mode(0o644);
            // Written raw: the tar crate's own setters refuse such names.
            h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, &b"evil"[..]).unwrap();
        };
        raw(&mut b, "../../../../../../../../escaped.txt");
        raw(&mut b, &format!("{}/absolute.txt", outside.display()));
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, "door", outside).unwrap();
        raw(&mut b, "door/planted.txt");
        b.into_inner().unwrap().finish().unwrap();
    }
    out
}

/// The server's extraction (the emulator's tar) never writes outside the emulator's root,
/// whatever the archive holds.
fn the_emulator_extracts_nothing_outside_its_root(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let outside = Scratch::new("outside-the-root");
    let archive = remote(&emu, "hostile.tar.gz");
    put_remote(&emu, &archive, &hostile_archive(outside.path()));
    let into = remote(&emu, "landing");
    c.mkdir(&sys, &into, true).unwrap();
    // tar refuses some members and may still extract others: either answer is fine, as long
    // as nothing lands outside.
    let _ = c.extract(&sys, &archive, &into);
    assert_eq!(entries(outside.path()), Vec::<String>::new());
    let root_parent = emu.root().parent().unwrap();
    assert!(!root_parent.join("escaped.txt").exists());
    assert!(!Path::new("/escaped.txt").exists());
}

/// A progress callback that says stop: the call fails with AbortedByCallback, nothing is
/// extracted remotely or locally, and no archive is left on the server.
fn a_refusing_progress_callback_stops_and_cleans_up(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let scratch = Scratch::new("dir-abort");
    let src = scratch.path().join("src");
    fs::create_dir_all(&src).unwrap();
    // Above the direct limit, so the staged path's own progress reports are refused.
    write_file(&src.join("big.bin"), 6 << 20, 9);
    let remote_dir = remote(&emu, "aborted");
    let stop: firecrest::ProgressFn = Box::new(|_, _| false);
    let e = c
        .upload_dir(&sys, &src, &remote_dir, Some(stop))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AbortedByCallback, "{e}");
    assert!(!emu.local_path(&format!("{remote_dir}/big.bin")).exists());
    assert_eq!(leftovers(&emu, &remote_dir), Vec::<String>::new());

    put_remote(&emu, &remote(&emu, "small/f.txt"), b"f");
    let back = scratch.path().join("back");
    let stop: firecrest::ProgressFn = Box::new(|_, _| false);
    let e = c
        .download_dir(&sys, &remote(&emu, "small"), &back, Some(stop))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AbortedByCallback, "{e}");
    assert_eq!(entries(scratch.path()), ["src"]);
    assert_eq!(leftovers(&emu, &emu.home()), Vec::<String>::new());
}
