//! The benchmark harness: run it with `bench/run [ARGS]`, which builds everything first.
//!
//! ```text
//! bench/run [--api v1,v2] [--only listings,transfers,waiting,small-files]
//!           [--sizes-mib 64,1024] [--waits-s 2,8] [--files 500] [--rounds 5] [--python PATH]
//!           [--dir WORK_DIR]
//! ```
//!
//! `--dir` (default: a new directory in the system's temporary directory) holds the local files
//! and the emulators' roots. Making a file is where small-file runs spend most of their time on
//! a busy ext4 (hundreds of microseconds of kernel CPU per file, varying with what the machine
//! deleted lately); a tmpfs directory (`--dir /dev/shm/fc-bench`) measures the clients and the
//! server instead.
//!
//! Each section starts its own emulator, runs the same work with this library and, when they
//! are installed, with pyfirecrest (`--python`, default `.venv/bin/python`, else `python3`)
//! and curl, and prints each figure beside the other's and their ratio:
//!
//! * listings: CPU per `list_files` call of 10 and 5,000 entries, from a C program that reads
//!   every entry's name, type and size with the JSON getters (`bench/listing.c`): once writing
//!   a pointer for each value with `snprintf`, once with the element getters; against
//!   pyfirecrest reading the same fields (`bench/listing.py`); getrusage, first call left out;
//!   the three take turns `--rounds` times.
//! * transfers: external uploads and downloads; the data phase (the bytes to or from the
//!   presigned URLs) of this library against curl on the same server and file: each
//!   upload run gets a staging target of its own (v2: curl sends the parts 4 at a time and then
//!   the completion, as the client does), each download run fetches the same staged object's
//!   URL. The two take turns (`--rounds` of each, who goes first alternating), the page cache is
//!   written back before every run and each run's server-side work is finished before the next
//!   starts; medians with min-max, the ratio paired within a round, the CPU of each side
//!   (getrusage; `/usr/bin/time` for curl), the client's peak RSS (VmHWM, reset per run)
//!   against curl's, and the emulator's CPU during each side's runs (it serves both, on the
//!   same CPUs).
//! * waiting: a job of a few seconds waited for with the default schedule: how late its end is
//!   noticed and how many requests that took (the emulator's counters), against pyfirecrest's
//!   schedule for the same wait (its sleeps 0.2 s, 0.5 s, then doubling).
//! * small files: N files of 4 KiB uploaded then downloaded by 8 threads sharing one client,
//!   against pyfirecrest doing the same one after the other, taking turns `--rounds` times,
//!   each run into directories of its own on both ends; files/s, CPU per file of each client
//!   and of the emulator.
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
    /// Runs of each side per figure, taking turns; medians are reported.
    rounds: usize,
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
        files: 500,
        rounds: 5,
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
            "--rounds" => a.rounds = value().parse::<usize>().unwrap().max(1),
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
    println!(
        "\n## listings, {api}: CPU per list_files call, every entry's name/type/size read \
         ({} rounds taking turns; medians, ratio min-max over the rounds)",
        a.rounds
    );
    println!(
        "{:<10} {:>10} {:>10} {:>18} {:>18} {:>18}",
        "entries",
        "C (us)",
        "C _at (us)",
        "pyfirecrest (us)",
        "pyfirecrest / C",
        "pyfirecrest / _at"
    );
    // Enough calls per run that CPU accounting by clock ticks (4 ms on many kernels) averages
    // out: 10-entry calls cost tens of microseconds.
    for (n, c_repeat, py_repeat) in [(10usize, "2000", "200"), (5000, "30", "6")] {
        let dir = format!("/home/testuser/l{n}");
        // Per round: C writing pointers, C with the element getters, pyfirecrest.
        let mut runs: [Vec<Option<f64>>; 3] = Default::default();
        for r in 0..a.rounds {
            let run = |which: usize| match which {
                0 | 1 => a
                    .listing_bin
                    .as_ref()
                    .and_then(|bin| {
                        let way = if which == 0 { "pointers" } else { "at" };
                        run_with_env(&emu, Command::new(bin).args([dir.as_str(), c_repeat, way]))
                    })
                    .and_then(|o| field(&o, "cpu_us_per_call")),
                _ => run_python(
                    a,
                    &emu,
                    "listing.py",
                    &[dir.as_ref(), py_repeat.as_ref(), api.as_ref()],
                )
                .flatten()
                .and_then(|o| field(&o, "cpu_us_per_call")),
            };
            // Who goes first turns with the round.
            let mut round = [None; 3];
            for k in 0..3 {
                let which = (r + k) % 3;
                round[which] = run(which);
            }
            for (which, v) in round.into_iter().enumerate() {
                runs[which].push(v);
            }
        }
        let median = |which: usize| {
            let v: Vec<f64> = runs[which].iter().flatten().copied().collect();
            spread(&v).0
        };
        let ratio = |which: usize| {
            let paired: Vec<f64> = runs[which]
                .iter()
                .zip(&runs[2])
                .filter_map(|(c, py)| Some((*py)? / (*c)?))
                .collect();
            if paired.is_empty() {
                "-".to_string()
            } else {
                shown_spread(&paired, 2)
            }
        };
        println!(
            "{n:<10} {:>10.0} {:>10.0} {:>18.0} {:>18} {:>18}",
            median(0),
            median(1),
            median(2),
            ratio(0),
            ratio(1)
        );
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

/// curl's run (wall time, CPU, peak RSS from /usr/bin/time when there is one) and its
/// stdout; `settle_first`: the page cache is written back before it starts, as before ours.
fn timed_curl(args: &[String], settle_first: bool) -> Option<(Run, String)> {
    which("curl")?;
    if settle_first {
        settle();
    }
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
    let run = Run {
        secs,
        rss_kib: rss as u64,
        cpu,
        server_cpu: 0.0,
    };
    Some((run, String::from_utf8_lossy(&out.stdout).into_owned()))
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

/// One timed run of one side: wall seconds, CPU seconds (user + system), peak RSS in KiB.
#[derive(Clone, Copy)]
struct Run {
    secs: f64,
    cpu: f64,
    rss_kib: u64,
    /// The emulator's CPU seconds meanwhile (0 where not measured).
    server_cpu: f64,
}

/// The median, smallest and largest of some figures (all 0 when there are none).
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut v = values.to_vec();
    if v.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    };
    (median, v[0], v[v.len() - 1])
}

