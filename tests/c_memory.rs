//! The C programs under valgrind (no error, no definite leak) and built with ASan/UBSan.
//! Skipped with a printed reason only when the tool is missing locally; on CI (CI=true) they run.
//!
//! ASan runs with LeakSanitizer on (ASAN_OPTIONS=detect_leaks=1): the Rust allocations the
//! library keeps for the process's life are still reachable, so LSan does not report them.
//! valgrind reports one 48-byte "possibly lost" block (the std `Thread` handle of a thread the
//! library spawns), hence `--errors-for-leak-kinds=definite`.

mod support;

use firecrest::ApiVersion;
use support::c::*;
use support::*;

fn valgrind_available() -> bool {
    tool_available("valgrind", "memory checks of the C programs")
}

#[test]
fn edges_calls_and_tour_under_valgrind() {
    if !valgrind_available() {
        return;
    }
    let Some(t) = Setup::new("valgrind", &["edges", "calls", "tour"], ApiVersion::V1) else {
        return;
    };
    check_c_test(&t.run(VALGRIND, "edges", &[]), "edges under valgrind");
    check_c_test(&t.run(VALGRIND, "calls", &[]), "calls under valgrind");
    check_tour_output(&t.run(VALGRIND, "tour", &[]), ApiVersion::V1);
}

#[test]
fn transfer_under_valgrind_v2() {
    if !valgrind_available() {
        return;
    }
    // v2: multipart upload with parallel parts, the other half of the transfer code.
    let Some(t) = Setup::new("valgrind-transfer", &["transfer"], ApiVersion::V2) else {
        return;
    };
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let (local, remote, back) = (t.local("in.bin"), t.remote("vg.bin"), t.local("back.bin"));
    std::fs::write(&local, &data).unwrap();
    let out = t.run(VALGRIND, "transfer", &["upload", &local, &remote]);
    assert!(
        out.status.success(),
        "upload under valgrind\n{}",
        show(&out)
    );
    let out = t.run(VALGRIND, "transfer", &["download", &remote, &back]);
    assert!(
        out.status.success(),
        "download under valgrind\n{}",
        show(&out)
    );
    assert!(
        std::fs::read(&back).unwrap() == data,
        "downloaded bytes differ"
    );
}

#[test]
fn job_under_valgrind_v1() {
    if !valgrind_available() {
        return;
    }
    // v1: the compute task flow, the script placed in the working directory.
    let Some(t) = Setup::new("valgrind-job", &["job"], ApiVersion::V1) else {
        return;
    };
    let out = t.run(VALGRIND, "job", &[]);
    assert!(out.status.success(), "job under valgrind\n{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ended COMPLETED"),
        "{}",
        show(&out)
    );
}

/// Whether cc can build with the sanitizers (a compiler without their runtimes cannot: that is a
/// missing tool too).
fn sanitizers_available() -> bool {
    let probe = std::process::Command::new("sh")
        .arg("-c")
        .arg("echo 'int main(void){return 0;}' | cc -x c -fsanitize=address,undefined -o /dev/null -")
        .status();
    if probe.map(|s| s.success()).unwrap_or(false) {
        return true;
    }
    skip("cc cannot build with -fsanitize=address,undefined here")
}

/// Exit statuses already fail on a report (halt_on_error); this names the cause in the message.
fn no_sanitizer_report(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    for marker in [
        "runtime error:",
        "ERROR: AddressSanitizer",
        "ERROR: LeakSanitizer",
    ] {
        assert!(!stderr.contains(marker), "sanitizer report\n{}", show(out));
    }
}

#[test]
fn programs_built_with_asan_and_ubsan() {
    if !c_toolchain() || !sanitizers_available() {
        return;
    }
    let targets = ["edges-asan", "calls-asan", "tour-asan", "transfer-asan"];
    let Some(mut t) = Setup::new("asan", &targets, ApiVersion::V1) else {
        return;
    };
    t.env.push(("ASAN_OPTIONS", "detect_leaks=1".to_string()));
    t.env.push((
        "UBSAN_OPTIONS",
        "print_stacktrace=1:halt_on_error=1".to_string(),
    ));

    let out = t.run(&[], "edges-asan", &[]);
    check_c_test(&out, "edges with ASan/UBSan");
    no_sanitizer_report(&out);

    let out = t.run(&[], "calls-asan", &[]);
    check_c_test(&out, "calls with ASan/UBSan");
    no_sanitizer_report(&out);

    let out = t.run(&[], "tour-asan", &[]);
    check_tour_output(&out, ApiVersion::V1);
    no_sanitizer_report(&out);

    let (local, remote, back) = (t.local("in.bin"), t.remote("asan.bin"), t.local("back.bin"));
    std::fs::write(&local, vec![42u8; 100_000]).unwrap();
    let (local, remote, back) = (local.as_str(), remote.as_str(), back.as_str());
    for args in [["upload", local, remote], ["download", remote, back]] {
        let out = t.run(&[], "transfer-asan", &args);
        assert!(
            out.status.success(),
            "transfer-asan {}\n{}",
            args[0],
            show(&out)
        );
        no_sanitizer_report(&out);
    }
    assert_eq!(std::fs::read(back).unwrap(), vec![42u8; 100_000]);
}
