//! A `multipart/form-data` body written by hand, so that the file part can be streamed from any
//! reader while the request still carries an exact `Content-Length` (ureq's own form falls back
//! to chunked encoding for readers of unknown size, which S3 presigned POSTs refuse) and so that
//! the text fields keep the order the server gave them.

use std::io::{self, Read};

/// Text fields first, in order, then one file part, then the closing boundary.
pub(crate) struct MultipartLayout {
    boundary: String,
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl MultipartLayout {
    pub(crate) fn new(
        fields: &[(String, String)],
        file_field: &str,
        file_name: &str,
    ) -> MultipartLayout {
        let boundary = new_boundary();
        let mut head = Vec::new();
        for (name, value) in fields {
            head.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                    quote(name)
                )
                .as_bytes(),
            );
        }
        head.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                quote(file_field),
                quote(file_name)
            )
            .as_bytes(),
        );
        let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
        MultipartLayout {
            boundary,
            head,
            tail,
        }
    }

    pub(crate) fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The whole body's length when the file part has `file_len` bytes.
    pub(crate) fn body_len(&self, file_len: u64) -> u64 {
        self.head.len() as u64 + file_len + self.tail.len() as u64
    }

    /// The body as one reader: header bytes, the file, the trailer.
    pub(crate) fn reader<'a>(&'a self, file: impl Read + 'a) -> impl Read + 'a {
        io::Cursor::new(&self.head[..])
            .chain(file)
            .chain(io::Cursor::new(&self.tail[..]))
    }
}

/// Header parameter values are quoted strings; a quote or line break in a name would end them.
fn quote(s: &str) -> String {
    s.replace(['"', '\r', '\n'], "_")
}

/// 128 random bits, so that no file's content can contain the boundary by chance or design.
/// Without an OS random source (which rustls needs anyway) a counter and the clock still
/// keep boundaries distinct.
fn new_boundary() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
        bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    }
    format!("----firecrest-rs-{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_length_matches_bytes_written() {
        let fields = vec![
            ("key".to_string(), "abc/file.dat".to_string()),
            ("policy".to_string(), "xyz".to_string()),
        ];
        let layout = MultipartLayout::new(&fields, "file", "file.dat");
        let data = vec![7u8; 1000];
        let mut out = Vec::new();
        layout.reader(&data[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out.len() as u64, layout.body_len(1000));
        let text = String::from_utf8_lossy(&out);
        let key = text.find("name=\"key\"").unwrap();
        let policy = text.find("name=\"policy\"").unwrap();
        let file = text.find("name=\"file\"; filename=\"file.dat\"").unwrap();
        assert!(key < policy && policy < file, "fields in order, file last");
        assert!(text.ends_with(&format!("--{}--\r\n", layout.boundary)));
    }
}
