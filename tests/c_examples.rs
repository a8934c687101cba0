//! The C examples and the C test programs (tests/c/), compiled with -std=c11 -Wall -Wextra
//! -Wpedantic -Werror against the library, dynamically and statically, and run against an
//! in-process emulator; and a program linked the way the README tells a C user to.

mod support;

use firecrest::ApiVersion;
use support::c::*;
use support::*;

on_both_versions!(
    tour_runs,
    transfer_stages_a_file_in_and_out_byte_for_byte,
    calls,
    job_runs_and_its_output_comes_back
);

/// job.c submits a script, waits for it, downloads what it wrote and reports the exit code.
fn job_runs_and_its_output_comes_back(api: ApiVersion) {
    let Some(t) = Setup::new(&format!("job-v{}", api.number()), &["job"], api) else {
        return;
    };
    let dir = t.remote("job-c");
    std::fs::create_dir_all(t.emu.local_path(&dir)).unwrap();
    let out = t.run(&[], "job", &[&dir]);
    assert!(out.status.success(), "job failed\n{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("submitted job "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job id\n{}", show(&out)));
    for line in [
        format!("job {id} ended COMPLETED"),
        "exit code 0".to_string(),
        format!("job {id} ran on "),
        format!(" in {}", t.emu.local_path(&dir).display()),
        "stage input: 42".to_string(),
    ] {
        assert!(stdout.contains(&line), "{line:?} missing\n{}", show(&out));
    }
}

/// The tour runs unchanged on either version (v2 reports what it lacks and goes on).
fn tour_runs(api: ApiVersion) {
    let Some(t) = Setup::new(&format!("tour-v{}", api.number()), &["tour"], api) else {
        return;
    };
    check_tour_output(&t.run(&[], "tour", &[]), api);
    // The tour cleans up after itself.
    let home = t.emu.local_path(&t.emu.home());
    let left: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("firecrest-tour-"))
        .collect();
    assert!(left.is_empty(), "tour left {left:?} in {}", home.display());
}

#[test]
fn tour_linked_statically_runs() {
    let Some(t) = Setup::new("tour-static", &["tour-static"], ApiVersion::V1) else {
        return;
    };
    if let Ok(out) = std::process::Command::new("ldd")
        .arg(t.build.join("tour-static"))
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("libfirecrest"),
            "tour-static needs libfirecrest.so:\n{text}"
        );
    }
    check_tour_output(&t.run(&[], "tour-static", &[]), ApiVersion::V1);
}

/// transfer.c uploads (dynamic build) and downloads back (static build) a 2 MiB file.
fn transfer_stages_a_file_in_and_out_byte_for_byte(api: ApiVersion) {
    let Some(t) = Setup::new("transfer", &["transfer", "transfer-static"], api) else {
        return;
    };
    let data = bytes(2 * 1024 * 1024 + 333, 7);
    let (local, remote) = (t.local("input.bin"), t.remote("staged.bin"));
    std::fs::write(&local, &data).unwrap();

    let out = t.run(&[], "transfer", &["upload", &local, &remote]);
    assert!(out.status.success(), "upload\n{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(100%)"),
        "no final progress line\n{}",
        show(&out)
    );
    assert!(stderr.contains("upload: done"), "{}", show(&out));
    let on_server = std::fs::read(t.emu.local_path(&remote)).expect("the uploaded file");
    assert!(on_server == data, "uploaded bytes differ");

    let back = t.local("back.bin");
    let out = t.run(&[], "transfer-static", &["download", &remote, &back]);
    assert!(out.status.success(), "download\n{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\rdownload: "),
        "no progress line\n{}",
        show(&out)
    );
    let size_line = format!("({} bytes)", data.len());
    assert!(stderr.contains(&size_line), "{}", show(&out));
    assert!(
        std::fs::read(&back).unwrap() == data,
        "downloaded bytes differ"
    );

    // A missing remote file is reported by name, exit 1, and no local file appears.
    let missing = t.local("missing.bin");
    let out = t.run(
        &[],
        "transfer",
        &["download", &t.remote("no-such-file"), &missing],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no-such-file"),
        "{}",
        show(&out)
    );
    assert!(
        !std::path::Path::new(&missing).exists(),
        "a failed download left {missing}"
    );

    let out = t.run(&[], "transfer", &["sideways"]);
    assert_eq!(out.status.code(), Some(2), "usage error\n{}", show(&out));
}

