//! The C programs under valgrind (no error, no definite leak) and built with ASan/UBSan.
//! Skipped with a printed reason only when the tool is missing locally; on CI (CI=true) they run.
//!
//! ASan runs with LeakSanitizer on (ASAN_OPTIONS=detect_leaks=1): the Rust allocations the
//! library keeps for the process's life are still reachable, so LSan does not report them.
//! valgrind reports one 48-byte "possibly lost" block (the std `Thread` handle of a thread the
//! library spawns), hence `--errors-for-leak-kinds=definite`.

mod c_support;

use c_support::*;
use firecrest::ApiVersion;

fn check_edges(out: &std::process::Output, what: &str) {
    assert!(out.status.success(), "{what}\n{}", show(out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(" passed, 0 failed"),
        "{what}\n{}",
        show(out)
    );
}

#[test]
fn edges_and_tour_under_valgrind() {
    if !c_toolchain() || !tool_available("valgrind", "memory checks of the C programs") {
        return;
    }
    let scratch = Scratch::new("valgrind");
    let build = build(&scratch, &["edges", "tour"]);
    let emu = start_emulator(ApiVersion::V1).expect("emulator");
    let env = emulator_env(&emu);
    let out = run(&scratch, VALGRIND, &build.join("edges"), &[], &env);
    check_edges(&out, "edges under valgrind");
    let out = run(&scratch, VALGRIND, &build.join("tour"), &[], &env);
    check_tour_output(&out, ApiVersion::V1);
}

#[test]
fn transfer_under_valgrind_v2() {
    if !c_toolchain() || !tool_available("valgrind", "memory checks of the C programs") {
        return;
    }
    let scratch = Scratch::new("valgrind-transfer");
    let build = build(&scratch, &["transfer"]);
    // v2: multipart upload with parallel parts, the other half of the transfer code.
    let emu = start_emulator(ApiVersion::V2).expect("emulator");
    let env = emulator_env(&emu);
    let local = scratch.path().join("in.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&local, &data).unwrap();
    let remote = format!("{}/vg.bin", emu.home());
    let transfer = build.join("transfer");
    let out = run(
        &scratch,
        VALGRIND,
        &transfer,
        &["upload", local.to_str().unwrap(), &remote],
        &env,
    );
    assert!(
        out.status.success(),
        "upload under valgrind\n{}",
        show(&out)
    );
    let back = scratch.path().join("back.bin");
    let out = run(
        &scratch,
        VALGRIND,
        &transfer,
        &["download", &remote, back.to_str().unwrap()],
        &env,
    );
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
fn programs_built_with_asan_and_ubsan() {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new("asan");
    // A compiler without the sanitizer runtimes fails here; that is a missing tool too.
    let probe = std::process::Command::new("sh")
        .arg("-c")
        .arg("echo 'int main(void){return 0;}' | cc -x c -fsanitize=address,undefined -o /dev/null -")
        .status();
    if !probe.map(|s| s.success()).unwrap_or(false) {
        assert!(
            !on_ci(),
            "cc cannot build with -fsanitize=address,undefined on CI"
        );
        eprintln!("SKIPPED: cc cannot build with -fsanitize=address,undefined here");
        return;
    }
    let build = build(&scratch, &["edges-asan", "tour-asan", "transfer-asan"]);
    let emu = start_emulator(ApiVersion::V1).expect("emulator");
    let mut env = emulator_env(&emu);
    env.push(("ASAN_OPTIONS", "detect_leaks=1".to_string()));
    env.push((
        "UBSAN_OPTIONS",
        "print_stacktrace=1:halt_on_error=1".to_string(),
    ));
    let out = run(&scratch, &[], &build.join("edges-asan"), &[], &env);
    check_edges(&out, "edges with ASan/UBSan");
    no_sanitizer_report(&out);
    let out = run(&scratch, &[], &build.join("tour-asan"), &[], &env);
    check_tour_output(&out, ApiVersion::V1);
    no_sanitizer_report(&out);
    let local = scratch.path().join("in.bin");
    std::fs::write(&local, vec![42u8; 100_000]).unwrap();
    let remote = format!("{}/asan.bin", emu.home());
    let out = run(
        &scratch,
        &[],
        &build.join("transfer-asan"),
        &["upload", local.to_str().unwrap(), &remote],
        &env,
    );
    assert!(out.status.success(), "transfer-asan upload\n{}", show(&out));
    no_sanitizer_report(&out);
}

/// Exit statuses already fail on a report (halt_on_error); this names the cause in the message.
fn no_sanitizer_report(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    for marker in ["runtime error:", "ERROR: AddressSanitizer"] {
        assert!(!stderr.contains(marker), "sanitizer report\n{}", show(out));
    }
}
