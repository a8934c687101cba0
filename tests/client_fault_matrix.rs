//! The fault matrix: every endpoint family of both API versions × {429 with Retry-After, 500,
//! 502, 503, a connection dropped mid-body, a delay past the timeout, 429 forever}, injected by
//! the emulator. Each case must end in bounded time, in success or a documented error kind,
//! with no partial local file, and with a request that may not be repeated sent once (429 and
//! 503 say the request was not processed, so those are sent again).

mod support;

use firecrest::{ApiVersion, Client, ErrorKind, ListOptions, Options, TransferState};
use firecrest_emulator::{Emulator, FaultAction};
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

const TIMEOUT: Duration = Duration::from_secs(2);
/// No case may take longer: four attempts of a 2 s call, backoff and Retry-After included, and
/// slack for a loaded machine.
const BOUND: Duration = Duration::from_secs(25);
const RETRIES: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    RateLimitedOnce,
    Status500,
    Status502,
    Status503,
    DropMidBody,
    DelayPastTimeout,
    RateLimitedForever,
}

const FAULTS: [Fault; 7] = [
    Fault::RateLimitedOnce,
    Fault::Status500,
    Fault::Status502,
    Fault::Status503,
    Fault::DropMidBody,
    Fault::DelayPastTimeout,
    Fault::RateLimitedForever,
];

impl Fault {
    fn action(self) -> (FaultAction, u32) {
        let status = |status, retry_after: Option<&str>| FaultAction::Status {
            status,
            retry_after: retry_after.map(str::to_string),
        };
        match self {
            Fault::RateLimitedOnce => (status(429, Some("1")), 1),
            Fault::Status500 => (status(500, None), 1),
            Fault::Status502 => (status(502, None), 1),
            Fault::Status503 => (status(503, None), 1),
            Fault::DropMidBody => (FaultAction::DropAfter { bytes: 5 }, 1),
            Fault::DelayPastTimeout => (FaultAction::Delay(TIMEOUT + Duration::from_secs(1)), 1),
            Fault::RateLimitedForever => (status(429, Some("1")), 0),
        }
    }
}

/// How a family's request is sent.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A GET whose answer is read whole: every transient failure is repeated.
    Read,
    /// A GET whose body is streamed into a file: a break may end the call (no file left) or,
    /// for the store, resume with Range.
    Stream,
    /// A request that may not be repeated after the server could have acted on it.
    Once,
    /// A POST the client may repeat (the token grant changes nothing on the server).
    Safe,
    /// An S3 part PUT: sent again after any transient failure, 5xx included, as S3 advises.
    Part,
}

/// One endpoint family: where its faults go and the call that meets them. `run` returns the
/// local file it wrote and the data expected in it, if it writes one.
struct Family {
    method: &'static str,
    path: String,
    kind: Kind,
    run: Box<Run>,
}

/// A family's call: (emulator, client, local scratch directory, case number) → the data the
/// local file must hold, if the call writes one.
type Run = dyn Fn(&Emulator, &Client, &Path, usize) -> firecrest::Result<Option<Vec<u8>>>;

fn options(api: ApiVersion) -> Options {
    Options {
        api_version: Some(api),
        max_retries: RETRIES,
        io_timeout: TIMEOUT,
        call_timeout: TIMEOUT,
        low_speed_time: TIMEOUT,
        ..fast_options()
    }
}

