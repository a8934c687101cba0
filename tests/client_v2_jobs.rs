//! v2 runs copies and transfers as scheduler jobs: a failed job's error log reaches the caller,
//! and a job the scheduler does not list yet is waited for.

mod support;

use firecrest::{ApiVersion, ErrorKind};
use support::*;

const TEXT: &str = "line 1\nline 2\nline 3\nline 4\nline 5\n";

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
