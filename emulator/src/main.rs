//! `firecrest-emulator [--api v1|v2] [--port N] [--root DIR] [--token-ttl S] [--task-delay-ms MS] [fault flags]`
//!
//! Serves a local FirecREST on 127.0.0.1, prints the environment a client needs as shell
//! `KEY=value` lines, and runs until SIGINT or SIGTERM.

#![forbid(unsafe_code)]

use firecrest_emulator::ApiVersion;
use firecrest_emulator::{parse_fault, Config, Emulator};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

const HELP: &str = "\
firecrest-emulator: a local FirecREST server (token endpoint, FirecREST API, staging object store)
on 127.0.0.1, one port. It prints FIRECREST_URL, AUTH_TOKEN_URL, FIRECREST_CLIENT_ID,
FIRECREST_CLIENT_SECRET, FIRECREST_SYSTEM and FIRECREST_HOME as KEY=value lines (eval them in a
shell), then serves until SIGINT or SIGTERM.

USAGE:
    firecrest-emulator [OPTIONS]

OPTIONS:
    --api v1|v2            API version to serve (default v1)
    --port N               TCP port on 127.0.0.1; 0 = any free port (default 0)
    --root DIR             local directory holding the systems' files; remote /home/testuser/x is
                           DIR/home/testuser/x (default: a fresh temporary directory, removed at exit)
    --token-ttl S          access-token lifetime in seconds (default 300)
    --task-delay-ms MS     spacing of task state changes (default 20)
    --url-ttl S            validity of presigned staging forms and URLs (default 604800)
    --storage-max-mb MB    largest staging object (STORAGE_MAX_FILE_SIZE, default 5120)
    --staging-expiry-s S   staged objects are deleted this long after they were made, as by
                           the bucket's lifecycle rule (default 864000, 10 days)
    --max-part-size BYTES  v2: S3 multipart part size published as maxPartSize (default 1048576)
    --job-queue-delay-ms MS  how long a compute job stays PENDING (default 100); a v2 job is
                           listed (not 404) after half of it
    --server-version V     v2: answer as release V (e.g. 2.4.0: snake_case transfer directives;
                           before 2.5.7 the job list ignores name/time_window); default 2.x.x
    --max-ops-size BYTES   v2: dataOperation.max_ops_file_size (default 5242880)
    --transfer-account on|off  v2: transfer-job directives name {account}, so those jobs need
                           an account (default off)
    --jobs on|off          off: the scheduler refuses submissions (default on). Jobs run the
                           user's scripts as local processes under the root, as this user
    --fault SPEC           inject a fault (repeatable), see below
    -h, --help             this text

FAULTS:  --fault '[METHOD ]PATH_PREFIX=ACTION[*TIMES]'
    Requests whose method matches (any if omitted) and whose path starts with PATH_PREFIX get
    ACTION, TIMES times (default 1; 0 = forever). ACTION is one of:
        STATUS             answer with that HTTP status, e.g. 500, 503
        STATUS:SECONDS     the same with a Retry-After header, e.g. 429:2
        drop:BYTES         close the connection after BYTES body bytes: of the request body
                           if it is longer (an upload), else of the response body
        delay:MS           wait MS milliseconds, then serve
        fail               make the transfer this request creates fail: on
                           POST /storage/xfer-external/upload the task ends in 115, on
                           POST /storage/xfer-external/download in 118, on the staging POST
                           (/s3/...) the object is lost: 115, then 400.
                           v2: on POST/DELETE /filesystem/<system>/transfer/... the job ends
                           FAILED; on the multipart completion POST (/s3-multipart/...) S3
                           answers 200 with an <Error> body and the ingress job fails
    Faults stack in the order given: a request takes at most one fault of each kind (status,
    drop, delay, fail), the first given that matches and has uses left; a delay combines with a
    status, and a status answer leaves drop and fail faults for a later request.
    Examples: --fault 'GET /utilities/ls=429:1*2'  --fault '/s3/=drop:1000'
              --fault 'POST /storage/xfer-external/upload=fail'

LIMITS: UTILITIES_MAX_FILE_SIZE 5 MB (upload 413, download/view X-Size-Limit),
        STORAGE_MAX_FILE_SIZE as --storage-max-mb. Both are published in /status/parameters.
        v2: max_ops_file_size 5 MiB and the multipart part size in /status/systems.