fn family(api: ApiVersion, name: &str) -> Family {
    let v1 = api == ApiVersion::V1;
    let data = pattern(300_000, 7);
    match name {
        "status" => Family {
            method: "GET",
            path: "/status/systems".into(),
            kind: Kind::Read,
            run: Box::new(|_, c, _, _| {
                c.all_systems()
                    .map(|s| assert!(!s.is_empty()))
                    .map(|_| None)
            }),
        },
        "list" => Family {
            method: "GET",
            path: ops_path(api, "ls"),
            kind: Kind::Read,
            run: Box::new(|emu, c, _, _| {
                c.list_files("cluster", &emu.home(), ListOptions::default())
                    .map(|_| None)
            }),
        },
        "mkdir" => Family {
            method: "POST",
            path: ops_path(api, "mkdir"),
            kind: Kind::Once,
            run: Box::new(|emu, c, _, i| {
                c.mkdir("cluster", &remote(emu, &format!("made-{i}")), false)
                    .map(|_| None)
            }),
        },
        "simple_download" => Family {
            method: "GET",
            path: ops_path(api, "download"),
            kind: Kind::Stream,
            run: Box::new(move |emu, c, dir, i| {
                let src = remote(emu, &format!("down-{i}.bin"));
                put_remote(emu, &src, &data);
                c.simple_download("cluster", &src, &dir.join("down.bin"))
                    .map(|_| Some(data.clone()))
            }),
        },
        "simple_upload" => Family {
            method: "POST",
            path: ops_path(api, "upload"),
            // An upload from a path is repeated after 429/503 only.
            kind: Kind::Once,
            run: Box::new(move |emu, c, _, i| {
                let src = Scratch::new("matrix-up-src");
                let local = src.path().join(format!("up-{i}.bin"));
                std::fs::write(&local, &data).unwrap();
                c.simple_upload("cluster", &local, &emu.home(), None)?;
                assert_eq!(read_remote(emu, &remote(emu, &format!("up-{i}.bin"))), data);
                Ok(None)
            }),
        },
        "token" => Family {
            method: "POST",
            path: String::new(), // filled in with the emulator's token path
            kind: Kind::Safe,
            run: Box::new(|_, c, _, _| c.all_systems().map(|_| None)),
        },
        "transfer_creation" => Family {
            method: "POST",
            path: transfer_path(api, "download"),
            kind: Kind::Once,
            run: Box::new(move |emu, c, dir, i| external_download(emu, c, dir, i, &data)),
        },
        "transfer_polling" => Family {
            method: "GET",
            path: if v1 {
                "/tasks/".into()
            } else {
                "/compute/cluster/jobs/".into()
            },
            kind: Kind::Read,
            run: Box::new(move |emu, c, dir, i| external_download(emu, c, dir, i, &data)),
        },
        "store_download" => Family {
            method: "GET",
            path: "/s3/".into(),
            kind: Kind::Stream,
            run: Box::new(move |emu, c, dir, i| external_download(emu, c, dir, i, &data)),
        },
        "store_upload" => Family {
            // v1 sends a presigned POST form, v2 presigned PUTs of parts (each repeated).
            method: if v1 { "POST" } else { "PUT" },
            path: if v1 {
                "/s3/".into()
            } else {
                "/s3-multipart/".into()
            },
            kind: if v1 { Kind::Once } else { Kind::Part },
            run: Box::new(move |emu, c, _, i| {
                let src = Scratch::new("matrix-xup-src");
                let local = src.path().join(format!("xup-{i}.bin"));
                std::fs::write(&local, &data).unwrap();
                let target = match api {
                    ApiVersion::V1 => emu.home(),
                    _ => remote(emu, &format!("xup-{i}.bin")),
                };
                let mut t = c.external_upload("cluster", &local, &target)?;
                t.finish_upload()?;
                t.wait(TransferState::UploadDone, Duration::from_secs(60))?;
                assert_eq!(
                    read_remote(emu, &remote(emu, &format!("xup-{i}.bin"))),
                    data
                );
                Ok(None)
            }),
        },
        other => panic!("no family {other}"),
    }
}

fn external_download(
    emu: &Emulator,
    c: &Client,
    dir: &Path,
    i: usize,
    data: &[u8],
) -> firecrest::Result<Option<Vec<u8>>> {
    let src = remote(emu, &format!("xdown-{i}.bin"));
    put_remote(emu, &src, data);
    let mut t = c.external_download("cluster", &src)?;
    t.finish_download(&dir.join("down.bin"))?;
    Ok(Some(data.to_vec()))
}

/// What each fault must end in, for a family of this kind: Ok, or an error of these kinds.
fn allowed(fault: Fault, kind: Kind) -> (bool, &'static [ErrorKind]) {
    use ErrorKind::*;
    match (fault, kind) {
        (Fault::RateLimitedOnce | Fault::Status503, _) => (true, &[]),
        (Fault::RateLimitedForever, _) => (false, &[RateLimited, Http, Auth]),
        (_, Kind::Part) => (true, &[]),
        (Fault::Status500, _) => (false, &[Http, ApiError, Auth]),
        (Fault::Status502, Kind::Read | Kind::Stream | Kind::Safe) => (true, &[]),
        (Fault::Status502, Kind::Once) => (false, &[Http, ApiError]),
        (Fault::DropMidBody, Kind::Read | Kind::Safe) => (true, &[]),
        (Fault::DropMidBody, Kind::Stream) => (true, &[Transport]),
        (Fault::DropMidBody, Kind::Once) => (false, &[Transport]),
        (Fault::DelayPastTimeout, Kind::Read | Kind::Safe) => (true, &[Timeout]),
        (Fault::DelayPastTimeout, Kind::Stream) => (true, &[Timeout]),
        (Fault::DelayPastTimeout, Kind::Once) => (false, &[Timeout]),
    }
}

