//! Batch jobs through the client, over loopback, against emulators that run them as local
//! processes: every test body runs once per API version.

mod support;

use firecrest::{
    ApiVersion, Client, ErrorKind, JobFilter, JobScript, JobSpec, JobState, TimeWindow,
};
use firecrest_emulator::Emulator;
use std::time::Duration;
use support::{as_release, setup};

const LONG: Duration = Duration::from_secs(60);

/// A fresh remote working directory under the home.
fn workdir(emu: &Emulator, client: &Client, name: &str) -> String {
    let dir = format!("{}/{name}", emu.home());
    client.mkdir(&emu.system(), &dir, true).expect("mkdir");
    dir
}

fn text(script: &str, dir: &str) -> JobSpec {
    JobSpec::new(JobScript::Text(script.to_string()), dir)
}

fn download(client: &Client, emu: &Emulator, path: &str) -> String {
    let mut out = Vec::new();
    client
        .simple_download_to(&emu.system(), path, &mut out)
        .unwrap_or_else(|e| panic!("download {path}: {e}"));
    String::from_utf8(out).unwrap()
}

on_both_versions!(
    a_job_from_text_writes_a_file_in_its_working_directory,
    a_job_from_a_local_file_and_from_a_remote_path,
    a_failing_job_keeps_its_exit_code,
    cancelling_a_running_job_kills_it,
    a_time_limit_ends_in_timeout,
    waiting_with_a_timeout_leaves_the_job_running,
    unknown_jobs_and_systems_and_bad_input_are_clear_errors,
    the_job_list_has_the_users_jobs,
    the_job_list_filters_by_name,
    a_finished_job_is_noticed_with_few_looks,
);

/// A v2 server before 2.5.7 ignores `name` and `time_window`: the client matches the name
/// itself and refuses a window it cannot honour.
#[test]
fn the_job_list_filters_by_name_on_a_2_5_6_server() {
    as_release("2.5.6", || the_job_list_filters_by_name(ApiVersion::V2));
}

fn a_job_from_text_writes_a_file_in_its_working_directory(api: ApiVersion) {
    let (emu, client) = setup(api);
    let dir = workdir(&emu, &client, "job-text");
    let mut spec = text(
        "#!/bin/bash\necho \"hello $MYVAR from $SLURM_JOB_ID\" > result.txt\necho to-stdout\n",
        &dir,
    );
    spec.name = Some("text-job".into());
    spec.env.push(("MYVAR".into(), "42".into()));
    let mut job = client.submit_job(&emu.system(), &spec).expect("submit");
    assert!(!job.id().is_empty());
    let state = job.wait(LONG).expect("wait");
    assert_eq!(state, JobState::Completed);
    assert_eq!(job.exit_code(), Some(0));
    let result = download(&client, &emu, &format!("{dir}/result.txt"));
    assert_eq!(result, format!("hello 42 from {}\n", job.id()));
    let info = job.info().expect("info");
    assert_eq!(info.job_id, job.id());
    // Where the job's output went, where the server says: v2's metadata does; v1 names the
    // files only while squeue lists the job, and sacct (a finished job) does not.
    let stdout_file = format!("slurm-{}.out", job.id());
    match (api, &info.stdout) {
        (_, Some(path)) => assert!(path.ends_with(&stdout_file), "{info:?}"),
        (ApiVersion::V1, None) => {}
        (_, None) => panic!("no stdout path in {info:?}"),
    }
    assert_eq!(info.state_code, JobState::Completed.code());
    assert!(info.state.contains("COMPLETED"), "{info:?}");
    // The default output file lands in the working directory.
    let listing = client
        .list_files(&emu.system(), &dir, Default::default())
        .unwrap();
    let stdout = format!("slurm-{}.out", job.id());
    assert!(listing.iter().any(|e| e.name == stdout), "{listing:?}");
    assert_eq!(
        download(&client, &emu, &format!("{dir}/{stdout}")),
        "to-stdout\n"
    );
}

