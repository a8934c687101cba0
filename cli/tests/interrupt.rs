//! Ctrl-C during a staged download: exit 130 and no file left, neither the target nor the
//! library's temporary `.NAME.XXXXXX.part` beside it.

mod common;

use common::*;
use firecrest_emulator::{parse_fault, ApiVersion};
use std::path::Path;
use std::time::{Duration, Instant};

fn interrupted_download(api: ApiVersion) {
    let emu = start(api);
    let source = remote(&emu, "big.bin");
    put(&emu, &source, &pattern(1 << 20, 5));
    // The staged object's GET waits 6 s: the download sits on the network with its
    // temporary file open, where no progress callback can see Ctrl-C.
    emu.add_fault(parse_fault("GET /s3/=delay:6000*0").unwrap());
    let dir = scratch(&format!("sigint-{api:?}"));
    let target = dir.join("big.bin");
    let args = ["download", "--staged", &source, target.to_str().unwrap()];
    let mut child = command(Path::new(BIN), &env_of(&emu), &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    let started = Instant::now();
    let part = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".part"))
    };
    while !part() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no temporary file appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the download ended early"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let signalled = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = finish(child.wait_with_output().unwrap());
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "Ctrl-C took too long"
    );
    assert_eq!(out.code, 130, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
both!(ctrl_c_leaves_no_file, interrupted_download);
