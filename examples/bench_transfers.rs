//! Throughput and peak memory of external (staged) transfers through the emulator.
//!
//! ```text
//! cargo build --release --bin firecrest-emulator --example bench_transfers
//! target/release/examples/bench_transfers [--sizes-mib 64,1024] [--emulator PATH] [--dir DIR]
//!     [--api v1|v2] [--max-part-size BYTES] [--parallel N]
//! ```
//!
//! `--api v2` runs the S3 multipart path: `--max-part-size` is the emulator's part size
//! (default 64 MiB here), `--parallel` the client's `parallel_parts` (default 4).
//!
//! The emulator runs as a separate process (`firecrest-emulator`, found beside this binary
//! unless `--emulator` says otherwise), so the peak RSS printed is the client's own: VmHWM of
//! this process, reset before each phase through /proc/self/clear_refs. Memory must not grow
//! with the file size.

use firecrest::TransferState::{DownloadReady, UploadDone};
use firecrest::{Auth, Client, Options};
use sha2::Digest;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;

struct Emulator {
    child: Child,
    env: Vec<(String, String)>,
}

impl Emulator {
    fn var(&self, k: &str) -> String {
        self.env
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("the emulator did not print {k}"))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_emulator(binary: &Path, root: &Path, api: &str, part_size: u64) -> Emulator {
    let mut child = Command::new(binary)
        .args([
            "--task-delay-ms",
            "5",
            "--storage-max-mb",
            "8192",
            "--api",
            api,
        ])
        .args(["--max-part-size", &part_size.to_string(), "--root"])
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
            .expect("the emulator exited before printing its environment")
            .unwrap();
        if let Some((k, v)) = line.split_once('=') {
            env.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    // Keep draining stdout so the emulator never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Emulator { child, env }
}

/// Peak resident set size of this process since the last reset, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Peak RSS over the whole run (getrusage is not reset by clear_refs), in KiB.
fn lifetime_peak_rss_kib() -> u64 {
    // SAFETY: getrusage only writes into the struct it is given.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) == 0 {
            usage.ru_maxrss as u64
        } else {
            0
        }
    }
}

fn reset_peak_rss() {
    // "5" resets VmHWM to the current RSS (Linux ≥ 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn write_test_file(path: &Path, size: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut block = vec![0u8; MIB as usize];
    let mut written = 0;
    let mut seed: u64 = 0x9e3779b97f4a7c15;
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

fn sha256(path: &Path) -> String {
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

struct Row {
    what: &'static str,
    size: u64,
    secs: f64,
    peak_kib: u64,
}

fn main() {
    let mut sizes_mib = vec![64u64, 1024];
    let mut emulator_bin: Option<PathBuf> = None;
    let mut dir: Option<PathBuf> = None;
    let mut api = "v1".to_string();
    let mut part_size = 64 * MIB;
    let mut parallel = Options::default().parallel_parts;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sizes-mib" => {
                sizes_mib = args
                    .next()
                    .expect("--sizes-mib needs a value")
                    .split(',')
                    .map(|s| s.trim().parse().expect("sizes are integers (MiB)"))
                    .collect()
            }
            "--emulator" => emulator_bin = args.next().map(PathBuf::from),
            "--dir" => dir = args.next().map(PathBuf::from),
            "--api" => api = args.next().expect("--api needs v1 or v2"),
            "--max-part-size" => {
                part_size = args.next().and_then(|v| v.parse().ok()).expect("bytes")
            }
            "--parallel" => parallel = args.next().and_then(|v| v.parse().ok()).expect("count"),
            other => panic!("unknown argument {other}"),
        }
    }
    let emulator_bin = emulator_bin.unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap();
        exe.parent()
            .and_then(|examples| examples.parent())
            .unwrap()
            .join("firecrest-emulator")
    });
    let work = dir
        .unwrap_or_else(|| std::env::temp_dir().join(format!("fc-bench-{}", std::process::id())));
    let root = work.join("root");
    let local = work.join("local");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&local).unwrap();

    let emu = start_emulator(&emulator_bin, &root, &api, part_size);
    let auth = Auth::client_credentials(
        emu.var("FIRECREST_CLIENT_ID"),
        emu.var("FIRECREST_CLIENT_SECRET"),
        emu.var("AUTH_TOKEN_URL"),
    );
    let options = Options {
        poll_initial: Duration::from_millis(20),
        poll_max: Duration::from_millis(200),
        parallel_parts: parallel,
        ..Options::default()
    };
    let client = Client::new(&emu.var("FIRECREST_URL"), auth, options).unwrap();
    let system = emu.var("FIRECREST_SYSTEM");
    let home = emu.var("FIRECREST_HOME");
    println!("API {:?}", client.api_version().unwrap());
    let long = Duration::from_secs(3600);

    println!("client baseline peak RSS: {} KiB", peak_rss_kib());
    let mut rows = Vec::new();
    for &mib in &sizes_mib {
        let size = mib * MIB;
        let src = local.join(format!("up-{mib}.bin"));
        write_test_file(&src, size);
        let remote = format!("{home}/bench-{mib}.bin");

        reset_peak_rss();
        let t = Instant::now();
        let mut up = client.external_upload(&system, &src, &remote).unwrap();
        up.finish_upload().unwrap();
        assert_eq!(up.wait(UploadDone, long).unwrap(), UploadDone);
        rows.push(Row {
            what: "external upload",
            size,
            secs: t.elapsed().as_secs_f64(),
            peak_kib: peak_rss_kib(),
        });

        let dst = local.join(format!("down-{mib}.bin"));
        reset_peak_rss();
        let t = Instant::now();
        let mut down = client.external_download(&system, &remote).unwrap();
        assert_eq!(down.wait(DownloadReady, long).unwrap(), DownloadReady);
        down.finish_download(&dst).unwrap();
        rows.push(Row {
            what: "external download",
            size,
            secs: t.elapsed().as_secs_f64(),
            peak_kib: peak_rss_kib(),
        });
        down.invalidate_object_storage_link().ok();

        assert_eq!(sha256(&src), sha256(&dst), "{mib} MiB: sha256 differs");
        std::fs::remove_file(&src).ok();
        std::fs::remove_file(&dst).ok();
        std::fs::remove_file(root.join(remote.trim_start_matches('/'))).ok();
    }

    println!(
        "{:<18} {:>10} {:>9} {:>10} {:>14}",
        "transfer", "size MiB", "seconds", "MiB/s", "peak RSS MiB"
    );
    for r in &rows {
        println!(
            "{:<18} {:>10} {:>9.2} {:>10.1} {:>14.1}",
            r.what,
            r.size / MIB,
            r.secs,
            r.size as f64 / MIB as f64 / r.secs,
            r.peak_kib as f64 / 1024.0
        );
    }
    println!(
        "client peak RSS over the whole run (getrusage): {:.1} MiB",
        lifetime_peak_rss_kib() as f64 / 1024.0
    );
    println!("(times include the server side: task polling and the emulator's staging copies; sha256 verified)");
    drop(emu);
    std::fs::remove_dir_all(&work).ok();
}
