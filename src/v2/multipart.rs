//! Sending a local file to S3 through presigned multipart URLs (the v2 external upload).
//!
//! `parallel_parts` threads each take the next part number, open the file themselves and stream
//! their byte range with an exact `Content-Length`, so memory is bounded by the parts in flight
//! (the transport's buffers), not by the file. A part that fails transiently is sent again.
//! Progress is reported on the calling thread (the callback is not `Send`).

use super::http::{classify_s3, s3_error_text};
use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::transport::{self, xml_field, Method, Request, Stream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;

/// What the server's `transferDirectives` tell us. No `Debug`: the URLs are presigned, their
/// query is a credential.
#[derive(Clone)]
pub(crate) struct Plan {
    pub(crate) part_urls: Vec<String>,
    pub(crate) complete_url: String,
    pub(crate) part_size: u64,
    pub(crate) size: u64,
}

impl Plan {
    /// Checks that the URLs cover the file: N = ceil(size / part size).
    pub(crate) fn check(&self) -> Result<()> {
        let expected = if self.part_size == 0 {
            0
        } else {
            self.size.div_ceil(self.part_size)
        };
        if self.part_size == 0 || expected != self.part_urls.len() as u64 {
            return Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "the server gave {} part URLs of {} bytes for a {}-byte file (expected {expected})",
                    self.part_urls.len(),
                    self.part_size,
                    self.size
                ),
            ));
        }
        Ok(())
    }

    /// Byte range (offset, length) of part `i` (0-based).
    fn range(&self, i: usize) -> (u64, u64) {
        let offset = i as u64 * self.part_size;
        (offset, self.part_size.min(self.size - offset))
    }
}

enum Event {
    /// Bytes sent (negative: a failed attempt's bytes, sent again).
    Progress(i64),
    Failed(Error),
}

/// Progress of the parts is passed to the caller in steps of at least this many bytes.
const PROGRESS_STEP: u64 = 1 << 20;