/// tests/c/calls.c: every file and identity call, checked by the program itself. Its first
/// simple download is cut mid-body once, which `firecrest_simple_download` gets over by
/// sending the request again (with `Range`).
fn calls(api: ApiVersion) {
    let name = format!("calls-v{}", api.number());
    if let Some(t) = Setup::new(&name, &["calls"], api) {
        let download = format!("GET {}", ops_path(api, "download"));
        t.emu.add_fault(fault(
            Some("GET"),
            &ops_path(api, "download"),
            firecrest_emulator::FaultAction::DropAfter { bytes: 40 },
            1,
        ));
        check_c_test(&t.run(&[], "calls", &[]), &name);
        assert_eq!(t.emu.counter(&format!("{download} Range")), 1, "{name}");
    }
}

#[test]
fn edges_dynamic_v1() {
    if let Some(mut t) = Setup::new("edges", &["edges"], ApiVersion::V1) {
        // An HTTPS front of the same emulator, signed by a CA only a scratch file holds.
        let ca = support::tls::TestCa::new("edges CA");
        let pem = t.scratch.path().join("edges-ca.pem");
        ca.write_pem(&pem);
        let front = support::tls::TlsFront::start(&ca, &t.emu.url());
        t.env.push(("FIRECREST_TLS_URL", front.url(&t.emu.url())));
        t.env.push(("FIRECREST_TLS_CA", pem.display().to_string()));
        check_c_test(&t.run(&[], "edges", &[]), "edges (dynamic, v1)");
    }
}

#[test]
fn edges_static_v2() {
    if let Some(t) = Setup::new("edges-static", &["edges-static"], ApiVersion::V2) {
        check_c_test(&t.run(&[], "edges-static", &[]), "edges (static, v2)");
    }
}

#[test]
fn minimal_program_from_the_readme() {
    let Some(t) = Setup::new("minimal", &["minimal"], ApiVersion::V1) else {
        return;
    };
    let out = t.run(&[], "minimal", &[]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "first system: cluster\n"
    );
    // Without the variables it fails with a status name and a message naming what is missing.
    let mut cmd = std::process::Command::new(t.build.join("minimal"));
    without_cargo_libraries(&mut cmd);
    for (name, _) in &t.env {
        cmd.env_remove(name);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("FIRECREST_STATUS_"), "{}", show(&out));
    assert!(
        stderr.contains("environment variable FIRECREST_"),
        "{}",
        show(&out)
    );
}

/// What a C user does after `cargo build`: compile against the header, link with
/// `-L <dir> -lfirecrest -Wl,-rpath,<dir>` where cargo put the library, run the program. It must
/// start (the library it records is the file cargo made) and work.
#[test]
fn program_linked_against_cargo_output_runs() {
    if !tool_available("cc", "C compiler for the examples") {
        return;
    }
    let scratch = Scratch::new("user-link");
    let dir = lib_dir();
    let program = scratch.path().join("minimal");
    let out = std::process::Command::new("cc")
        .arg("-std=c11")
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(crate_dir().join("examples-c/minimal.c"))
        .arg(format!("-L{}", dir.display()))
        .arg("-lfirecrest")
        .arg(format!("-Wl,-rpath,{}", dir.display()))
        .arg("-o")
        .arg(&program)
        .output()
        .expect("running cc");
    assert!(out.status.success(), "cc failed\n{}", show(&out));
    let emu = emulator(ApiVersion::V1, |_| {});
    let out = run(&scratch, &[], &program, &[], &emulator_env(&emu));
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "first system: cluster\n"
    );
}
