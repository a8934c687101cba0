//! v1's tasks (`/tasks`): listed, read one by one, an unknown id; v2 has none (client_ops.rs
//! checks that it says so).

mod support;

use firecrest::ApiVersion;
use firecrest::ErrorKind;
use support::*;

#[test]
fn tasks_list_and_single() {
    let emu = emulator(ApiVersion::V1, |_| {});
    let c = client(&emu);
    put_remote(&emu, &remote(&emu, "t.bin"), b"task data");
    let mut t = c
        .external_download("cluster", &remote(&emu, "t.bin"))
        .unwrap();
    t.wait(
        firecrest::TransferState::DownloadReady,
        std::time::Duration::from_secs(30),
    )
    .unwrap();
    let all = c.tasks(None).unwrap();
    assert_eq!(all.len(), 1);
    let id = all[0].task_id.clone();
    assert_eq!(all[0].status, 117);
    let one = c.task(&id).unwrap();
    assert_eq!(one.service, "storage");
    assert_eq!(c.tasks(Some(&[id.as_str()])).unwrap()[0].task_id, id);
    let e = c.task("0123456789abcdef0123456789abcdef").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
}
