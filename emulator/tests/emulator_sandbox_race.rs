//! The sandbox under a race: while requests read, write, chmod, create, archive, extract and
//! remove files below a directory, another thread swaps that directory for a relative symlink
//! climbing out of the root (`../../../../outside`) and back, as fast as it can. Whatever each
//! request resolved, nothing outside the root may be read, written, changed or removed, on
//! either API version.
//!
//! Archives are checked too: compressions of the tree holding the swapped directory, with
//! `dereference` and (v2) `matchPattern`, must never hold a byte of a file outside the root.
//!
//! The run lasts `FIRECREST_RACE_SECS` seconds per version (default 3).

mod support;

use firecrest_emulator::{ApiVersion, Config, Emulator};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{agent, call, encode, form, multipart, token};

const SECRET: &[u8] = b"OUTSIDE-THE-ROOT\n";
/// A name only the outside directory has: a listing showing it listed outside the root.
const OUTSIDE_ONLY: &str = "only-outside";
const RACE: &str = "/home/testuser/race";
/// Where the archives of `RACE` are made (outside the tree they archive).
const ARCS: &str = "/home/testuser/arcs";

/// A started emulator whose root has a sibling directory `outside` the requests must never
/// reach.
struct Setup {
    emu: Emulator,
    outside: PathBuf,
    _dir: tempfile::TempDir,
}

fn setup(api: ApiVersion) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), SECRET).unwrap();
    std::fs::set_permissions(outside.join("secret"), PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::write(outside.join("victim"), SECRET).unwrap();
    std::fs::write(outside.join(OUTSIDE_ONLY), SECRET).unwrap();
    let emu = Emulator::start(Config {
        api,
        root: Some(root),
        ..Config::default()
    })
    .unwrap();
    let d = emu.local_path(&format!("{RACE}/d"));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::create_dir_all(emu.local_path(ARCS)).unwrap();
    std::fs::write(d.join("secret"), b"inside\n").unwrap();
    std::fs::write(d.join("victim"), b"inside\n").unwrap();
    // An archive beside `d` whose member an extraction into `d` writes.
    let member = tempfile::tempdir().unwrap();
    std::fs::write(member.path().join("member.txt"), b"member\n").unwrap();
    let archive = emu.local_path(&format!("{RACE}/arc.tar.gz"));
    let made = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(member.path())
        .arg("member.txt")
        .status()
        .unwrap();
    assert!(made.success());
    Setup {
        emu,
        outside,
        _dir: dir,
    }
}

/// What `outside` holds: names, modes and contents.
fn snapshot(outside: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(outside)
        .unwrap()
        .flatten()
        .map(|e| {
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let data = if m.is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (
                e.file_name().to_string_lossy().into_owned(),
                m.permissions().mode(),
                data,
            )
        })
        .collect();
    v.sort();
    v
}

/// One request of the mix, numbered `n`; true when its answer shows a file from outside.
type Request = dyn Fn(&ureq::Agent, usize) -> bool + Send + Sync;

/// Whether `body` holds the outside files' content.
fn leaked(body: &[u8]) -> bool {
    body.windows(SECRET.len() - 1)
        .any(|w| w == &SECRET[..SECRET.len() - 1])
}

/// Whether the archive the emulator made at `local` (if any) holds a byte from outside, or a
/// name only the outside directory has: its members are extracted to stdout and listed. The
/// archive is removed after; `made` counts the archives checked.
fn archive_leaked(local: &Path, made: &AtomicUsize) -> bool {
    if !local.exists() {
        return false;
    }
    made.fetch_add(1, Ordering::SeqCst);
    let tar = |mode: &str| {
        std::process::Command::new("tar")
            .arg(mode)
            .arg(local)
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default()
    };
    let (contents, listing) = (tar("-xOf"), tar("-tf"));
    let _ = std::fs::remove_file(local);
    leaked(&contents) || String::from_utf8_lossy(&listing).contains(OUTSIDE_ONLY)
}

