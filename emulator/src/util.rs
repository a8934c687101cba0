//! Small helpers shared by the emulator's modules: randomness, clocks, hex, HMAC, URL coding.

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::io::{self, Read};
use std::time::{SystemTime, UNIX_EPOCH};

/// An I/O error in the C library's strerror wording, as coreutils prints it ("No such file or
/// directory"): std's text without its " (os error N)".
pub(crate) fn errtext(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// `n` bytes from the operating system's random source (keys, secrets, ids).
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the operating system's random source");
    buf
}

/// `n` random bytes in lower-case hex (ids, nonces, secrets).
pub(crate) fn random_hex(n: usize) -> String {
    hex::encode(random_bytes(n))
}

/// The hex SHA-256 of everything `r` yields, read in blocks (`sha256sum`).
pub(crate) fn sha256_hex(r: &mut impl Read) -> io::Result<String> {
    let mut h = Sha256::new();
    io::copy(r, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Constant-time comparison of two byte strings (signatures).
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// (year, month, day, hour, minute, second) in UTC.
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// `YYYY-MM-DDTHH:MM:SS` (FirecREST's task and `ls` timestamps; the emulator's server time is UTC).
pub(crate) fn iso_time(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
}

/// `YYYYMMDDTHHMMSSZ` (S3 `x-amz-date`).
pub(crate) fn amz_time(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

pub(crate) fn amz_day(secs: i64) -> String {
    amz_time(secs)[..8].to_string()
}

/// Parses `YYYYMMDDTHHMMSSZ` back into seconds since the epoch.
pub(crate) fn parse_amz_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    // days-from-civil
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = if mo > 2 { mo - 3 } else { mo + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86400 + h * 3600 + mi * 60 + se)
}

/// Percent-decoding of a path (where `+` stays a plus).
pub(crate) fn percent_decode_path(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Decoding of one urlencoded form value (`+` is a space).
pub(crate) fn form_decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Everything but `A-Z a-z 0-9 - _ . ~` is encoded (RFC 3986 unreserved; S3 signing).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// Parses `a=1&b=2` (query strings and urlencoded forms), keeping the order.
pub(crate) fn parse_urlencoded(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let t = 1_795_715_137;
        assert_eq!(iso_time(t), "2026-11-26T17:45:37");
        assert_eq!(parse_amz_time(&amz_time(t)), Some(t));
    }

    #[test]
    fn decoding() {
        assert_eq!(form_decode("a%2Fb+c"), "a/b c");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(percent_decode_path("a+b%20c"), "a+b c");
        assert_eq!(
            parse_urlencoded("a=1+2&&b&c=%41"),
            [
                ("a".to_string(), "1 2".to_string()),
                ("b".to_string(), String::new()),
                ("c".to_string(), "A".to_string()),
            ]
        );
        assert_eq!(percent_encode("a b/~"), "a%20b%2F~");
    }
}