/// "median (min–max)" with `digits` decimals; "-" for no figures.
fn shown_spread(values: &[f64], digits: usize) -> String {
    if values.is_empty() {
        return "-".into();
    }
    let (m, lo, hi) = spread(values);
    format!("{m:.digits$} ({lo:.digits$}-{hi:.digits$})")
}

/// This library's side of a transfer phase, `run`: wall time, CPU and peak RSS of this process
/// (nothing else runs in it meanwhile; the emulator is a process of its own).
fn ours(run: impl FnOnce()) -> Run {
    settle();
    reset_peak_rss();
    let (t, cpu) = (Instant::now(), cpu_secs());
    run();
    Run {
        secs: t.elapsed().as_secs_f64(),
        cpu: cpu_secs() - cpu,
        rss_kib: peak_rss_kib(),
        server_cpu: 0.0,
    }
}

/// `run` with the CPU seconds the process `pid` (the emulator) spent meanwhile.
fn with_server_cpu(pid: u32, run: impl FnOnce() -> Option<Run>) -> Option<Run> {
    let before = process_cpu_secs(pid);
    let mut r = run()?;
    r.server_cpu = process_cpu_secs(pid) - before;
    Some(r)
}

/// One row of the transfer table: every round's run of each side, in the order they ran.
struct Row {
    what: String,
    mib: f64,
    ours: Vec<Run>,
    curl: Vec<Run>,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Ours,
    Curl,
}

/// Which side goes first in round `r`: they take turns, so that neither always finds the
/// machine (page cache, the emulator's threads, the other engineers' jobs) in the same state.
fn turns(r: usize) -> [Side; 2] {
    if r % 2 == 0 {
        [Side::Curl, Side::Ours]
    } else {
        [Side::Ours, Side::Curl]
    }
}

