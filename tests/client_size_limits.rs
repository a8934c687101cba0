//! The limits of small transfers (simple upload, download, view), which each version enforces
//! its own way: v1's server refuses (X-Size-Limit, 413), v2's client refuses before sending,
//! counting the base64 growth of downloads.

mod support;

use firecrest::{ApiVersion, Client, ErrorKind};
use support::*;

/// The limit in bytes, from the parameter both versions report (UTILITIES_MAX_FILE_SIZE, MiB).
fn max_file_size(c: &Client) -> usize {
    let mib: f64 = c
        .parameters()
        .unwrap()
        .get("UTILITIES_MAX_FILE_SIZE")
        .unwrap()
        .parse()
        .unwrap();
    (mib * 1048576.0) as usize
}

#[test]
fn v1_server_refuses_files_over_the_limit() {
    let emu = emulator(ApiVersion::V1, |_| {});
    let c = client(&emu);
    let too_big = vec![1u8; max_file_size(&c) + 1024];
    put_remote(&emu, &remote(&emu, "big.bin"), &too_big);
    let dir = scratch("limits");
    let e = c
        .simple_download("cluster", &remote(&emu, "big.bin"), &dir.join("big.bin"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError, "{e:?}");
    assert_eq!(e.error_header().map(|h| h.0), Some("X-Size-Limit"));
    assert!(entries(&dir).is_empty());
    let e = c.view("cluster", &remote(&emu, "big.bin")).unwrap_err();
    assert_eq!(e.error_header().map(|h| h.0), Some("X-Size-Limit"));

    let e = c
        .simple_upload_bytes("cluster", &too_big, &emu.home(), "up-big.bin")
        .unwrap_err();
    assert_eq!(e.http_status(), 413, "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Http);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn v2_client_refuses_files_over_the_limit() {
    let (emu, c) = setup(ApiVersion::V2);
    let sys = emu.system();
    let home = emu.home();
    let limit = max_file_size(&c);

    // At the limit: accepted. One byte over: refused locally, naming size and limit.
    c.simple_upload_bytes(&sys, &bytes(limit, 1), &home, "at-limit.bin")
        .unwrap();
    let before = emu.counter("requests");
    let e = c
        .simple_upload_bytes(&sys, &bytes(limit + 1, 1), &home, "over.bin")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains(&(limit + 1).to_string()), "{e:?}");
    assert!(e.message().contains(&limit.to_string()), "{e:?}");
    assert!(e.message().contains("external_upload"), "{e:?}");
    assert!(!emu.local_path(&format!("{home}/over.bin")).exists());
    // only the limit lookup went out, not the body
    assert!(emu.counter("requests") - before <= 2);

    // Downloads travel base64-encoded: the at-limit file is refused, 3/4 of it passes.
    let mut sink = Vec::new();
    let e = c
        .simple_download_to(&sys, &format!("{home}/at-limit.bin"), &mut sink)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("base64"), "{e:?}");
    assert!(e.message().contains("external_download"), "{e:?}");
    let fits = limit / 4 * 3;
    let data = bytes(fits, 2);
    put_remote(&emu, &format!("{home}/fits.bin"), &data);
    let n = c
        .simple_download_to(&sys, &format!("{home}/fits.bin"), &mut sink)
        .unwrap();
    assert_eq!(n as usize, fits);
    assert_eq!(sha256_hex(&sink), sha256_hex(&data));
}

/// A v2 system whose `max_ops_file_size` is below the server's default `view` size (5 MiB)
/// refuses a `view` without `size` (400); the client sends the system's limit, and gets up to
/// that many bytes.
#[test]
fn v2_view_fits_a_lower_system_limit() {
    let limit = 64 * 1024;
    let emu = emulator(ApiVersion::V2, |c| c.max_ops_file_size = limit);
    let c = client(&emu);
    let path = remote(&emu, "small.txt");
    put_remote(&emu, &path, b"small\n");
    assert_eq!(c.view("cluster", &path).unwrap(), "small\n");
    let long = remote(&emu, "long.txt");
    put_remote(&emu, &long, &vec![b'x'; limit as usize * 2]);
    assert_eq!(c.view("cluster", &long).unwrap().len(), limit as usize);
}
