//! The benchmark harness: run it with `bench/run [ARGS]`, which builds everything first.
//!
//! ```text
//! bench/run [--api v1,v2] [--only listings,transfers,waiting,small-files]
//!           [--sizes-mib 64,1024] [--waits-s 2,8] [--files 200] [--python PATH]
//! ```
//!
//! Each section starts its own emulator, runs the same work with this library and, when they
//! are installed, with pyfirecrest (`--python`, default `.venv/bin/python`, else `python3`)
//! and curl, and prints each figure beside the other's and their ratio:
//!
//! * listings: CPU per `list_files` call of 10 and 5,000 entries, from a C program that reads
//!   every entry's name, type and size with the JSON getters (`bench/listing.c`), against
//!   pyfirecrest reading the same fields (`bench/listing.py`); getrusage, first call left out.
//! * transfers: external uploads and downloads; the data phase (the bytes to or from the
//!   presigned URL) of this library against curl on the same presigned URL, and the client's
//!   peak RSS (VmHWM, reset per phase) against curl's (`/usr/bin/time`); the emulator runs as a
//!   process of its own, so only the client is measured.
//! * waiting: a job of a few seconds waited for with the default schedule: how late its end is
//!   noticed and how many requests that took (the emulator's counters), against pyfirecrest's
//!   schedule for the same wait (its sleeps 0.2 s, 0.5 s, then doubling).
//! * small files: N files of 4 KiB uploaded then downloaded by 8 threads sharing one client,
//!   against pyfirecrest doing the same one after the other.
//!
//! Timings are printed, never asserted; ratios are from one run on one machine.

use firecrest::TransferState::{DownloadReady, UploadDone};
use firecrest::{Auth, Client, JobScript, JobSpec, JobState, Options};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const MIB: u64 = 1 << 20;
const LONG: Duration = Duration::from_secs(3600);

struct Args {
    apis: Vec<String>,
    only: Vec<String>,
    sizes_mib: Vec<u64>,
    waits_s: Vec<f64>,
    files: usize,
    python: Option<PathBuf>,
    listing_bin: Option<PathBuf>,
    work: PathBuf,
}