/// The request mix; `made` counts the archives of `RACE` made and checked.
fn requests(emu: &Emulator, api: ApiVersion, made: &Arc<AtomicUsize>) -> Vec<Arc<Request>> {
    let base = emu.url();
    let auth = format!("Bearer {}", token(emu));
    let file = format!("{RACE}/d/secret");
    let arcs = emu.local_path(ARCS);
    let mut out: Vec<Arc<Request>> = Vec::new();
    match api {
        ApiVersion::V2 => {
            let h = [("Authorization".to_string(), auth.clone())];
            let get = {
                let (base, h) = (base.clone(), h.clone());
                move |a: &ureq::Agent, op: &str, path: &str| {
                    let url = format!("{base}/filesystem/cluster/ops/{op}?path={}", encode(path));
                    call(a, "GET", &url, &[("Authorization", &h[0].1)], None).body
                }
            };
            for op in ["head", "view", "download", "checksum", "file"] {
                let (get, file) = (get.clone(), file.clone());
                out.push(Arc::new(move |a: &ureq::Agent, _| {
                    leaked(&get(a, op, &file))
                }));
            }
            let json = {
                let base = base.clone();
                let auth = auth.clone();
                move |a: &ureq::Agent, method: &str, op: &str, body: serde_json::Value| {
                    let url = format!("{base}/filesystem/cluster/ops/{op}");
                    let h = [
                        ("Authorization", auth.as_str()),
                        ("Content-Type", "application/json"),
                    ];
                    call(a, method, &url, &h, Some(body.to_string().into_bytes()));
                }
            };
            {
                let json = json.clone();
                out.push(Arc::new(move |a: &ureq::Agent, n| {
                    let mode = if n % 2 == 0 { "777" } else { "644" };
                    json(a, "PUT", "chmod", serde_json::json!({"path": format!("{RACE}/d/secret"), "mode": mode}));
                    json(a, "POST", "mkdir", serde_json::json!({"path": format!("{RACE}/d/new-{n}")}));
                    json(a, "POST", "symlink", serde_json::json!({"path": format!("{RACE}/d/secret"), "linkPath": format!("{RACE}/d/link-{n}")}));
                    false
                }));
            }
            {
                let json = json.clone();
                out.push(Arc::new(move |a: &ureq::Agent, n| {
                    let arc = format!("{RACE}/arc.tar.gz");
                    json(a, "POST", "compress", serde_json::json!({"path": format!("{RACE}/d/secret"), "targetPath": format!("{RACE}/d/arc-{n}.tar.gz")}));
                    json(a, "POST", "extract", serde_json::json!({"path": arc, "targetPath": format!("{RACE}/d")}));
                    false
                }));
            }
            {
                // The tree above the swapped directory, archived with its links followed or
                // its files picked by a pattern (which walks the path's parent, here `RACE`).
                let (json, arcs, made) = (json.clone(), arcs.clone(), made.clone());
                out.push(Arc::new(move |a: &ureq::Agent, n| {
                    let target = format!("{ARCS}/deref-{n}.tar.gz");
                    json(a, "POST", "compress", serde_json::json!({"path": RACE, "targetPath": target, "dereference": true}));
                    let mut leak = archive_leaked(&arcs.join(format!("deref-{n}.tar.gz")), &made);
                    let target = format!("{ARCS}/pattern-{n}.tar.gz");
                    let body = serde_json::json!({"path": format!("{RACE}/d"), "targetPath": target, "matchPattern": ".*secret", "dereference": n % 2 == 0});
                    json(a, "POST", "compress", body);
                    leak |= archive_leaked(&arcs.join(format!("pattern-{n}.tar.gz")), &made);
                    leak
                }));
            }
            {
                // Transfer jobs do their work later, on the files resolved at submission.
                let (base, auth) = (base.clone(), auth.clone());
                out.push(Arc::new(move |a: &ureq::Agent, n| {
                    let h = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
                    let job = |op: &str, body: serde_json::Value| {
                        let url = format!("{base}/filesystem/cluster/transfer/{op}");
                        call(a, "POST", &url, &h, Some(body.to_string().into_bytes()));
                    };
                    let secret = format!("{RACE}/d/secret");
                    job("cp", serde_json::json!({"path": secret, "targetPath": format!("{RACE}/d/cp-{n}")}));
                    job("mv", serde_json::json!({"path": format!("{RACE}/d/cp-{}", n.saturating_sub(1)), "targetPath": format!("{RACE}/d/mv-{n}")}));
                    // Jobs are threads of the emulator: a few dozen a second is plenty.
                    std::thread::sleep(Duration::from_millis(20));
                    false
                }));
            }
            {
                let (base, auth) = (base.clone(), auth.clone());
                out.push(Arc::new(move |a: &ureq::Agent, n| {
                    let (ct, body) = multipart(&[("file", Some(&format!("up-{n}")), b"uploaded")]);
                    let url = format!(
                        "{base}/filesystem/cluster/ops/upload?path={}",
                        encode(&format!("{RACE}/d"))
                    );
                    call(
                        a,
                        "POST",
                        &url,
                        &[("Authorization", &auth), ("Content-Type", &ct)],
                        Some(body),
                    );
                    let url = format!(
                        "{base}/filesystem/cluster/ops/rm?path={}",
                        encode(&format!("{RACE}/d/victim"))
                    );
                    call(a, "DELETE", &url, &[("Authorization", &auth)], None);
                    false
                }));
            }
            {
                let h = h.clone();
                out.push(Arc::new(move |a: &ureq::Agent, _| {
                    let path = encode(RACE);
                    let url =
                        format!("{base}/filesystem/cluster/ops/ls?path={path}&recursive=true");
                    let listed = call(a, "GET", &url, &[("Authorization", &h[0].1)], None);
                    listed.text().contains(OUTSIDE_ONLY)
                }));
            }
        }
        ApiVersion::V1 => {
            let hdr = move |auth: &str| -> Vec<(String, String)> {
                vec![
                    ("Authorization".into(), auth.to_string()),
                    ("X-Machine-Name".into(), "cluster".into()),
                ]
            };
            let h = hdr(&auth);
            let get = {
                let (base, h) = (base.clone(), h.clone());
                move |a: &ureq::Agent, op: &str, path: &str| {
                    let url = format!("{base}/utilities/{op}?targetPath={}", encode(path));
                    let hs: Vec<(&str, &str)> =
                        h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    call(a, "GET", &url, &hs, None).body
                }
            };
            for op in ["head", "view", "download", "checksum", "file"] {
                let (get, file) = (get.clone(), file.clone());
                out.push(Arc::new(move |a: &ureq::Agent, _| {
                    leaked(&get(a, op, &file))
                }));
            }
            let send = {
                let (base, h) = (base.clone(), h.clone());
                move |a: &ureq::Agent, method: &str, op: &str, fields: &[(&str, &str)]| {
                    let url = format!("{base}/utilities/{op}");
                    let (ct, body) = form(fields);
                    let mut hs: Vec<(&str, &str)> =
                        h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    hs.push(("Content-Type", ct));
                    call(a, method, &url, &hs, Some(body));
                }
            };
            {
                let send = send.clone();
                out.push(Arc::new(move |a: &ureq::Agent, n| {
                    let mode = if n % 2 == 0 { "777" } else { "644" };
                    let secret = format!("{RACE}/d/secret");
                    send(
                        a,
                        "PUT",
                        "chmod",
                        &[("targetPath", &secret), ("mode", mode)],
                    );
                    send(
                        a,
                        "POST",
                        "mkdir",
                        &[("targetPath", &format!("{RACE}/d/new-{n}"))],
                    );
                    send(
                        a,
                        "POST",
                        "symlink",
                        &[
                            ("targetPath", &secret),
                            ("linkPath", &format!("{RACE}/d/link-{n}")),
                        ],
                    );
                    let archive = format!("{RACE}/d/arc-{n}.tar.gz");
                    let compress = [("sourcePath", secret.as_str()), ("targetPath", &archive)];
                    send(a, "POST", "compress", &compress);
                    let arc = format!("{RACE}/arc.tar.gz");
                    let into = format!("{RACE}/d");
                    send(
                        a,
                        "POST",
                        "extract",
                        &[("sourcePath", &arc), ("targetPath", &into)],
                    );
                    false
                }));
            }
            {
                // The tree above the swapped directory, archived with its links followed.
                let (send, arcs, made) = (send.clone(), arcs.clone(), made.clone());
                out.push(Arc::new(move |a: &ureq::Agent, n| {
                    let target = format!("{ARCS}/deref-{n}.tar.gz");
                    let fields = [
                        ("sourcePath", RACE),
                        ("targetPath", &target),
                        ("dereference", "true"),
                    ];
                    send(a, "POST", "compress", &fields);
                    archive_leaked(&arcs.join(format!("deref-{n}.tar.gz")), &made)
                }));
            }
            {
                let (base, h) = (base.clone(), h.clone());
                out.push(Arc::new(move |a: &ureq::Agent, _| {
                    let url = format!(
                        "{base}/utilities/ls?targetPath={}&recursive=true",
                        encode(RACE)
                    );
                    let hs: Vec<(&str, &str)> =
                        h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    call(a, "GET", &url, &hs, None)
                        .text()
                        .contains(OUTSIDE_ONLY)
                }));
            }
            {
                let (base, h) = (base.clone(), h.clone());
                let send = send.clone();
                out.push(Arc::new(move |a: &ureq::Agent, n| {
                    let dir = format!("{RACE}/d");
                    let (ct, body) = multipart(&[
                        ("targetPath", None, dir.as_bytes()),
                        ("file", Some(&format!("up-{n}")), b"uploaded"),
                    ]);
                    let mut hs: Vec<(&str, &str)> =
                        h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    hs.push(("Content-Type", &ct));
                    call(
                        a,
                        "POST",
                        &format!("{base}/utilities/upload"),
                        &hs,
                        Some(body),
                    );
                    send(
                        a,
                        "DELETE",
                        "rm",
                        &[("targetPath", &format!("{RACE}/d/victim"))],
                    );
                    send(
                        a,
                        "PUT",
                        "rename",
                        &[
                            ("sourcePath", &format!("{RACE}/d/up-{n}")),
                            ("targetPath", &format!("{RACE}/d/mv-{n}")),
                        ],
                    );
                    false
                }));
            }
        }
    }
    out
}

