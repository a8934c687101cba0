//! The C examples and the C edge tests, compiled with examples-c/Makefile (-std=c11 -Wall -Wextra
//! -Wpedantic -Werror) against this build's library, dynamically and statically, and run against
//! an in-process emulator.

mod c_support;

use c_support::*;
use firecrest::ApiVersion;

#[test]
fn tour_runs_against_the_v1_emulator() {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new("tour-v1");
    let build = build(&scratch, &["tour"]);
    let emu = start_emulator(ApiVersion::V1).expect("emulator");
    let out = run(&scratch, &[], &build.join("tour"), &[], &emulator_env(&emu));
    check_tour_output(&out, ApiVersion::V1);
    // The tour cleans up after itself.
    let home = emu.local_path(&emu.home());
    let left: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("firecrest-tour-")
        })
        .collect();
    assert!(
        left.is_empty(),
        "tour left files in {}: {left:?}",
        home.display()
    );
}

#[test]
fn tour_runs_unchanged_against_the_v2_emulator() {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new("tour-v2");
    let build = build(&scratch, &["tour"]);
    let emu = start_emulator(ApiVersion::V2).expect("v2 emulator");
    let out = run(&scratch, &[], &build.join("tour"), &[], &emulator_env(&emu));
    check_tour_output(&out, ApiVersion::V2);
}

#[test]
fn tour_linked_statically_runs() {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new("tour-static");
    let build = build(&scratch, &["tour-static"]);
    let out = std::process::Command::new("ldd")
        .arg(build.join("tour-static"))
        .output();
    if let Ok(out) = out {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("libfirecrest"),
            "tour-static needs libfirecrest.so:\n{text}"
        );
    }
    let emu = start_emulator(ApiVersion::V1).expect("emulator");
    let out = run(
        &scratch,
        &[],
        &build.join("tour-static"),
        &[],
        &emulator_env(&emu),
    );
    check_tour_output(&out, ApiVersion::V1);
}

/// Deterministic bytes that are not a repeating short pattern.
fn payload(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn transfer_stages_a_file_in_and_out_byte_for_byte_v1() {
    stage_in_and_out(ApiVersion::V1);
}

#[test]
fn transfer_stages_a_file_in_and_out_byte_for_byte_v2() {
    stage_in_and_out(ApiVersion::V2);
}

/// transfer.c uploads (dynamic build) and downloads back (static build) a 2 MiB file.
fn stage_in_and_out(api: ApiVersion) {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new("transfer");
    let build = build(&scratch, &["transfer", "transfer-static"]);
    let emu = start_emulator(api).expect("emulator");
    let env = emulator_env(&emu);
    let data = payload(2 * 1024 * 1024 + 333);
    let local = scratch.path().join("input.bin");
    std::fs::write(&local, &data).unwrap();
    let remote = format!("{}/staged.bin", emu.home());

    let out = run(
        &scratch,
        &[],
        &build.join("transfer"),
        &["upload", local.to_str().unwrap(), &remote],
        &env,
    );
    assert!(out.status.success(), "upload\n{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(100%)"),
        "no final progress line\n{}",
        show(&out)
    );
    assert!(stderr.contains("upload: done"), "{}", show(&out));
    let on_server = std::fs::read(emu.local_path(&remote)).expect("the uploaded file");
    assert!(on_server == data, "uploaded bytes differ");

    // The static build downloads it back.
    let back = scratch.path().join("back.bin");
    let out = run(
        &scratch,
        &[],
        &build.join("transfer-static"),
        &["download", &remote, back.to_str().unwrap()],
        &env,
    );
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

    // Failure: a missing remote file is reported, exit 1, and no local file appears.
    let missing = scratch.path().join("missing.bin");
    let out = run(
        &scratch,
        &[],
        &build.join("transfer"),
        &[
            "download",
            &format!("{}/no-such-file", emu.home()),
            missing.to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no-such-file"),
        "{}",
        show(&out)
    );
    assert!(
        !missing.exists(),
        "a failed download left {}",
        missing.display()
    );

    // Usage error.
    let out = run(&scratch, &[], &build.join("transfer"), &["sideways"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

fn run_edges(target: &str, api: ApiVersion) {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new(target);
    let build = build(&scratch, &[target]);
    let emu = start_emulator(api).expect("emulator");
    let out = run(&scratch, &[], &build.join(target), &[], &emulator_env(&emu));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{target}\n{}", show(&out));
    assert!(stdout.contains(" passed, 0 failed"), "{}", show(&out));
}

#[test]
fn edges_dynamic_v1() {
    run_edges("edges", ApiVersion::V1);
}

#[test]
fn edges_static_v2() {
    run_edges("edges-static", ApiVersion::V2);
}

#[test]
fn minimal_program_from_the_readme() {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new("minimal");
    let build = build(&scratch, &["minimal"]);
    let emu = start_emulator(ApiVersion::V1).expect("emulator");
    let out = run(
        &scratch,
        &[],
        &build.join("minimal"),
        &[],
        &emulator_env(&emu),
    );
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "first system: cluster\n"
    );
    // Without the variables it fails with a status name and a message naming what is missing.
    let mut cmd = std::process::Command::new(build.join("minimal"));
    for (name, _) in emulator_env(&emu) {
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