fn a_job_from_a_local_file_and_from_a_remote_path(api: ApiVersion) {
    let (emu, client) = setup(api);
    let dir = workdir(&emu, &client, "job-files");
    let local = std::env::temp_dir().join(format!("fc-job-{}-{:?}.sh", std::process::id(), api));
    std::fs::write(&local, "#!/bin/bash\necho local > from-local.txt\n").unwrap();
    let spec = JobSpec::new(JobScript::LocalFile(local.clone()), &dir);
    let mut job = client
        .submit_job(&emu.system(), &spec)
        .expect("submit a local file");
    assert_eq!(job.wait(LONG).unwrap(), JobState::Completed);
    assert_eq!(
        download(&client, &emu, &format!("{dir}/from-local.txt")),
        "local\n"
    );
    std::fs::remove_file(&local).unwrap();

    // A script elsewhere on the system runs in the working directory all the same.
    let scripts = workdir(&emu, &client, "scripts");
    client
        .simple_upload_bytes(
            &emu.system(),
            b"#!/bin/bash\npwd > where.txt\n",
            &scripts,
            "run.sh",
        )
        .unwrap();
    let spec = JobSpec::new(JobScript::Remote(format!("{scripts}/run.sh")), &dir);
    let mut job = client
        .submit_job(&emu.system(), &spec)
        .expect("submit a remote path");
    assert_eq!(job.wait(LONG).unwrap(), JobState::Completed);
    let whereabouts = download(&client, &emu, &format!("{dir}/where.txt"));
    assert!(
        whereabouts.trim_end().ends_with("job-files"),
        "{whereabouts}"
    );
}

fn a_failing_job_keeps_its_exit_code(api: ApiVersion) {
    let (emu, client) = setup(api);
    let dir = workdir(&emu, &client, "job-fail");
    let mut job = client
        .submit_job(
            &emu.system(),
            &text("#!/bin/bash\necho oops >&2\nexit 3\n", &dir),
        )
        .unwrap();
    assert_eq!(job.wait(LONG).unwrap(), JobState::Failed);
    assert_eq!(job.exit_code(), Some(3));
}