/// Races the request mix against the swapper for the configured time; returns how many
/// answers showed a file from outside the root and how many archives of `RACE` were checked.
#[allow(clippy::type_complexity)]
fn race(api: ApiVersion) -> (usize, usize, Setup, Vec<(String, u32, Vec<u8>)>) {
    let s = setup(api);
    let before = snapshot(&s.outside);
    let secs: u64 = std::env::var("FIRECREST_RACE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let stop = Arc::new(AtomicBool::new(false));
    let d = s.emu.local_path(&format!("{RACE}/d"));
    let real = s.emu.local_path(&format!("{RACE}/d.real"));
    let swapper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // From `race/`, four levels up is the directory holding the root.
                if std::fs::rename(&d, &real).is_ok() {
                    let _ = std::os::unix::fs::symlink("../../../../outside", &d);
                    std::thread::yield_now();
                    let _ = std::fs::remove_file(&d);
                    let _ = std::fs::rename(&real, &d);
                    swaps += 1;
                }
                std::thread::yield_now();
            }
            swaps
        })
    };
    let escapes = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let made = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = requests(&s.emu, api, &made)
        .into_iter()
        .map(|req| {
            let escapes = escapes.clone();
            std::thread::spawn(move || {
                let a = agent();
                let mut n = 0;
                while Instant::now() < until {
                    if req(&a, n) {
                        escapes.fetch_add(1, Ordering::SeqCst);
                    }
                    n += 1;
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    // The last transfer jobs run while the swaps go on, then finish.
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert!(swaps > 100, "the swapper hardly ran ({swaps} swaps)");
    // The mix once more with the swaps over: under them, most archives of the tree fail (a
    // link met while `d` is away is refused), and this one of each kind gives the archive
    // checks something to check however few went through before.
    let a = agent();
    for req in requests(&s.emu, api, &made) {
        if req(&a, 1_000_000) {
            escapes.fetch_add(1, Ordering::SeqCst);
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let made = made.load(Ordering::SeqCst);
    (escapes.load(Ordering::SeqCst), made, s, before)
}

fn check(api: ApiVersion) {
    let (read_escapes, archives, s, before) = race(api);
    // The mix did its work, inside: each kind of write left something in `d`.
    let inside: Vec<String> = std::fs::read_dir(s.emu.local_path(&format!("{RACE}/d")))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let made = match api {
        ApiVersion::V2 => ["up-", "new-", "link-", "arc-", "member.txt", "cp-", "mv-"].as_slice(),
        ApiVersion::V1 => ["mv-", "new-", "link-", "arc-", "member.txt"].as_slice(),
    };
    for prefix in made {
        assert!(
            inside.iter().any(|n| n.starts_with(prefix)),
            "{api:?}: nothing named {prefix}* was made inside; the directory holds {inside:?}"
        );
    }
    let after = snapshot(&s.outside);
    assert!(archives > 0, "{api:?}: no archive of {RACE} was made");
    let changed = after.iter().filter(|e| !before.contains(e)).count()
        + before.iter().filter(|e| !after.contains(e)).count();
    eprintln!(
        "{api:?}: {read_escapes} answers showed a file outside the root; \
         {changed} entries outside were created, changed or removed; \
         {archives} archives of the tree were checked"
    );
    assert_eq!(
        (read_escapes, changed),
        (0, 0),
        "the sandbox was escaped: outside held {:?}, now {:?}",
        names(&before),
        names(&after)
    );
}

fn names(v: &[(String, u32, Vec<u8>)]) -> Vec<(String, String)> {
    v.iter()
        .map(|e| (e.0.clone(), format!("{:o}", e.1)))
        .collect()
}

#[test]
fn v2_symlink_swaps_lead_nowhere_outside_the_root() {
    check(ApiVersion::V2);
}

#[test]
fn v1_symlink_swaps_lead_nowhere_outside_the_root() {
    check(ApiVersion::V1);
}