fn parse_args() -> Args {
    let list = |v: String| {
        v.split(',')
            .map(|s| s.trim().to_string())
            .collect::<Vec<_>>()
    };
    let default_python = [PathBuf::from(".venv/bin/python")]
        .into_iter()
        .find(|p| p.exists())
        .or_else(|| which("python3"));
    let mut a = Args {
        apis: vec!["v1".into(), "v2".into()],
        only: vec![
            "listings".into(),
            "transfers".into(),
            "waiting".into(),
            "small-files".into(),
        ],
        sizes_mib: vec![64, 1024],
        waits_s: vec![2.0, 8.0],
        files: 200,
        python: default_python,
        listing_bin: None,
        work: std::env::temp_dir().join(format!("fc-bench-{}", std::process::id())),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--api" => a.apis = list(value()),
            "--only" => a.only = list(value()),
            "--sizes-mib" => {
                a.sizes_mib = list(value()).iter().map(|s| s.parse().unwrap()).collect()
            }
            "--waits-s" => a.waits_s = list(value()).iter().map(|s| s.parse().unwrap()).collect(),
            "--files" => a.files = value().parse().unwrap(),
            "--python" => a.python = Some(PathBuf::from(value())),
            "--listing-bin" => a.listing_bin = Some(PathBuf::from(value())),
            "--dir" => a.work = PathBuf::from(value()),
            "-h" | "--help" => {
                println!("see the top of examples/bench.rs");
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

/// The emulator as a process of its own, stopped with SIGTERM so that it removes its
/// temporary storage.
struct Emulator {
    child: Child,
    env: Vec<(String, String)>,
}

impl Emulator {
    fn start(api: &str, root: &Path, extra: &[&str]) -> Emulator {
        let exe = std::env::current_exe().unwrap();
        let binary = exe
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("firecrest-emulator");
        let mut child = Command::new(&binary)
            .args([
                "--api",
                api,
                "--task-delay-ms",
                "5",
                "--storage-max-mb",
                "8192",
            ])
            .args(extra)
            .arg("--root")
            .arg(root)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut env = Vec::new();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while !env
            .iter()
            .any(|(k, _): &(String, String)| k == "FIRECREST_HOME")
        {
            let line = lines
                .next()
                .expect("the emulator printed its environment")
                .unwrap();
            if let Some((k, v)) = line.split_once('=') {
                env.push((k.to_string(), v.to_string()));
            }
        }
        // Keep draining stdout so the emulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Emulator { child, env }
    }

    fn var(&self, k: &str) -> String {
        let found = self.env.iter().find(|(n, _)| n == k);
        found.map(|(_, v)| v.clone()).expect("printed")
    }

    fn client(&self, options: Options) -> Client {
        let auth = Auth::client_credentials(
            self.var("FIRECREST_CLIENT_ID"),
            self.var("FIRECREST_CLIENT_SECRET"),
            self.var("AUTH_TOKEN_URL"),
        );
        Client::new(&self.var("FIRECREST_URL"), auth, options).unwrap()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SAFETY: kill only sends a signal to the child this harness started.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.wait();
    }
}

/// Runs a helper program with the emulator's environment; its stdout, or None (said why).
fn run_with_env(emu: &Emulator, cmd: &mut Command) -> Option<String> {
    cmd.envs(emu.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match cmd.output() {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => {
            eprintln!(
                "  ({:?} failed: {})",
                cmd.get_program(),
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!("  ({:?} did not start: {e})", cmd.get_program());
            None
        }
    }
}

/// The number after `key` in a line of `key value` pairs.
fn field(out: &str, key: &str) -> Option<f64> {
    let words: Vec<&str> = out.split_whitespace().collect();
    let i = words.iter().position(|w| *w == key)?;
    words.get(i + 1)?.parse().ok()
}

fn ratio(ours: f64, theirs: f64) -> String {
    if ours > 0.0 && theirs > 0.0 {
        format!("{:.2}", theirs / ours)
    } else {
        "-".into()
    }
}

/// Runs `bench/<name>` with pyfirecrest's Python and the emulator's environment: None when
/// there is no such Python, else the script's output (None if it failed).
fn run_python(
    a: &Args,
    emu: &Emulator,
    name: &str,
    args: &[&std::ffi::OsStr],
) -> Option<Option<String>> {
    let python = a.python.as_ref()?;
    let mut cmd = Command::new(python);
    cmd.arg(script(&a.work, name)).args(args);
    Some(run_with_env(emu, &mut cmd))
}

fn script(dir: &Path, name: &str) -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench")
        .join(name);
    if here.exists() {
        here
    } else {
        dir.join(name)
    }
}

fn listings(a: &Args, api: &str) {
    let root = a.work.join(format!("root-list-{api}"));
    let home = root.join("home/testuser");
    for n in [10usize, 5000] {
        let d = home.join(format!("l{n}"));
        std::fs::create_dir_all(&d).unwrap();
        for i in 0..n {
            std::fs::write(d.join(format!("file-{i:05}.dat")), b"x").unwrap();
        }
    }
    let emu = Emulator::start(api, &root, &[]);
    println!("\n## listings, {api}: CPU per list_files call, every entry's name/type/size read");
    println!(
        "{:<14} {:>14} {:>16} {:>18}",
        "entries", "C (us)", "pyfirecrest (us)", "pyfirecrest / C"
    );
    for (n, c_repeat, py_repeat) in [(10usize, "300", "100"), (5000, "20", "5")] {
        let dir = format!("/home/testuser/l{n}");
        let c = a
            .listing_bin
            .as_ref()
            .and_then(|bin| run_with_env(&emu, Command::new(bin).args([dir.as_str(), c_repeat])));
        let py = run_python(
            a,
            &emu,
            "listing.py",
            &[dir.as_ref(), py_repeat.as_ref(), api.as_ref()],
        )
        .flatten();
        let c = c.and_then(|o| field(&o, "cpu_us_per_call")).unwrap_or(0.0);
        let py = py.and_then(|o| field(&o, "cpu_us_per_call")).unwrap_or(0.0);
        println!("{n:<14} {c:>14.0} {py:>16.0} {:>18}", ratio(c, py));
    }
    drop(emu);
    std::fs::remove_dir_all(&root).ok();
}

/// Peak RSS of this process since the last reset, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:"));
    line.and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn reset_peak_rss() {
    // "5" resets VmHWM to the current RSS (Linux ≥ 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn write_test_file(path: &Path, size: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut block = vec![0u8; MIB as usize];
    let (mut written, mut seed) = (0, 0x9e3779b97f4a7c15u64);
    while written < size {
        for chunk in block.chunks_mut(8) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            chunk.copy_from_slice(&seed.to_le_bytes()[..chunk.len()]);
        }
        let n = (size - written).min(MIB) as usize;
        f.write_all(&block[..n]).unwrap();
        written += n as u64;
    }
    f.flush().unwrap();
}

fn same_content(a: &Path, b: &Path) -> bool {
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = fa.read(&mut ba).unwrap();
        if n == 0 {
            return fb.read(&mut bb).unwrap() == 0;
        }
        if fb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// Writes back what earlier phases left dirty in the page cache, so that no phase pays for
/// the one before (a 1 GiB download right after another is otherwise throttled by the kernel).
fn settle() {
    // SAFETY: sync has no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// curl with its wall time and peak RSS (KiB, from /usr/bin/time when there is one).
fn timed_curl(args: &[String]) -> Option<Curl> {
    which("curl")?;
    settle();
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "maxrss_kib %M cpu_s %U %S", "curl"]);
        c
    } else {
        Command::new("curl")
    };
    cmd.args(["-sS", "--fail"]).args(args);
    let t = Instant::now();
    let out = cmd.output().ok()?;
    let secs = t.elapsed().as_secs_f64();
    if !out.status.success() {
        eprintln!(
            "  (curl failed: {})",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = field(&stderr, "maxrss_kib").unwrap_or(0.0);
    // "cpu_s USER SYS": the number after the key is the user time, the next the system time.
    let words: Vec<&str> = stderr.split_whitespace().collect();
    let cpu = words
        .iter()
        .position(|w| *w == "cpu_s")
        .map(|i| {
            let n = |k: usize| words.get(i + k).and_then(|w| w.parse::<f64>().ok());
            n(1).unwrap_or(0.0) + n(2).unwrap_or(0.0)
        })
        .unwrap_or(0.0);
    Some(Curl {
        secs,
        rss_kib: rss as u64,
        cpu,
    })
}

/// What curl took for one transfer: wall seconds, peak RSS, CPU seconds (user + system).
struct Curl {
    secs: f64,
    rss_kib: u64,
    cpu: f64,
}

/// CPU seconds (user + system) this process has used so far.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

struct Row {
    what: String,
    ours: f64,
    ours_rss: u64,
    ours_cpu: f64,
    curl: Option<Curl>,
}

/// This library's side of a transfer phase, `run`, beside curl's: wall time, peak RSS, CPU.
fn measure(what: String, curl: Option<Curl>, run: impl FnOnce()) -> Row {
    settle();
    reset_peak_rss();
    let (t, cpu) = (Instant::now(), cpu_secs());
    run();
    Row {
        what,
        ours: t.elapsed().as_secs_f64(),
        ours_rss: peak_rss_kib(),
        ours_cpu: cpu_secs() - cpu,
        curl,
    }
}

fn transfers(a: &Args, api: &str) {
    let root = a.work.join(format!("root-xfer-{api}"));
    let local = a.work.join(format!("local-{api}"));
    std::fs::create_dir_all(&local).unwrap();
    let part = (64 * MIB).to_string();
    let emu = Emulator::start(api, &root, &["--max-part-size", &part]);
    let options = Options {
        poll_initial: Duration::from_millis(20),
        poll_max: Duration::from_millis(200),
        ..Options::default()
    };
    let client = emu.client(options);
    let (system, home) = (emu.var("FIRECREST_SYSTEM"), emu.var("FIRECREST_HOME"));
    let mut rows = Vec::new();
    let mut py_uploads = Vec::new();
    for &mib in &a.sizes_mib {
        let size = mib * MIB;
        let src = local.join(format!("up-{mib}.bin"));
        write_test_file(&src, size);
        let remote = format!("{home}/bench-{mib}.bin");

        // Upload: curl first on the transfer's own presigned target, then this library's data
        // phase on the same, then the server's side (not timed).
        let mut up = client.external_upload(&system, &src, &remote).unwrap();
        let data = up.object_storage_data().unwrap();
        let curl = curl_upload(api, &data, &src, &local);
        rows.push(measure(format!("upload {mib} MiB"), curl, || {
            up.finish_upload().unwrap()
        }));
        assert_eq!(up.wait(UploadDone, LONG).unwrap(), UploadDone);
        if api == "v2" {
            // pyfirecrest's own v2 upload of the same file: it gives up on a completion that
            // takes the server more than 5 s.
            let name = format!("py-{mib}.bin");
            let py = run_python(
                a,
                &emu,
                "py_upload.py",
                &[src.as_ref(), home.as_ref(), name.as_ref()],
            );
            if let Some(out) = py {
                match out.as_deref().and_then(|o| field(o, "upload_s")) {
                    Some(s) => py_uploads.push(format!("{mib} MiB: succeeded in {s:.1} s")),
                    None => py_uploads.push(format!("{mib} MiB: FAILED")),
                }
            }
            std::fs::remove_file(
                root.join(home.trim_start_matches('/'))
                    .join(format!("py-{mib}.bin")),
            )
            .ok();
        }

        let dst = local.join(format!("down-{mib}.bin"));
        let mut down = client.external_download(&system, &remote).unwrap();
        assert_eq!(down.wait(DownloadReady, LONG).unwrap(), DownloadReady);
        let url = down.object_storage_link().unwrap();
        let curl_dst = local.join("curl-down.bin");
        let curl = timed_curl(&["-o".into(), curl_dst.display().to_string(), url]);
        rows.push(measure(format!("download {mib} MiB"), curl, || {
            down.finish_download(&dst).unwrap()
        }));
        down.invalidate_object_storage_link().ok();
        assert!(
            same_content(&src, &dst),
            "{mib} MiB: the round trip differs"
        );
        for f in [&src, &dst, &curl_dst] {
            std::fs::remove_file(f).ok();
        }
        std::fs::remove_file(root.join(remote.trim_start_matches('/'))).ok();
    }
    println!("\n## transfers, {api}: data phase against curl on the same presigned URL");
    println!(
        "{:<20} {:>9} {:>9} {:>10} {:>10} {:>10} {:>9} {:>9}",
        "transfer",
        "ours MiB/s",
        "curl MiB/s",
        "ours/curl",
        "ours RSS",
        "curl RSS",
        "ours CPU",
        "curl CPU"
    );
    for r in &rows {
        let mib: f64 = r.what.split_whitespace().nth(1).unwrap().parse().unwrap();
        let (curl_speed, curl_rss, curl_cpu) = match &r.curl {
            Some(c) => (mib / c.secs, c.rss_kib as f64 / 1024.0, c.cpu),
            None => (0.0, 0.0, 0.0),
        };
        let ours_speed = mib / r.ours;
        println!(
            "{:<20} {:>9.0} {:>9.0} {:>10} {:>9.1}M {:>9.1}M {:>8.2}s {:>8.2}s",
            r.what,
            ours_speed,
            curl_speed,
            ratio(curl_speed, ours_speed),
            r.ours_rss as f64 / 1024.0,
            curl_rss,
            r.ours_cpu,
            curl_cpu
        );
    }
    for line in py_uploads {
        println!("pyfirecrest's own v2 upload, {line}");
    }
    drop(emu);
    std::fs::remove_dir_all(&local).ok();
    std::fs::remove_dir_all(&root).ok();
}

/// curl sending `src` where the staging instructions `data` say: v1's presigned form, or v2's
/// part URLs (parts cut beforehand, not timed; sent 4 at a time, as the client does).
fn curl_upload(api: &str, data: &serde_json::Value, src: &Path, local: &Path) -> Option<Curl> {
    if api == "v1" {
        let url = data["url"].as_str()?.to_string();
        let mut args = Vec::new();
        for (k, v) in data["data"].as_object()? {
            args.push("-F".to_string());
            args.push(format!("{k}={}", v.as_str()?));
        }
        args.extend(["-F".into(), format!("file=@{}", src.display()), url]);
        return timed_curl(&args);
    }
    let urls: Vec<String> = data["partsUploadUrls"]
        .as_array()?
        .iter()
        .filter_map(|u| u.as_str().map(str::to_string))
        .collect();
    let part_size = data["maxPartSize"].as_u64()?;
    let mut file = std::fs::File::open(src).ok()?;
    let mut args: Vec<String> = vec!["-Z".into(), "--parallel-max".into(), "4".into()];
    let mut parts = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let p = local.join(format!("part-{i}"));
        let mut out = std::fs::File::create(&p).ok()?;
        std::io::copy(&mut (&mut file).take(part_size), &mut out).ok()?;
        args.extend(["-T".into(), p.display().to_string(), url.clone()]);
        parts.push(p);
    }
    let r = timed_curl(&args);
    for p in parts {
        std::fs::remove_file(p).ok();
    }
    r
}

/// pyfirecrest's wait for a job (v2 `sleep_generator`: 0.2 s, 0.5 s, then doubling to 60 s
/// and more): the looks it makes and how late it sees an end at `end` seconds.
fn pyfirecrest_schedule(end: f64) -> (u32, f64) {
    let (mut t, mut looks, mut sleep) = (0.0, 1, 0.2);
    while t < end {
        t += sleep;
        looks += 1;
        sleep = if sleep < 0.5 {
            0.5
        } else if sleep < 60.0 {
            sleep * 2.0
        } else {
            sleep
        };
    }
    (looks, t - end)
}

fn waiting(a: &Args, api: &str) {
    use firecrest_emulator::{ApiVersion, Config};
    let version = if api == "v1" {
        ApiVersion::V1
    } else {
        ApiVersion::V2
    };
    let emu = firecrest_emulator::Emulator::start(Config {
        api: version,
        ..Config::default()
    })
    .unwrap();
    let auth = Auth::client_credentials(emu.client_id(), emu.client_secret(), emu.token_url());
    let client = Client::new(&emu.url(), auth, Options::default()).unwrap();
    let system = emu.system();
    println!("\n## waiting, {api}: a job's end noticed with the default schedule");
    println!(
        "{:<10} {:>10} {:>10} {:>12} {:>14} {:>14}",
        "job (s)", "late (s)", "late (%)", "requests", "pyfc late (s)", "pyfc looks"
    );
    for &secs in &a.waits_s {
        let dir = format!("{}/wait-{secs}", emu.home());
        client.mkdir(&system, &dir, true).unwrap();
        let text = format!("#!/bin/bash\nsleep {secs}\ndate +%s.%N > ended\n");
        let mut job = client
            .submit_job(&system, &JobSpec::new(JobScript::Text(text), &dir))
            .unwrap();
        let started = SystemTime::now();
        let before = emu.counter("requests");
        assert_eq!(job.wait(LONG).unwrap(), JobState::Completed);
        let noticed = SystemTime::now();
        let requests = emu.counter("requests") - before;
        let ended_file = emu.local_path(&format!("{dir}/ended"));
        let ended: f64 = std::fs::read_to_string(ended_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let epoch = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
        };
        let late = epoch(noticed) - ended;
        let ran = ended - epoch(started);
        let (py_looks, py_late) = pyfirecrest_schedule(ran);
        println!(
            "{secs:<10} {late:>10.2} {:>10.1} {requests:>12} {py_late:>14.2} {py_looks:>14}",
            100.0 * late / ran
        );
    }
}

fn small_files(a: &Args, api: &str) {
    let root = a.work.join(format!("root-small-{api}"));
    let local = a.work.join(format!("small-{api}"));
    std::fs::create_dir_all(local.join("back")).unwrap();
    let emu = Emulator::start(api, &root, &[]);
    let client = Arc::new(emu.client(Options::default()));
    let (system, home) = (emu.var("FIRECREST_SYSTEM"), emu.var("FIRECREST_HOME"));
    let n = a.files;
    for i in 0..n {
        std::fs::write(
            local.join(format!("f{i}")),
            vec![b'a' + (i % 26) as u8; 4096],
        )
        .unwrap();
    }
    let ours_dir = format!("{home}/small-ours");
    client.mkdir(&system, &ours_dir, true).unwrap();
    let threads = 8;
    let run = |upload: bool| {
        let t = Instant::now();
        std::thread::scope(|s| {
            for k in 0..threads {
                let (client, system, local, dir) = (&client, &system, &local, &ours_dir);
                s.spawn(move || {
                    for i in (k..n).step_by(threads) {
                        let name = format!("f{i}");
                        if upload {
                            let src = local.join(&name);
                            client.simple_upload(system, &src, dir, None).unwrap();
                        } else {
                            let dst = local.join("back").join(&name);
                            client
                                .simple_download(system, &format!("{dir}/{name}"), &dst)
                                .unwrap();
                        }
                    }
                });
            }
        });
        t.elapsed().as_secs_f64()
    };
    let (up, down) = (run(true), run(false));
    let py_dir = format!("{home}/small-py");
    client.mkdir(&system, &py_dir, true).unwrap();
    let count = n.to_string();
    let args: [&std::ffi::OsStr; 4] = [
        local.as_ref(),
        py_dir.as_ref(),
        count.as_ref(),
        api.as_ref(),
    ];
    let py = run_python(a, &emu, "small_files.py", &args).flatten();
    let py_up = py
        .as_deref()
        .and_then(|o| field(o, "upload_s"))
        .unwrap_or(0.0);
    let py_down = py
        .as_deref()
        .and_then(|o| field(o, "download_s"))
        .unwrap_or(0.0);
    println!("\n## small files, {api}: {n} files of 4 KiB, 8 threads on one client vs pyfirecrest in sequence");
    println!(
        "{:<10} {:>14} {:>18} {:>14}",
        "", "ours files/s", "pyfirecrest files/s", "ours/pyfc"
    );
    for (what, ours, py) in [("upload", up, py_up), ("download", down, py_down)] {
        let (o, p) = (n as f64 / ours, if py > 0.0 { n as f64 / py } else { 0.0 });
        println!("{what:<10} {o:>14.0} {p:>18.0} {:>14}", ratio(p, o));
    }
    drop(emu);
    std::fs::remove_dir_all(&local).ok();
    std::fs::remove_dir_all(&root).ok();
}

fn main() {
    let a = parse_args();
    std::fs::create_dir_all(&a.work).unwrap();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "# firecrest bench: {cpus} CPUs, load {}, pyfirecrest via {:?}, curl {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        a.python,
        if which("curl").is_some() {
            "found"
        } else {
            "missing"
        }
    );
    for api in &a.apis {
        for section in &a.only {
            match section.as_str() {
                "listings" => listings(&a, api),
                "transfers" => transfers(&a, api),
                "waiting" => waiting(&a, api),
                "small-files" => small_files(&a, api),
                other => panic!("unknown section {other}"),
            }
        }
    }
    std::fs::remove_dir_all(&a.work).ok();
}
