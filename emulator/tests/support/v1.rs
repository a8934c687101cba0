//! The v1 side: the files the v1 transcripts were recorded with, test data, staging forms.

use firecrest_emulator::Emulator;

pub fn hello_text() -> String {
    (1..=30)
        .map(|i| format!("line {i:02}: the quick brown fox jumps over the lazy dog\n"))
        .collect()
}

/// The files the v1 transcripts were recorded with (see their README), under the home.
pub fn make_fixtures(emu: &Emulator) {
    let home = emu.local_path("/home/testuser");
    std::fs::create_dir_all(home.join("dir1/sub")).unwrap();
    std::fs::write(home.join("hello.txt"), hello_text()).unwrap();
    std::fs::write(home.join(".hidden"), "hidden content\n").unwrap();
    std::fs::write(home.join("dir1/inner.txt"), "inner text\n").unwrap();
    std::fs::write(home.join("dir1/sub/deep.txt"), "deep\n").unwrap();
    std::fs::write(home.join("empty.txt"), "").unwrap();
    std::fs::write(
        home.join("job.sh"),
        "#!/bin/bash\n#SBATCH --job-name=f7t-test\necho hello from job\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("hello.txt", home.join("link-to-hello")).unwrap();
}

/// Deterministic test data of `n` bytes.
pub fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// The presigned staging form of an upload task at 111: (url, fields in order).
pub fn staging_form(task: &serde_json::Value) -> (String, Vec<(String, String)>) {
    let p = &task["data"]["msg"]["parameters"];
    let fields = p["data"]
        .as_object()
        .expect("111 data.msg.parameters.data")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    (p["url"].as_str().unwrap_or("").to_string(), fields)
}