/// The requests the fault's path saw, at most: a request that may not be repeated is sent once
/// unless the server said it did not process it (429, 503).
fn most_sent(fault: Fault, kind: Kind) -> Option<u64> {
    match (fault, kind) {
        (Fault::RateLimitedForever, _) => Some(u64::from(RETRIES) + 1),
        (Fault::RateLimitedOnce | Fault::Status503, Kind::Once) => Some(2),
        (_, Kind::Once) => Some(1),
        _ => None,
    }
}

fn run_family(api: ApiVersion, name: &str) {
    let emu = emulator(api, |c| c.task_delay = Duration::from_millis(20));
    let mut fam = family(api, name);
    if name == "token" {
        fam.path = emu.token_url().trim_start_matches(&emu.url()).to_string();
    }
    let counter = |emu: &Emulator| -> u64 {
        match fam.path.as_str() {
            // The emulator counts the store under one key, other paths per path.
            "/s3/" => emu.counter(&format!("{} /s3", fam.method)),
            p if p.ends_with('/') => emu.counter(&format!("{} {}*", fam.method, p)),
            p => emu.counter(&format!("{} {p}", fam.method)),
        }
    };
    let mut report = Vec::new();
    for (i, fault) in FAULTS.into_iter().enumerate() {
        let dir = Scratch::new(&format!("matrix-{name}"));
        let c = Client::new(&emu.url(), auth(&emu), options(api)).unwrap();
        let (action, times) = fault.action();
        emu.add_fault(support::fault(Some(fam.method), &fam.path, action, times));
        let before = counter(&emu);
        let started = Instant::now();
        let result = (fam.run)(&emu, &c, dir.path(), i);
        let took = started.elapsed();
        emu.clear_faults();
        let sent = counter(&emu) - before;
        let case = format!("{api:?} {name} × {fault:?}");
        assert!(took < BOUND, "{case}: took {took:?}");
        // The emulator counts v2's job and multipart paths one by one (no prefix key); there
        // the 429-forever case, which can only fail, shows that the fault's path was used.
        let counted = !fam.path.starts_with("/compute/") && fam.path != "/s3-multipart/";
        assert!(
            sent >= 1 || !counted,
            "{case}: the fault's path was not used"
        );
        let (ok_allowed, kinds) = allowed(fault, fam.kind);
        let files = entries(dir.path());
        match &result {
            Ok(expected) => {
                assert!(ok_allowed, "{case}: succeeded, expected one of {kinds:?}");
                match expected {
                    Some(data) => {
                        assert_eq!(files, ["down.bin"], "{case}");
                        let got = std::fs::read(dir.path().join("down.bin")).unwrap();
                        assert!(got == *data, "{case}: the file differs");
                    }
                    None => assert!(files.is_empty(), "{case}: {files:?}"),
                }
            }
            Err(e) => {
                assert!(kinds.contains(&e.kind()), "{case}: {:?} {e}", e.kind());
                assert!(
                    files.is_empty(),
                    "{case}: a partial file is left: {files:?}"
                );
            }
        }
        if let Some(most) = most_sent(fault, fam.kind) {
            assert!(
                sent <= most,
                "{case}: sent {sent} times, at most {most} allowed"
            );
        }
        report.push(format!(
            "{case}: {} in {:.1} s, {sent} sent",
            match &result {
                Ok(_) => "ok".to_string(),
                Err(e) => format!("{:?}", e.kind()),
            },
            took.as_secs_f64()
        ));
    }
    eprintln!("{}", report.join("\n"));
}

/// One test body per family, each running the whole fault column, on both versions.
macro_rules! families {
    ($($name:ident),*) => {
        $(
            fn $name(api: ApiVersion) {
                run_family(api, stringify!($name))
            }
        )*
        on_both_versions!($($name),*);
    };
}

families!(
    status,
    list,
    mkdir,
    simple_download,
    simple_upload,
    token,
    transfer_creation,
    transfer_polling,
    store_download,
    store_upload
);