/// Sends every part, then completes the upload. `what` names the transfer in messages.
pub(crate) fn upload(
    c: &Session,
    file: &Path,
    plan: &Plan,
    what: &str,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<()> {
    plan.check()?;
    let etags = send_parts(c, file, plan, what, progress)?;
    complete(c, plan, &etags, what)
}

fn send_parts(
    c: &Session,
    file: &Path,
    plan: &Plan,
    what: &str,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<Vec<String>> {
    let n = plan.part_urls.len();
    let workers = c.options().parallel_parts.clamp(1, n.max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let etags: Mutex<Vec<Option<String>>> = Mutex::new(vec![None; n]);
    let (tx, rx) = mpsc::channel::<Event>();
    let mut first_error: Option<Error> = None;
    let mut aborted = false;

    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, etags) = (&next, &stop, &etags);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    match send_part(c, file, plan, i, what, &tx, stop) {
                        Ok(etag) => etags.lock().unwrap()[i] = Some(etag),
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            let _ = tx.send(Event::Failed(e));
                            break;
                        }
                    }
                }
            });
        }
        drop(tx);
        let mut done: i64 = 0;
        for event in rx {
            match event {
                Event::Progress(delta) => {
                    done += delta;
                    if !aborted && !progress(done.max(0) as u64, plan.size) {
                        aborted = true;
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                Event::Failed(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
    });

    if aborted {
        return Err(Error::new(
            ErrorKind::AbortedByCallback,
            format!("{what}: aborted by the progress callback"),
        ));
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    etags
        .into_inner()
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            e.ok_or_else(|| {
                Error::new(
                    ErrorKind::Internal,
                    format!("{what}: part {} unsent", i + 1),
                )
            })
        })
        .collect()
}

/// One part, sent again after transient failures (transport errors, 5xx, 408).
fn send_part(
    c: &Session,
    file: &Path,
    plan: &Plan,
    i: usize,
    what: &str,
    tx: &mpsc::Sender<Event>,
    stop: &AtomicBool,
) -> Result<String> {
    let (offset, len) = plan.range(i);
    let context = format!("{what}: part {} of {}", i + 1, plan.part_urls.len());
    let retries = c.options().max_retries;
    let mut attempt = 0;
    loop {
        let mut sent: u64 = 0;
        // `done` restarts from 0 when the transport repeats the request itself (429/503).
        // Reported in steps of a MiB and at the part's end: each event wakes the calling
        // thread, and an event per read was some 8,000 wake-ups per GiB.
        let mut report = |done: u64, _total: u64| {
            if done < sent || done - sent >= PROGRESS_STEP || done == len {
                let _ = tx.send(Event::Progress(done as i64 - sent as i64));
                sent = done;
            }
            !stop.load(Ordering::Relaxed)
        };
        // Not marked idempotent: the retries of this loop cover every transient failure once.
        let req = Request::absolute(Method::Put, &plan.part_urls[i])
            .stream(Stream::file(file, offset, len), None)
            .context(&context)
            .classifier(classify_s3)
            .progress(&mut report);
        let result = c.send(req).and_then(|resp| {
            let etag = resp.header("etag").map(str::to_string);
            resp.discard();
            etag.ok_or_else(|| {
                Error::new(
                    ErrorKind::Http,
                    format!("{context}: S3 answered without an ETag"),
                )
            })
        });
        match result {
            Ok(etag) => return Ok(etag),
            Err(e) => {
                let _ = tx.send(Event::Progress(-(sent as i64)));
                // 429 is not here: the transport already waited as long as Retry-After asked,
                // or gave up because it asked for longer; asking sooner would not help.
                let transient =
                    e.kind().is_transient_transport() || matches!(e.http_status(), 408 | 500..=599);
                if !transient || attempt >= retries || stop.load(Ordering::Relaxed) {
                    return Err(e);
                }
                std::thread::sleep(transport::backoff(attempt));
                attempt += 1;
            }
        }
    }
}

/// `CompleteMultipartUpload` with the ETags verbatim, in part order. S3 may answer 200 with an
/// `<Error>` body, so the body is checked too.
fn complete(c: &Session, plan: &Plan, etags: &[String], what: &str) -> Result<()> {
    let context = format!("{what}: completing the multipart upload");
    let req = Request::absolute(Method::Post, &plan.complete_url)
        .bytes(completion_xml(etags).into_bytes(), "application/xml")
        .context(&context)
        .classifier(classify_s3);
    let body = c.send(req)?.text()?;
    if body.contains("<Error>") || xml_field(&body, "Code").is_some() {
        return Err(Error::new(
            ErrorKind::Http,
            format!("{context}: {}", s3_error_text(&body)),
        ));
    }
    Ok(())
}

fn completion_xml(etags: &[String]) -> String {
    let mut xml =
        String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (i, etag) in etags.iter().enumerate() {
        xml.push_str(&format!(
            "<Part><ETag>{}</ETag><PartNumber>{}</PartNumber></Part>",
            xml_escape(etag),
            i + 1
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    xml
}

/// ETags carry quotes; XML text content only needs `&`, `<` and `>` escaped, so the quotes stay.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(size: u64, part: u64, n: usize) -> Plan {
        Plan {
            part_urls: vec![String::new(); n],
            complete_url: String::new(),
            part_size: part,
            size,
        }
    }

    #[test]
    fn ranges() {
        let p = plan(10, 4, 3);
        p.check().unwrap();
        assert_eq!(
            [p.range(0), p.range(1), p.range(2)],
            [(0, 4), (4, 4), (8, 2)]
        );
        plan(8, 4, 2).check().unwrap();
        assert!(plan(9, 4, 2).check().is_err());
    }

    #[test]
    fn xml_keeps_etag_quotes() {
        let xml = completion_xml(&["\"a1\"".into(), "\"b2\"".into()]);
        assert!(xml.contains("<Part><ETag>\"a1\"</ETag><PartNumber>1</PartNumber></Part>"));
        assert!(xml.ends_with("<PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"));
    }
}