";

struct Args {
    config: Config,
    url_ttl: Option<u64>,
    storage_max_mb: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut config = Config::default();
    let (mut url_ttl, mut storage_max_mb) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: '{v}' is not a non-negative integer"))
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            "--api" => {
                config.api = match value("--api")?.as_str() {
                    "v1" | "1" => ApiVersion::V1,
                    "v2" | "2" => ApiVersion::V2,
                    other => return Err(format!("--api: '{other}' is not v1 or v2")),
                }
            }
            "--port" => {
                let v = value("--port")?;
                config.port = v
                    .parse()
                    .map_err(|_| format!("--port: '{v}' is not a port number"))?;
            }
            "--root" => config.root = Some(PathBuf::from(value("--root")?)),
            "--token-ttl" => {
                config.token_ttl =
                    Duration::from_secs(number("--token-ttl", value("--token-ttl")?)?)
            }
            "--task-delay-ms" => {
                config.task_delay =
                    Duration::from_millis(number("--task-delay-ms", value("--task-delay-ms")?)?)
            }
            "--staging-expiry-s" => {
                config.staging_expiry =
                    Duration::from_secs(number("--staging-expiry-s", value("--staging-expiry-s")?)?)
            }
            "--url-ttl" => url_ttl = Some(number("--url-ttl", value("--url-ttl")?)?),
            "--storage-max-mb" => {
                storage_max_mb = Some(number("--storage-max-mb", value("--storage-max-mb")?)?)
            }
            "--max-part-size" => {
                let v = number("--max-part-size", value("--max-part-size")?)?;
                if v == 0 {
                    return Err("--max-part-size: must be at least 1 byte".into());
                }
                config.max_part_size = v;
            }
            "--server-version" => config.server_version = value("--server-version")?,
            "--transfer-account" => {
                config.transfer_jobs_need_account = match value("--transfer-account")?.as_str() {
                    "on" => true,
                    "off" => false,
                    other => return Err(format!("--transfer-account: '{other}' is not on or off")),
                }
            }
            "--max-ops-size" => {
                config.max_ops_file_size = number("--max-ops-size", value("--max-ops-size")?)?
            }
            "--job-queue-delay-ms" => {
                config.job_queue_delay = Duration::from_millis(number(
                    "--job-queue-delay-ms",
                    value("--job-queue-delay-ms")?,
                )?)
            }
            "--jobs" => {
                config.jobs_enabled = match value("--jobs")?.as_str() {
                    "on" => true,
                    "off" => false,
                    other => return Err(format!("--jobs: '{other}' is not on or off")),
                }
            }
            "--fault" => config.faults.push(parse_fault(&value("--fault")?)?),
            other => return Err(format!("unknown argument '{other}' (see --help)")),
        }
    }
    config.check()?;
    Ok(Args {
        config,
        url_ttl,
        storage_max_mb,
    })
}

/// Waits for SIGINT or SIGTERM. The handlers are installed before the call returns the
/// future, so a signal sent as soon as the environment lines are printed is not lost.
fn stop_signals() -> std::io::Result<impl FnOnce()> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let (mut interrupt, mut terminate) = {
        let _entered = rt.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok(move || {
        rt.block_on(async {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("firecrest-emulator: {e}");
            std::process::exit(2);
        }
    };
    let wait_for_stop = match stop_signals() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("firecrest-emulator: cannot handle signals: {e}");
            std::process::exit(1);
        }
    };
    let emulator = match Emulator::start(args.config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("firecrest-emulator: cannot start: {e}");
            std::process::exit(1);
        }
    };
    if let Some(s) = args.url_ttl {
        emulator.set_url_ttl(Duration::from_secs(s));
    }
    if let Some(mb) = args.storage_max_mb {
        emulator.set_storage_max_file_size(mb.saturating_mul(1024 * 1024));
    }
    let mut out = std::io::stdout().lock();
    let printed = out
        .write_all(emulator.env_lines().as_bytes())
        .and_then(|_| out.flush());
    drop(out);
    if let Err(e) = printed {
        eprintln!("firecrest-emulator: cannot write to stdout: {e}");
        std::process::exit(1);
    }
    wait_for_stop();
    emulator.stop();
}