/// Waits until the server has put `size` bytes at `path` (the emulator writes a transfer's
/// target under a temporary name and renames it, so a whole file means a finished transfer).
fn wait_for_file(path: &Path, size: u64) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while std::fs::metadata(path).map(|m| m.len()).ok() != Some(size) {
        assert!(
            Instant::now() < deadline,
            "{} never arrived",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn transfers(a: &Args, api: &str) {
    let root = a.work.join(format!("root-xfer-{api}"));
    let local = a.work.join(format!("local-{api}"));
    std::fs::create_dir_all(&local).unwrap();
    let part = (64 * MIB).to_string();
    let emu = Emulator::start(api, &root, &["--max-part-size", &part]);
    let emu_pid = emu.child.id();
    let options = Options {
        poll_initial: Duration::from_millis(20),
        poll_max: Duration::from_millis(200),
        ..Options::default()
    };
    let client = emu.client(options);
    let (system, home) = (emu.var("FIRECREST_SYSTEM"), emu.var("FIRECREST_HOME"));
    let on_server = |remote: &str| root.join(remote.trim_start_matches('/'));
    let have_curl = which("curl").is_some();
    let mut rows = Vec::new();
    let mut py_uploads = Vec::new();
    for &mib in &a.sizes_mib {
        let size = mib * MIB;
        let src = local.join(format!("up-{mib}.bin"));
        write_test_file(&src, size);
        // curl sends v2 parts from files of their own, cut once here (not timed).
        let parts = if api == "v2" && have_curl {
            cut_parts(&src, 64 * MIB, &local)
        } else {
            Vec::new()
        };

        // Uploads: every run gets a transfer of its own (a staging target takes one upload),
        // from the same server and file; each run is waited for on the server's side before
        // the next starts, so no run pays for the one before.
        let mut up = Row {
            what: format!("upload {mib} MiB"),
            mib: mib as f64,
            ours: Vec::new(),
            curl: Vec::new(),
        };
        for r in 0..a.rounds {
            for side in turns(r) {
                if side == Side::Curl && !have_curl {
                    continue;
                }
                let remote = format!("{home}/bench-{mib}-{r}-{}.bin", side as u8);
                let mut t = client.external_upload(&system, &src, &remote).unwrap();
                let data = t.object_storage_data().unwrap();
                if side == Side::Ours {
                    let run =
                        with_server_cpu(emu_pid, || Some(ours(|| t.finish_upload().unwrap())));
                    up.ours.extend(run);
                    assert_eq!(t.wait(UploadDone, LONG).unwrap(), UploadDone);
                } else if let Some(run) =
                    with_server_cpu(emu_pid, || curl_upload(api, &data, &src, &parts, &local))
                {
                    up.curl.push(run);
                    wait_for_file(&on_server(&remote), size);
                }
                std::fs::remove_file(on_server(&remote)).ok();
            }
        }
        rows.push(up);
        for p in parts {
            std::fs::remove_file(p).ok();
        }
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
            std::fs::remove_file(on_server(&format!("{home}/{name}"))).ok();
        }

        // Downloads: one staged object, its one presigned URL fetched by each side in turn.
        let remote = format!("{home}/bench-{mib}.bin");
        std::fs::copy(&src, on_server(&remote)).unwrap();
        let mut t = client.external_download(&system, &remote).unwrap();
        assert_eq!(t.wait(DownloadReady, LONG).unwrap(), DownloadReady);
        let url = t.object_storage_link().unwrap();
        let mut down = Row {
            what: format!("download {mib} MiB"),
            mib: mib as f64,
            ours: Vec::new(),
            curl: Vec::new(),
        };
        let dst = local.join(format!("down-{mib}.bin"));
        for r in 0..a.rounds {
            for side in turns(r) {
                // The last run's file is gone before the next: each writes a new file.
                std::fs::remove_file(&dst).ok();
                if side == Side::Ours {
                    let run = with_server_cpu(emu_pid, || {
                        Some(ours(|| t.finish_download(&dst).unwrap()))
                    });
                    down.ours.extend(run);
                } else if let Some(run) = with_server_cpu(emu_pid, || {
                    let args = ["-o".into(), dst.display().to_string(), url.clone()];
                    timed_curl(&args, true).map(|(run, _)| run)
                }) {
                    down.curl.push(run);
                } else {
                    continue;
                }
                assert!(
                    same_content(&src, &dst),
                    "{mib} MiB: the round trip differs"
                );
            }
        }
        rows.push(down);
        t.invalidate_object_storage_link().ok();
        for f in [&src, &dst] {
            std::fs::remove_file(f).ok();
        }
        std::fs::remove_file(on_server(&remote)).ok();
    }
    println!(
        "\n## transfers, {api}: data phase against curl on the same presigned URLs, \
         {} alternating runs each: median (min-max)",
        a.rounds
    );
    println!(
        "{:<18} {:>20} {:>20} {:>20} {:>18} {:>18} {:>9} {:>9} {:>12} {:>12}",
        "transfer",
        "ours MiB/s",
        "curl MiB/s",
        "ours/curl (paired)",
        "ours CPU s",
        "curl CPU s",
        "ours RSS",
        "curl RSS",
        "emu CPU s",
        "(for curl)"
    );
    for r in &rows {
        let speeds = |runs: &[Run]| runs.iter().map(|x| r.mib / x.secs).collect::<Vec<_>>();
        let cpu = |runs: &[Run]| runs.iter().map(|x| x.cpu).collect::<Vec<_>>();
        let rss = |runs: &[Run]| {
            let peak = runs.iter().map(|x| x.rss_kib).max().unwrap_or(0);
            format!("{:.1}M", peak as f64 / 1024.0)
        };
        // Each round's ratio from its own two runs, which ran back to back.
        let paired: Vec<f64> = r
            .ours
            .iter()
            .zip(&r.curl)
            .map(|(o, c)| c.secs / o.secs)
            .collect();
        let server = |runs: &[Run]| {
            let v: Vec<f64> = runs.iter().map(|x| x.server_cpu).collect();
            format!("{:.2}", spread(&v).0)
        };
        println!(
            "{:<18} {:>20} {:>20} {:>20} {:>18} {:>18} {:>9} {:>9} {:>12} {:>12}",
            r.what,
            shown_spread(&speeds(&r.ours), 0),
            shown_spread(&speeds(&r.curl), 0),
            shown_spread(&paired, 2),
            shown_spread(&cpu(&r.ours), 2),
            shown_spread(&cpu(&r.curl), 2),
            rss(&r.ours),
            rss(&r.curl),
            server(&r.ours),
            server(&r.curl),
        );
    }
    for line in py_uploads {
        println!("pyfirecrest's own v2 upload, {line}");
    }
    drop(emu);
    std::fs::remove_dir_all(&local).ok();
    std::fs::remove_dir_all(&root).ok();
}

/// `src` cut into files of `part_size` bytes (curl sends each part from a file of its own).
fn cut_parts(src: &Path, part_size: u64, dir: &Path) -> Vec<PathBuf> {
    let mut file = std::fs::File::open(src).unwrap();
    let size = file.metadata().unwrap().len();
    (0..size.div_ceil(part_size))
        .map(|i| {
            let p = dir.join(format!("part-{i}"));
            let mut out = std::fs::File::create(&p).unwrap();
            std::io::copy(&mut (&mut file).take(part_size), &mut out).unwrap();
            p
        })
        .collect()
}

/// curl sending `src` where the staging instructions `data` say: v1's presigned form; or v2's
/// part URLs (from the part files `parts`, 4 at a time, as the client sends them) and then the
/// completion with the ETags the parts got, as the client does; the two curl runs add up.
fn curl_upload(
    api: &str,
    data: &serde_json::Value,
    src: &Path,
    parts: &[PathBuf],
    local: &Path,
) -> Option<Run> {
    if api == "v1" {
        let url = data["url"].as_str()?.to_string();
        let mut args = Vec::new();
        for (k, v) in data["data"].as_object()? {
            args.push("-F".to_string());
            args.push(format!("{k}={}", v.as_str()?));
        }
        args.extend(["-F".into(), format!("file=@{}", src.display()), url]);
        return timed_curl(&args, true).map(|(run, _)| run);
    }
    let urls: Vec<String> = data["partsUploadUrls"]
        .as_array()?
        .iter()
        .filter_map(|u| u.as_str().map(str::to_string))
        .collect();
    if urls.len() != parts.len() {
        eprintln!(
            "  (curl: {} part URLs for {} parts)",
            urls.len(),
            parts.len()
        );
        return None;
    }
    let mut args: Vec<String> = vec![
        "-Z".into(),
        "--parallel-max".into(),
        "4".into(),
        "-w".into(),
        "ETAG %{url_effective} %header{etag}\\n".into(),
    ];
    for (p, url) in parts.iter().zip(&urls) {
        args.extend(["-T".into(), p.display().to_string(), url.clone()]);
    }
    let (sent, out) = timed_curl(&args, true)?;
    // Each part's ETag, by the part number in its URL (parallel parts end in any order).
    let mut etags = vec![String::new(); urls.len()];
    for line in out.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("ETAG") {
            continue;
        }
        let (url, etag) = (words.next()?, words.next()?);
        let n: usize = url
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("partNumber="))?
            .parse()
            .ok()?;
        *etags.get_mut(n.checked_sub(1)?)? = etag.to_string();
    }
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (i, etag) in etags.iter().enumerate() {
        xml.push_str(&format!(
            "<Part><ETag>{etag}</ETag><PartNumber>{}</PartNumber></Part>",
            i + 1
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    let body = local.join("complete.xml");
    std::fs::write(&body, xml).ok()?;
    let args = [
        "-X".into(),
        "POST".into(),
        "-H".into(),
        "Content-Type: application/xml".into(),
        "--data-binary".into(),
        format!("@{}", body.display()),
        data["completeUploadUrl"].as_str()?.to_string(),
    ];
    let (completed, out) = timed_curl(&args, false)?;
    if out.contains("<Error>") {
        eprintln!("  (curl's completion failed: {out})");
        return None;
    }
    Some(Run {
        secs: sent.secs + completed.secs,
        cpu: sent.cpu + completed.cpu,
        rss_kib: sent.rss_kib.max(completed.rss_kib),
        server_cpu: 0.0,
    })
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

/// CPU seconds (user + system) the process `pid` and its ended threads have used so far
/// (/proc/PID/stat, in clock ticks).
fn process_cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / hz
}

/// One phase of the small-files work: wall seconds, the client's CPU seconds, the emulator's.
#[derive(Default, Clone, Copy)]
struct Phase {
    secs: f64,
    cpu: f64,
    server_cpu: f64,
}

fn small_files(a: &Args, api: &str) {
    let root = a.work.join(format!("root-small-{api}"));
    let local = a.work.join(format!("small-{api}"));
    std::fs::create_dir_all(&local).unwrap();
    let emu = Emulator::start(api, &root, &[]);
    let emu_pid = emu.child.id();
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
    let threads = 8;
    // Downloads go to a new directory in every run, so that both sides create their files
    // (replacing an existing file costs the file system less than making one).
    let run = |upload: bool, dir: &str, back: &Path| {
        let (t, cpu, server_cpu) = (Instant::now(), cpu_secs(), process_cpu_secs(emu_pid));
        std::thread::scope(|s| {
            for k in 0..threads {
                let (client, system, local) = (&client, &system, &local);
                s.spawn(move || {
                    for i in (k..n).step_by(threads) {
                        let name = format!("f{i}");
                        if upload {
                            let src = local.join(&name);
                            client.simple_upload(system, &src, dir, None).unwrap();
                        } else {
                            let dst = back.join(&name);
                            client
                                .simple_download(system, &format!("{dir}/{name}"), &dst)
                                .unwrap();
                        }
                    }
                });
            }
        });
        Phase {
            secs: t.elapsed().as_secs_f64(),
            cpu: cpu_secs() - cpu,
            server_cpu: process_cpu_secs(emu_pid) - server_cpu,
        }
    };
    // [upload, download] of every round, for each side.
    let (mut ours, mut py): (Vec<[Phase; 2]>, Vec<[Phase; 2]>) = (Vec::new(), Vec::new());
    let count = n.to_string();
    for r in 0..a.rounds {
        for side in turns(r) {
            if side == Side::Ours {
                let dir = format!("{home}/small-ours-{r}");
                client.mkdir(&system, &dir, true).unwrap();
                let back = local.join(format!("back-ours-{r}"));
                std::fs::create_dir_all(&back).unwrap();
                ours.push([run(true, &dir, &back), run(false, &dir, &back)]);
                continue;
            }
            let dir = format!("{home}/small-py-{r}");
            client.mkdir(&system, &dir, true).unwrap();
            let back = local.join(format!("back-py-{r}"));
            let args: [&std::ffi::OsStr; 5] = [
                local.as_ref(),
                dir.as_ref(),
                count.as_ref(),
                api.as_ref(),
                back.as_ref(),
            ];
            let server_cpu = process_cpu_secs(emu_pid);
            let Some(out) = run_python(a, &emu, "small_files.py", &args).flatten() else {
                continue;
            };
            let server_cpu = process_cpu_secs(emu_pid) - server_cpu;
            let f = |k: &str| field(&out, k).unwrap_or(0.0);
            let (up_s, down_s) = (f("upload_s"), f("download_s"));
            // The emulator's CPU for the script's run (its start and token too), split between
            // the phases by their wall time.
            let share = |s: f64| server_cpu * s / (up_s + down_s).max(1e-9);
            py.push([
                Phase {
                    secs: up_s,
                    cpu: f("upload_cpu_s"),
                    server_cpu: share(up_s),
                },
                Phase {
                    secs: down_s,
                    cpu: f("download_cpu_s"),
                    server_cpu: share(down_s),
                },
            ]);
        }
    }
    println!(
        "\n## small files, {api}: {n} files of 4 KiB, 8 threads on one client vs pyfirecrest in \
         sequence, {} alternating runs: median (min-max)",
        a.rounds
    );
    println!(
        "{:<9} {:>18} {:>18} {:>18} {:>14} {:>14} {:>14} {:>14}",
        "",
        "ours files/s",
        "pyfc files/s",
        "ours/pyfc",
        "ours CPU/file",
        "pyfc CPU/file",
        "emu CPU/file",
        "emu (pyfc)"
    );
    for (k, what) in ["upload", "download"].into_iter().enumerate() {
        let of = |runs: &[[Phase; 2]], f: &dyn Fn(&Phase) -> f64| {
            runs.iter().map(|p| f(&p[k])).collect::<Vec<_>>()
        };
        let rate = |p: &Phase| n as f64 / p.secs;
        let micros = |v: Vec<f64>| {
            if v.is_empty() {
                "-".to_string()
            } else {
                format!("{:.0} us", spread(&v).0)
            }
        };
        let paired: Vec<f64> = ours
            .iter()
            .zip(&py)
            .map(|(o, p)| p[k].secs / o[k].secs)
            .collect();
        println!(
            "{what:<9} {:>18} {:>18} {:>18} {:>14} {:>14} {:>14} {:>14}",
            shown_spread(&of(&ours, &rate), 0),
            shown_spread(&of(&py, &rate), 0),
            shown_spread(&paired, 2),
            micros(of(&ours, &|p| p.cpu * 1e6 / n as f64)),
            micros(of(&py, &|p| p.cpu * 1e6 / n as f64)),
            micros(of(&ours, &|p| p.server_cpu * 1e6 / n as f64)),
            micros(of(&py, &|p| p.server_cpu * 1e6 / n as f64)),
        );
    }
    drop(emu);
    // The files stay until the whole run ends (`main` removes the work directory): on ext4,
    // the v2 section's emulator spent 140 µs of CPU per upload run alone and 320-580 µs run
    // after v1's section had removed its ten thousand files; kept, no section makes its files
    // while the file system is still busy with another's removal.
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
