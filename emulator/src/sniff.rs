//! What `file -b` answers for a regular, non-empty file, from its first bytes (v1's
//! `utilities/file` and v2's `ops/file`).

/// How many bytes of a file `describe` needs.
pub(crate) const HEAD: u64 = 64 * 1024;

/// `ASCII text`, `Unicode text, UTF-8 text`, a script's kind, or `data`.
pub(crate) fn describe(head: &[u8]) -> String {
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A character cut by the end of the sample is still text.
        Err(e) => e.error_len().is_none(),
    };
    let text = if head
        .iter()
        .all(|&b| b == b'\n' || b == b'\t' || b == b'\r' || (0x20..0x7f).contains(&b))
    {
        "ASCII text"
    } else if utf8 && !head.contains(&0) {
        "Unicode text, UTF-8 text"
    } else {
        return "data".to_string();
    };
    if head.starts_with(b"#!") {
        let first =
            String::from_utf8_lossy(head.split(|&b| b == b'\n').next().unwrap_or(b"")).into_owned();
        let shell = if first.contains("bash") {
            "Bourne-Again shell script"
        } else if first.contains("python") {
            "Python script"
        } else {
            "POSIX shell script"
        };
        return format!("{shell}, {text} executable");
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(describe(b"hello\n"), "ASCII text");
        assert_eq!(describe("h\u{e9}\n".as_bytes()), "Unicode text, UTF-8 text");
        assert_eq!(
            describe(&"\u{e9}".as_bytes()[..1]),
            "Unicode text, UTF-8 text"
        );
        assert_eq!(describe(b"\x00\x01\xff"), "data");
        assert_eq!(
            describe(b"#!/bin/bash\necho\n"),
            "Bourne-Again shell script, ASCII text executable"
        );
    }
}