fn cancelling_a_running_job_kills_it(api: ApiVersion) {
    let (emu, client) = setup(api);
    let dir = workdir(&emu, &client, "job-cancel");
    let mut job = client
        .submit_job(
            &emu.system(),
            &text("#!/bin/bash\necho $$ > pid.txt\nsleep 60\n", &dir),
        )
        .unwrap();
    let deadline = std::time::Instant::now() + LONG;
    let pid: u32 = loop {
        let state = job.state().unwrap();
        if state == JobState::Running {
            let mut out = Vec::new();
            if client
                .simple_download_to(&emu.system(), &format!("{dir}/pid.txt"), &mut out)
                .is_ok()
                && !out.is_empty()
            {
                break String::from_utf8(out).unwrap().trim().parse().unwrap();
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never running: {state:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    job.cancel().expect("cancel");
    assert_eq!(job.wait(LONG).unwrap(), JobState::Cancelled);
    let gone = std::time::Instant::now() + Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if status.contains(") Z ") {
            break; // a zombie: killed, waiting to be reaped
        }
        assert!(
            std::time::Instant::now() < gone,
            "the job's process {pid} still runs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn a_time_limit_ends_in_timeout(api: ApiVersion) {
    let (emu, client) = setup(api);
    let dir = workdir(&emu, &client, "job-time");
    let mut job = client
        .submit_job(
            &emu.system(),
            &text("#!/bin/bash\n#SBATCH --time=00:01\nsleep 30\n", &dir),
        )
        .unwrap();
    assert_eq!(job.wait(LONG).unwrap(), JobState::Timeout);
}

fn waiting_with_a_timeout_leaves_the_job_running(api: ApiVersion) {
    let (emu, client) = setup(api);
    let dir = workdir(&emu, &client, "job-wait");
    let mut job = client
        .submit_job(&emu.system(), &text("#!/bin/bash\nsleep 30\n", &dir))
        .unwrap();
    let started = std::time::Instant::now();
    let e = job.wait(Duration::from_millis(700)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        !job.state().unwrap().is_final(),
        "the job goes on after a timed-out wait"
    );
    job.cancel().unwrap();
    assert_eq!(job.wait(LONG).unwrap(), JobState::Cancelled);
}

/// The most looks the default schedule makes in a wait of `secs`: the first, four doubling
/// delays to half a second, one look per half second up to 5 s, then one per 10 % growth.
fn looks_allowed(secs: f64) -> u64 {
    let half_seconds = (secs.min(5.0) / 0.5).ceil();
    let growth = (secs.max(5.0) / 5.0).ln() / 1.1f64.ln();
    (1.0 + 4.0 + half_seconds + growth.ceil() + 1.0) as u64
}

/// A job running about two seconds is waited for with the default schedule: the requests sent
/// stay within what that schedule allows for the time the wait took (few, where a fixed short
/// interval would make dozens), and the wait ends with the job.
fn a_finished_job_is_noticed_with_few_looks(api: ApiVersion) {
    let emu = support::emulator(api, |_| {});
    let options = firecrest::Options {
        api_version: Some(api),
        ..firecrest::Options::default()
    };
    let client = support::client_with(&emu, options);
    let dir = workdir(&emu, &client, "job-looks");
    let mut job = client
        .submit_job(&emu.system(), &text("#!/bin/bash\nsleep 2\n", &dir))
        .unwrap();
    // One look, to learn how many requests a look costs on this version.
    let before = emu.counter("requests");
    job.state().unwrap();
    let per_look = emu.counter("requests") - before;
    assert!(per_look >= 1);
    let before = emu.counter("requests");
    let started = std::time::Instant::now();
    assert_eq!(job.wait(LONG).unwrap(), JobState::Completed);
    let waited = started.elapsed().as_secs_f64();
    let sent = emu.counter("requests") - before;
    let allowed = per_look * looks_allowed(waited);
    assert!(
        sent <= allowed,
        "{sent} requests in a wait of {waited:.2} s; the schedule allows {allowed}"
    );
    // A doubling from 100 ms would have made no more looks, but a fixed 100 ms interval
    // (which also notices within 10 %) makes about ten a second.
    assert!(
        sent < per_look * (waited * 10.0) as u64,
        "{sent} requests in {waited:.2} s"
    );
}

fn unknown_jobs_and_systems_and_bad_input_are_clear_errors(api: ApiVersion) {
    let (emu, client) = setup(api);
    let dir = workdir(&emu, &client, "job-bad");
    let mut unknown = client.job(&emu.system(), "987654").unwrap();
    let e = unknown.state().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains("987654"), "{e}");

    let e = client
        .submit_job("no-such-system", &text("#!/bin/bash\ntrue\n", &dir))
        .unwrap_err();
    assert!(e.message().contains("no-such-system"), "{e}");
    assert_ne!(e.kind(), ErrorKind::InvalidArgument, "{e}");

    let e = client
        .submit_job(&emu.system(), &text("  \n", &dir))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.message().contains("empty"), "{e}");

    let missing = format!("{}/no-such-dir", emu.home());
    let e = client
        .submit_job(&emu.system(), &text("#!/bin/bash\ntrue\n", &missing))
        .unwrap_err();
    assert!(e.message().contains("no-such-dir"), "{e}");

    let e = client.job(&emu.system(), "12;rm -rf /").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = client
        .submit_job(
            &emu.system(),
            &JobSpec::new(JobScript::LocalFile("/no/such/script.sh".into()), &dir),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.message().contains("/no/such/script.sh"), "{e}");
}

fn the_job_list_has_the_users_jobs(api: ApiVersion) {
    let (emu, client) = setup(api);
    let dir = workdir(&emu, &client, "job-list");
    let mut job = client
        .submit_job(&emu.system(), &text("#!/bin/bash\nsleep 30\n", &dir))
        .unwrap();
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let jobs = client.jobs(&emu.system()).unwrap();
        if jobs.iter().any(|j| j.job_id == job.id()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{jobs:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    job.cancel().unwrap();
    job.wait(LONG).unwrap();
}

fn the_job_list_filters_by_name(api: ApiVersion) {
    let (emu, client) = setup(api);
    let sys = emu.system();
    let dir = workdir(&emu, &client, "job-filter");
    let named = |name: &str| {
        let mut spec = text("#!/bin/bash\nsleep 30\n", &dir);
        spec.name = Some(name.to_string());
        client.submit_job(&sys, &spec).unwrap()
    };
    let (mut alpha, mut beta) = (named("alpha"), named("beta"));
    let by_name = JobFilter {
        name: Some("alpha".into()),
        ..Default::default()
    };
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let jobs = client.jobs_filtered(&sys, &by_name).unwrap();
        assert!(jobs.iter().all(|j| j.name == "alpha"), "{jobs:?}");
        assert!(!jobs.iter().any(|j| j.job_id == beta.id()), "{jobs:?}");
        if jobs.iter().any(|j| j.job_id == alpha.id()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{jobs:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let window = JobFilter {
        time_window: Some(TimeWindow::Day),
        ..Default::default()
    };
    let newest = api == ApiVersion::V2 && emu_is_newest(&client);
    match client.jobs_filtered(&sys, &window) {
        Ok(jobs) => assert!(newest, "a window where none can be honoured: {jobs:?}"),
        Err(e) => {
            assert!(!newest, "{e}");
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
            assert!(e.message().contains("2.5.7"), "{e}");
        }
    }
    let empty = JobFilter {
        name: Some(String::new()),
        ..Default::default()
    };
    let e = client.jobs_filtered(&sys, &empty).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    for job in [&mut alpha, &mut beta] {
        job.cancel().unwrap();
        job.wait(LONG).unwrap();
    }
}

/// Whether the server says it is 2.5.7 or later (a source build, `2.x.x`, is).
fn emu_is_newest(client: &Client) -> bool {
    let version = client
        .parameters()
        .unwrap()
        .get("FIRECREST_VERSION")
        .unwrap_or_default();
    version == "2.x.x" || version.as_str() >= "2.5.7"
}
