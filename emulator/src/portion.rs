//! The part of a file `head` and `tail` print, found by seeking and scanning in blocks so that
//! neither v1's `utilities/head|tail` nor v2's `ops/head|tail` holds more than its output.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

const BLOCK: usize = 64 * 1024;

/// What to count: `-c N` or `-n N`.
#[derive(Clone, Copy)]
pub(crate) enum Count {
    Bytes(u64),
    Lines(u64),
}

/// The byte range `[start, end)` of a file of `len` bytes that `head` (or `tail`) prints.
/// `skip` is head's "all but the last N" (`-c -N`, `-n -N`) or tail's "from the Nth on" (`+N`).
/// Scanning stops once the range is known to exceed `limit` bytes, so a range longer than
/// `limit` only says "too long": callers either refuse it or print its first `limit` bytes.
pub(crate) fn range(
    f: &mut File,
    len: u64,
    count: Count,
    tail: bool,
    skip: bool,
    limit: u64,
) -> io::Result<(u64, u64)> {
    Ok(match (count, tail, skip) {
        (Count::Bytes(n), false, false) => (0, n.min(len)),
        (Count::Bytes(n), false, true) => (0, len.saturating_sub(n)),
        (Count::Bytes(n), true, false) => (len.saturating_sub(n), len),
        (Count::Bytes(n), true, true) => (n.saturating_sub(1).min(len), len),
        (Count::Lines(n), false, false) => (0, after_lines(f, n, limit)?),
        (Count::Lines(n), false, true) => (0, last_lines_start(f, len, n, u64::MAX)?),
        (Count::Lines(n), true, false) => (last_lines_start(f, len, n, limit)?, len),
        (Count::Lines(n), true, true) => (after_lines(f, n.saturating_sub(1), u64::MAX)?, len),
    })
}

/// Reads `[start, end)`, at most `limit` bytes of it.
pub(crate) fn read(f: &mut File, (start, end): (u64, u64), limit: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    f.seek(SeekFrom::Start(start))?;
    f.take(end.saturating_sub(start).min(limit))
        .read_to_end(&mut out)?;
    Ok(out)
}

/// The offset just after the `n`th newline (the file's end if it has fewer), or some offset
/// past `limit` once that is certain.
fn after_lines(f: &mut File, n: u64, limit: u64) -> io::Result<u64> {
    f.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; BLOCK];
    let (mut pos, mut seen) = (0u64, 0u64);
    while seen < n && pos <= limit {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        for (i, &b) in buf[..k].iter().enumerate() {
            if b == b'\n' {
                seen += 1;
                if seen == n {
                    return Ok(pos + i as u64 + 1);
                }
            }
        }
        pos += k as u64;
    }
    Ok(pos)
}

/// Where the last `n` lines begin (a trailing newline ends the last line, it does not start
/// another), or some offset more than `limit` before the end once that is certain.
fn last_lines_start(f: &mut File, len: u64, n: u64, limit: u64) -> io::Result<u64> {
    if n == 0 {
        return Ok(len);
    }
    let mut buf = vec![0u8; BLOCK];
    let (mut start, mut found) = (len, 0u64);
    while start > 0 && len - start <= limit {
        let step = (BLOCK as u64).min(start);
        start -= step;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf[..step as usize])?;
        for i in (0..step as usize).rev() {
            let pos = start + i as u64;
            if buf[i] == b'\n' && pos != len - 1 {
                found += 1;
                if found == n {
                    return Ok(pos + 1);
                }
            }
        }
    }
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Every case against the straightforward in-memory answer, with blocks smaller than lines.
    #[test]
    fn ranges_match_whole_file_slicing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        for text in ["", "a", "a\n", "a\nbb\nccc", "a\nbb\nccc\n", "\n\n\nx\n"] {
            let long = text.repeat(BLOCK / 3 + 1);
            for data in [text.as_bytes(), long.as_bytes()] {
                File::create(&path).unwrap().write_all(data).unwrap();
                let mut f = File::open(&path).unwrap();
                let len = data.len() as u64;
                let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
                for n in [0u64, 1, 2, 3, 5, 100_000] {
                    for (tail, skip) in [(false, false), (false, true), (true, false), (true, true)]
                    {
                        let k = n as usize;
                        let units = |l: usize| match (tail, skip) {
                            (false, false) => 0..k.min(l),
                            (false, true) => 0..l.saturating_sub(k),
                            (true, false) => l.saturating_sub(k)..l,
                            (true, true) => k.saturating_sub(1).min(l)..l,
                        };
                        let want_lines = lines[units(lines.len())].concat();
                        let r = range(&mut f, len, Count::Lines(n), tail, skip, u64::MAX).unwrap();
                        assert_eq!(read(&mut f, r, u64::MAX).unwrap(), want_lines);
                        let want_bytes = &data[units(data.len())];
                        let r = range(&mut f, len, Count::Bytes(n), tail, skip, u64::MAX).unwrap();
                        assert_eq!(read(&mut f, r, u64::MAX).unwrap(), want_bytes);
                    }
                }
            }
        }
    }
}
