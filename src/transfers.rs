//! The transfer model shared by v1 and v2: one handle, followed by polling its state, whose
//! numbers are FirecREST v1's task status integers (110–118 and the task's 100/200/302/400).
//! On v2 the state is derived from the client's own progress and the transfer job's state.
//!
//! `Transfer` does the shared work — the wait loop with backoff, streaming the staged object
//! to disk with `Range` resume into a temporary file renamed at the end, progress — and asks
//! its `Backend` (v1 tasks, v2 jobs) only for what differs: polling, URLs, the upload itself.

use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::transport::{self, correlation, Method, Request};
pub use crate::types::TransferState;
use sha2::Digest;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long `finish_upload`/`finish_download` wait for the staging area to become ready
/// (the v1 server polls its store once a minute; staging a large file takes a while).
const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// Read/write buffer of streamed transfers: memory use does not depend on the file size.
const CHUNK: usize = 256 * 1024;

/// The smallest download buffer, for bodies shorter than that or longer than they said.
const MIN_CHUNK: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upload,
    Download,
}

impl Direction {
    fn noun(self) -> &'static str {
        match self {
            Direction::Upload => "an upload",
            Direction::Download => "a download",
        }
    }
}

/// Progress callback: (bytes done, bytes total). Returning `false` aborts the transfer with
/// `ErrorKind::AbortedByCallback`.
pub type ProgressFn = Box<dyn FnMut(u64, u64) -> bool + Send>;

/// An external upload or download in progress. Used from one thread at a time.
pub struct Transfer {
    pub(crate) direction: Direction,
    session: Arc<Session>,
    backend: Box<dyn Backend>,
    last_status: TransferState,
    progress: Option<ProgressFn>,
    ready_timeout: Duration,
    /// `finish_upload` sent the file: a second call would send it again (or, once the server
    /// has moved on, read the finished task as if it were a form).
    upload_sent: bool,
    /// The X-Correlation-ID of the call that created the transfer: its polls and staging
    /// requests carry it too, so the centre sees one operation (as pyfirecrest does).
    correlation_id: String,
    /// When the server's side began (the creating request's answer): the waits' delays grow
    /// with the transfer's age, not with the time one `wait` has lasted.
    created: Instant,
}

/// pyfirecrest's names for the two kinds of handle.
pub type ExternalUpload = Transfer;
pub type ExternalDownload = Transfer;

impl std::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfer")
            .field("direction", &self.direction)
            .field("what", &self.backend.describe())
            .field("last_status", &self.last_status)
            .finish()
    }
}

impl Transfer {
    /// A handle over `backend`; `initial_status` is what the creating request implied
    /// (v1: 100 queued; v2: whatever the backend derives).
    pub(crate) fn new(
        session: &Arc<Session>,
        direction: Direction,
        backend: Box<dyn Backend>,
        initial_status: TransferState,
    ) -> Transfer {
        Transfer {
            direction,
            session: Arc::clone(session),
            backend,
            last_status: initial_status,
            progress: None,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            upload_sent: false,
            correlation_id: correlation::current()
                .or_else(|| session.options().correlation_id.clone())
                .unwrap_or_else(correlation::fresh),
            created: Instant::now(),
        }
    }

    /// Runs `f` under the transfer's correlation id (unless the thread chose one).
    fn traced<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let id = self.correlation_id.clone();
        correlation::call(Some(&id), || f(self))
    }

    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Asks the server once; returns the state (a failure state is a value here).
    pub fn status(&mut self) -> Result<TransferState> {
        self.traced(|this| this.status_untraced())
    }

    fn status_untraced(&mut self) -> Result<TransferState> {
        let s = self.backend.poll()?;
        self.last_status = s;
        Ok(s)
    }

    /// The status seen by the last `status`/`wait`, without a request.
    pub fn last_status(&self) -> TransferState {
        self.last_status
    }

    /// Polls (`poll_initial` doubling to half a second, then a tenth of the transfer's age, at
    /// most `poll_max`) until the status is `until`, or a terminal status is reached. The age
    /// counts from the transfer's creation, when the server's side began: the end of a v2
    /// upload's job, which started before the parts were sent, is then noticed within a tenth
    /// of the job's life with fewer looks than if each wait started its schedule afresh.
    /// Success terminal (114, 117, 200) or `until` → Ok(status); failure terminal (115, 118,
    /// 400, 302) → Err(TaskFailed) carrying the task's message; `timeout` → Err(Timeout).
    ///
    /// A progress status already past `until` (e.g. 113 while waiting for 111) also returns.
    pub fn wait(&mut self, until: TransferState, timeout: Duration) -> Result<TransferState> {
        self.traced(|this| this.wait_untraced(until, timeout))
    }

    fn wait_untraced(&mut self, until: TransferState, timeout: Duration) -> Result<TransferState> {
        let start = Instant::now();
        let opts = self.session.options();
        let (initial, max) = (opts.poll_initial, opts.poll_max);
        let mut round = 0;
        loop {
            let s = self.status()?;
            if s == until {
                return Ok(s);
            }
            if s.is_failure() {
                return Err(self.failure(s));
            }
            let past = s.code() > until.code() && until.code() >= 100 && s.code() < 200;
            if s.is_success() || past {
                return Ok(s);
            }
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{}: still at status {s} after {:.1} s waiting for {until}",
                        self.backend.describe(),
                        elapsed.as_secs_f64()
                    ),
                )
                .with_task_status(s));
            }
            let delay = transport::poll_delay(initial, max, round, self.created.elapsed());
            std::thread::sleep(delay.min(timeout - elapsed));
            round = round.saturating_add(1);
        }
    }

    /// The staging instructions: v1 `data.msg.parameters` (upload) or `data` (download);
    /// v2 `transferDirectives`. Waits until they exist (upload 111, download 117).
    pub fn object_storage_data(&mut self) -> Result<serde_json::Value> {
        self.traced(|this| this.object_storage_data_untraced())
    }

    fn object_storage_data_untraced(&mut self) -> Result<serde_json::Value> {
        self.wait_ready()?;
        self.backend.object_storage_data()
    }

    /// Sends the local file to the staging area (v1 presigned form / v2 multipart parts),
    /// after waiting for the form (status 111) if it is not there yet.
    pub fn finish_upload(&mut self) -> Result<()> {
        self.traced(|this| this.finish_upload_untraced())
    }

    fn finish_upload_untraced(&mut self) -> Result<()> {
        self.expect(Direction::Upload, "finish_upload")?;
        let status = self.wait_ready()?;
        if self.upload_sent || status.code() > TransferState::UploadUrlReady.code() {
            return Err(Error::new(
                ErrorKind::InvalidState,
                format!(
                    "finish_upload: {}: the file was already sent (status {status})",
                    self.backend.describe()
                ),
            ));
        }
        let progress = &mut self.progress;
        self.backend
            .finish_upload(&mut |done, total| progress.as_mut().is_none_or(|p| p(done, total)))?;
        self.upload_sent = true;
        Ok(())
    }

    /// Waits for the link, then streams it into a temporary file beside `local_path`, renamed
    /// only when complete; resumes with `Range` after a dropped connection.
    pub fn finish_download(&mut self, local_path: &Path) -> Result<()> {
        self.traced(|this| this.finish_download_untraced(local_path))
    }

    fn finish_download_untraced(&mut self, local_path: &Path) -> Result<()> {
        let (url, what) = self.staged_download("finish_download")?;
        write_atomically(local_path, self.session.options().fsync_downloads, |file| {
            self.fetch_into(&url, &what, file).map(|_| ())
        })
    }

    pub fn finish_download_to(&mut self, writer: &mut dyn Write) -> Result<u64> {
        self.traced(|this| this.finish_download_to_untraced(writer))
    }

    fn finish_download_to_untraced(&mut self, writer: &mut dyn Write) -> Result<u64> {
        let (url, what) = self.staged_download("finish_download_to")?;
        self.fetch_into(&url, &what, &mut Appending(writer))
    }

    /// The link of a download once staged, and what the transfer is (for messages).
    fn staged_download(&mut self, op: &str) -> Result<(String, String)> {
        self.expect(Direction::Download, op)?;
        Ok((self.object_storage_link()?, self.backend.describe()))
    }

    /// GETs the presigned URL (no credentials) into `sink`, resumed with `Range` after a cut.
    fn fetch_into(&mut self, url: &str, what: &str, sink: &mut dyn DownloadSink) -> Result<u64> {
        let context = format!("{what}: download from staging");
        let progress = &mut self.progress;
        resumable_get(
            &self.session,
            &|| Request::absolute(Method::Get, url).context(context.clone()),
            &context,
            sink,
            &mut |done, total| progress.as_mut().is_none_or(|p| p(done, total)),
            Retries::WithoutProgress,
        )
    }

    /// The presigned URL of the staged object (download: once ready; upload: the URL the
    /// form is sent to).
    pub fn object_storage_link(&mut self) -> Result<String> {
        self.traced(|this| this.object_storage_link_untraced())
    }

    fn object_storage_link_untraced(&mut self) -> Result<String> {
        self.wait_ready()?;
        self.backend.download_url()
    }

    pub fn invalidate_object_storage_link(&mut self) -> Result<()> {
        self.traced(|this| this.invalidate_object_storage_link_untraced())
    }

    fn invalidate_object_storage_link_untraced(&mut self) -> Result<()> {
        self.backend.invalidate()?;
        self.last_status = TransferState::Invalidated;
        Ok(())
    }

    /// The callback of `finish_upload` and `finish_download*`. A download that has to start
    /// over (the store ignored `Range` after a cut) does not report fewer bytes: the count stays
    /// at the highest reported until the new body passes it.
    pub fn set_progress(&mut self, progress: Option<ProgressFn>) {
        self.progress = progress;
    }

    /// How long `finish_*`, `object_storage_*` wait for the staging area (default 6 h).
    pub fn set_ready_timeout(&mut self, timeout: Duration) {
        self.ready_timeout = timeout;
    }

    fn expect(&self, direction: Direction, op: &str) -> Result<()> {
        if self.direction == direction {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::InvalidState,
                format!(
                    "{op}: {} is {}, not {}",
                    self.backend.describe(),
                    self.direction.noun(),
                    direction.noun()
                ),
            ))
        }
    }

    fn ready_status(&self) -> TransferState {
        match self.direction {
            Direction::Upload => TransferState::UploadUrlReady,
            Direction::Download => TransferState::DownloadReady,
        }
    }

    /// Waits until the staging side is usable (upload 111, download 117) unless already seen.
    fn wait_ready(&mut self) -> Result<TransferState> {
        let ready = self.ready_status();
        let last = self.last_status;
        let reached = match self.direction {
            Direction::Upload => (111..=114).contains(&last.code()),
            Direction::Download => last == TransferState::DownloadReady,
        };
        if reached {
            return Ok(last);
        }
        self.wait(ready, self.ready_timeout)
    }

    fn failure(&self, status: TransferState) -> Error {
        Error::new(
            ErrorKind::TaskFailed,
            format!(
                "{}: status {status}: {}",
                self.backend.describe(),
                self.backend.failure_message()
            ),
        )
        .with_task_status(status)
    }
}

/// What differs between v1 (tasks, one presigned form) and v2 (jobs, S3 multipart). `Transfer`
/// holds one of these and does the shared work itself: the wait loop with backoff, streaming the
/// staged object to disk with `Range` resume, progress, integrity.
pub(crate) trait Backend: Send {
    /// One request to the server; the current state.
    fn poll(&mut self) -> Result<TransferState>;
    /// The message explaining a failure status (the task's or job's error text).
    fn failure_message(&self) -> String;
    fn object_storage_data(&mut self) -> Result<serde_json::Value>;
    /// Upload only: send the local file to the staging area.
    fn finish_upload(&mut self, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<()>;
    /// Download only: the presigned URL of the staged object, once the status says it is ready.
    fn download_url(&mut self) -> Result<String>;
    fn invalidate(&mut self) -> Result<()>;
    /// For messages: "external_download cluster:/home/u/f (task 5f1c…)".
    fn describe(&self) -> String;
}

/// Where a download goes. A server that ignores `Range` sends the file again from its first
/// byte: a file of our own can start over, a caller's writer (or a device) cannot.
pub(crate) trait DownloadSink: Write {
    /// Empties what was written so far; false where that is impossible.
    fn restart(&mut self) -> io::Result<bool>;
}

/// A caller's writer: appended to, never started over.
pub(crate) struct Appending<'a>(pub(crate) &'a mut dyn Write);

impl Write for Appending<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl DownloadSink for Appending<'_> {
    fn restart(&mut self) -> io::Result<bool> {
        Ok(false)
    }
}

/// Bytes kept in memory (a script read before it is submitted): emptied.
impl DownloadSink for Vec<u8> {
    fn restart(&mut self) -> io::Result<bool> {
        self.clear();
        Ok(true)
    }
}

/// A file the library opened itself (a temporary file): emptied and rewound.
impl DownloadSink for File {
    fn restart(&mut self) -> io::Result<bool> {
        self.set_len(0)?;
        self.rewind()?;
        Ok(true)
    }
}

/// How often a download cut mid-body is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retries {
    /// Staged downloads (large, from a store): `max_retries` failures in a row without a
    /// byte of progress; any progress earns a fresh budget.
    WithoutProgress,
    /// Simple downloads, which are held to the transport's budget for one call: `max_retries`
    /// repetitions in all, only after a cut (reset, early end, short body), never after a
    /// timeout (the low-speed rule is this call's deadline), and none that would start after
    /// `call_timeout` has passed since the first request.
    PerCall,
}

/// GETs what `request` describes into `sink`. A body that breaks off is asked for again with
/// `Range: bytes=<done>-`; an answer of 206 must resume exactly there, a 200 sends the whole
/// file again, which a sink that can start over takes from its first byte (else the cut is
/// reported). A failure writing the sink (a full disk) is never retried.
///
/// `progress` sees (bytes done, bytes total; 0 when unknown) and never goes backwards: after
/// a start over it stays at the highest count reported until the new body passes it (it is
/// still called on every chunk, so the callback can abort meanwhile).
pub(crate) fn resumable_get(
    session: &Session,
    request: &dyn Fn() -> Request<'static>,
    context: &str,
    sink: &mut dyn DownloadSink,
    progress: &mut dyn FnMut(u64, u64) -> bool,
    retries: Retries,
) -> Result<u64> {
    let max_retries = session.options().max_retries;
    let call_timeout = session.options().call_timeout;
    let started = Instant::now();
    let prefixed = |msg: String| {
        if context.is_empty() {
            msg
        } else {
            format!("{context}: {msg}")
        }
    };
    let local = |e: io::Error| Error::new(ErrorKind::Io, prefixed(e.to_string())).with_source(e);
    let mut done: u64 = 0;
    let mut reported: u64 = 0;
    let mut failures: u32 = 0;
    // Sized from the first answer's length: a small file's download neither zeroes nor maps
    // a quarter MiB (a block that large is mmap'd and munmap'd by malloc every call, and with
    // threads each munmap interrupts every CPU to flush its TLB).
    let mut buf = Vec::new();
    loop {
        // identity: a compressed answer would make byte offsets meaningless for Range.
        let mut req = request().header("Accept-Encoding", "identity").download();
        if done > 0 {
            req = req.header("Range", format!("bytes={done}-"));
        }
        let resp = session.send(req)?;
        let total = match (resp.status(), done) {
            (206, _) => {
                let start = content_range_start(resp.header("content-range"));
                if start != Some(done) {
                    return Err(Error::new(
                        ErrorKind::Transport,
                        prefixed(format!(
                            "the server resumed at {start:?}, not at byte {done}"
                        )),
                    ));
                }
                resp.content_length().map(|n| n + done)
            }
            (_, 0) => resp.content_length(),
            _ => {
                // The server ignored Range: start over if the sink allows it.
                if !sink.restart().map_err(local)? {
                    return Err(Error::new(
                        ErrorKind::Transport,
                        prefixed(format!(
                            "the connection dropped after {done} bytes and the server \
                             does not support Range, so the download cannot resume"
                        )),
                    ));
                }
                done = 0;
                resp.content_length()
            }
        };
        let want = total.map_or(CHUNK as u64, |t| t.saturating_sub(done));
        let want = want.clamp(MIN_CHUNK as u64, CHUNK as u64) as usize;
        if buf.len() < want {
            buf.resize(want, 0);
        }
        let mut speed = resp.low_speed();
        let mut body = resp.into_reader();
        let outcome = loop {
            if let Err(e) = speed.check() {
                break Err(transport::io_error(&e));
            }
            match body.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    speed.count(n);
                    sink.write_all(&buf[..n]).map_err(local)?;
                    done += n as u64;
                    if retries == Retries::WithoutProgress {
                        failures = 0;
                    }
                    reported = reported.max(done);
                    if !progress(reported, total.unwrap_or(0)) {
                        return Err(Error::new(
                            ErrorKind::AbortedByCallback,
                            prefixed(format!(
                                "aborted by the progress callback after {done} bytes"
                            )),
                        ));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(transport::io_error(&e)),
            }
        };
        let failure = match outcome {
            Ok(()) if total.is_none_or(|t| done >= t) => {
                sink.flush().map_err(local)?;
                return Ok(done);
            }
            Ok(()) => Error::new(
                ErrorKind::Transport,
                format!(
                    "the connection closed after {done} of {} bytes",
                    total.unwrap_or(0)
                ),
            ),
            Err(e) => {
                let msg = format!("after {done} bytes: {}", e.message());
                e.with_message(msg)
            }
        };
        let wait = transport::backoff(failures);
        let again = failures < max_retries
            && match retries {
                Retries::WithoutProgress => true,
                Retries::PerCall => {
                    failure.kind() == ErrorKind::Transport
                        && started.elapsed() + wait < call_timeout
                }
            };
        if !again {
            let note = match (retries, failures) {
                (Retries::PerCall, 1) => " (after 1 retry)".to_string(),
                (Retries::PerCall, n) if n > 1 => format!(" (after {n} retries)"),
                _ => String::new(),
            };
            let msg = prefixed(format!("{}{note}", failure.message()));
            return Err(failure.with_message(msg));
        }
        // As the transport logs its own retries: why, how long, how many are left (no URL:
        // a presigned one carries its signature).
        log::info!(target: crate::logging::TARGET,
            "{}: {}; retry {} of {max_retries} in {} ms, from byte {done}",
            if context.is_empty() { "download" } else { context },
            failure.message(), failures + 1, wait.as_millis());
        failures += 1;
        std::thread::sleep(wait);
    }
}

pub(crate) fn content_range_start(v: Option<&str>) -> Option<u64> {
    // "bytes 100-199/200"
    let v = v?.trim().strip_prefix("bytes")?.trim_start();
    v.split('-').next()?.trim().parse().ok()
}

/// The size of the regular, readable file an upload sends; checked before any request.
pub(crate) fn upload_source_size(local_path: &Path) -> Result<u64> {
    let local_error = |e: io::Error| {
        Error::new(ErrorKind::Io, format!("{}: {e}", local_path.display())).with_source(e)
    };
    let file = File::open(local_path).map_err(local_error)?;
    let meta = file.metadata().map_err(local_error)?;
    if !meta.is_file() {
        return Err(Error::invalid_argument(format!(
            "{}: the local path is not a regular file",
            local_path.display()
        )));
    }
    Ok(meta.len())
}

/// The file a download is written to, named in its write errors: a full disk or a quota says
/// which local file it stopped (the messages above it name only the remote side).
pub(crate) struct LocalFile<'a> {
    file: &'a mut File,
    path: &'a Path,
    /// The temporary file beside the target (not a device or FIFO written in place).
    temporary: bool,
}

impl DownloadSink for LocalFile<'_> {
    fn restart(&mut self) -> io::Result<bool> {
        if !self.temporary {
            return Ok(false);
        }
        self.file.restart().map_err(|e| self.named(e))
    }
}

impl LocalFile<'_> {
    fn named(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("local file {}: {e}", self.path.display()))
    }
}

impl Write for LocalFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf).map_err(|e| self.named(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush().map_err(|e| self.named(e))
    }
}

/// Writes a download to `target` through `fill`, as curl's `-o` would but without ever leaving
/// half a file: a new or regular file is filled under a temporary name beside it and renamed
/// into place only when complete (an existing file keeps its permissions); a symlink's target
/// is written, not the link; a character device or FIFO (`/dev/stdout`, a pipe) is written
/// directly. A directory, or a file that may not be written, is refused before `fill` runs.
/// `sync`: the data reaches the disk before the rename (`Options::fsync_downloads`), which costs
/// time and which curl and rsync do not do by default.
pub(crate) fn write_atomically(
    target: &Path,
    sync: bool,
    fill: impl FnOnce(&mut LocalFile<'_>) -> Result<()>,
) -> Result<()> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let local_error = |e: io::Error| {
        Error::new(
            ErrorKind::Io,
            format!("local file {}: {e}", target.display()),
        )
        .with_source(e)
    };
    let refuse = |why: &str| {
        Err(Error::invalid_argument(format!(
            "local path {} {why}",
            target.display()
        )))
    };
    if target.as_os_str().to_string_lossy().ends_with('/') {
        return refuse("names a directory; give a file name");
    }
    let mut mode = 0o666;
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => {
            // Follow the link (whatever the chain) and write where it leads.
            let dest = match std::fs::canonicalize(target) {
                Ok(d) => d,
                Err(_) => {
                    let link = std::fs::read_link(target).map_err(local_error)?;
                    match target.parent() {
                        Some(p) if link.is_relative() => p.join(link),
                        _ => link,
                    }
                }
            };
            if std::fs::symlink_metadata(&dest).is_ok_and(|m| m.file_type().is_symlink()) {
                return refuse("is a symlink that leads nowhere writable");
            }
            return write_atomically(&dest, sync, fill);
        }
        Ok(m) if m.is_dir() => return refuse("is a directory; give a file name"),
        Ok(m) if m.file_type().is_char_device() || m.file_type().is_fifo() => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(target)
                .map_err(local_error)?;
            return fill(&mut LocalFile {
                file: &mut file,
                path: target,
                temporary: false,
            });
        }
        Ok(m) if m.is_file() => {
            // Opening for writing without truncating changes nothing; it fails as writing would.
            std::fs::OpenOptions::new()
                .write(true)
                .open(target)
                .map_err(local_error)?;
            mode = m.permissions().mode() & 0o7777;
        }
        Ok(_) => return refuse("is neither a regular file, a character device nor a FIFO"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(local_error(e)),
    }
    let name = target.file_name().ok_or_else(|| {
        Error::invalid_argument(format!(
            "local path {} does not name a file",
            target.display()
        ))
    })?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A hidden name beside the target, so the rename stays on one filesystem; dropped (and so
    // removed) on every early return. A new file gets 0666 less the umask, as curl's would.
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".part")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)
        .map_err(local_error)?;
    fill(&mut LocalFile {
        file: tmp.as_file_mut(),
        path: target,
        temporary: true,
    })?;
    if sync {
        tmp.as_file().sync_all().map_err(local_error)?;
    }
    tmp.persist(target).map_err(|e| local_error(e.error))?;
    Ok(())
}

/// SHA-256 hex digest of a local file, streamed.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let io_err = |e: io::Error| Error::new(ErrorKind::Io, format!("{}: {e}", path.display()));
    // io::copy reads through a BufReader's own buffer: large reads, as the old loop did.
    let mut file = io::BufReader::with_capacity(CHUNK, File::open(path).map_err(io_err)?);
    let mut hasher = sha2::Sha256::new();
    io::copy(&mut file, &mut hasher).map_err(io_err)?;
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(content_range_start(Some("bytes 100-199/200")), Some(100));
        assert_eq!(content_range_start(Some("bytes */200")), None);
        assert_eq!(content_range_start(None), None);
    }

    #[test]
    fn a_download_started_over_empties_its_sink_and_progress_never_goes_back() {
        use crate::transport::wire::cut_short;
        // Larger than a read: the body started over arrives in several chunks, each fewer
        // bytes than the half already reported.
        let body: &'static [u8] = Vec::leak((0..1u32 << 20).map(|i| (i % 251) as u8).collect());
        let len = body.len() as u64;
        let options = crate::options::Options::default();
        let get = |url: &str| {
            let session =
                Session::new(url, crate::auth::Auth::static_token("t"), options.clone()).unwrap();
            let url = format!("{url}/f");
            move |sink: &mut dyn DownloadSink, seen: &mut Vec<u64>| {
                resumable_get(
                    &session,
                    &|| Request::absolute(Method::Get, &url),
                    "",
                    sink,
                    &mut |done, total| {
                        assert_eq!(total, len);
                        seen.push(done);
                        true
                    },
                    Retries::PerCall,
                )
            }
        };
        // The server ignores Range and cuts its first answer halfway: the sink starts over.
        let (mut sink, mut seen) = (Vec::new(), Vec::new());
        let n = get(&cut_short(body, 1))(&mut sink, &mut seen).unwrap();
        assert_eq!(n, len);
        assert!(sink == body, "the sink holds the body once");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert_eq!(seen.last(), Some(&len));

        // A caller's writer cannot take back what it has: the cut is reported.
        let mut out = Vec::new();
        let e = get(&cut_short(body, 1))(&mut Appending(&mut out), &mut seen).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
        assert!(e.message().contains("does not support Range"), "{e}");
    }

    #[test]
    fn a_simple_download_below_the_low_speed_limit_is_not_sent_again() {
        // Two dripping answers: a retry would wait for the second as long again.
        let url = crate::transport::wire::drip(1000, Duration::from_millis(50), 2);
        let options = crate::options::Options {
            low_speed_limit: 100,
            low_speed_time: Duration::from_secs(1),
            ..Default::default()
        };
        let session = Session::new(&url, crate::auth::Auth::static_token("t"), options).unwrap();
        let url = format!("{url}/f");
        let started = Instant::now();
        let e = resumable_get(
            &session,
            &|| Request::absolute(Method::Get, &url),
            "",
            &mut Vec::new(),
            &mut |_, _| true,
            Retries::PerCall,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        assert!(e.message().contains("low-speed limit"), "{e}");
        assert!(!e.message().contains("retr"), "{e}");
        assert!(
            started.elapsed() < Duration::from_millis(1800),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn atomic_write_leaves_nothing_on_failure() {
        let dir = std::env::temp_dir().join(format!("fc-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.bin");
        let err = write_atomically(&target, false, |f| {
            f.write_all(b"partial").unwrap();
            Err(Error::new(ErrorKind::Transport, "dropped"))
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport);
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "temp file removed"
        );
        write_atomically(&target, true, |f| Ok(f.write_all(b"whole")?)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
            assert_eq!(
                mode & 0o600,
                0o600,
                "readable and writable by its owner: {mode:o}"
            );
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
            write_atomically(&target, false, |f| Ok(f.write_all(b"whole")?)).unwrap();
            let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640, "an existing file keeps its permissions");
        }
        assert_eq!(
            sha256_file(&target).unwrap(),
            "5d5766cf2d78701614200418ee1450690d9af12c84d52545e4802f001ad53099"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn destinations_are_written_as_curl_would_and_refused_before_any_transfer() {
        let dir = std::env::temp_dir().join(format!("fc-dest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let never = |_: &mut LocalFile<'_>| -> Result<()> { panic!("refused before the transfer") };

        // a directory, or a name ending in '/', is refused
        let e = write_atomically(&dir, false, never).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        let slash = PathBuf::from(format!("{}/new/", dir.display()));
        assert_eq!(
            write_atomically(&slash, false, never).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );

        // a symlink's target is written; the link stays a link
        let real = dir.join("real.txt");
        std::fs::write(&real, b"old").unwrap();
        let link = dir.join("link.txt");
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        write_atomically(&link, false, |f| Ok(f.write_all(b"new")?)).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");

        // a character device is written in place, not replaced
        write_atomically(Path::new("/dev/null"), false, |f| Ok(f.write_all(b"x")?)).unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());

        // a file that may not be written is refused before the transfer (unless root, who may)
        let ro = dir.join("ro.txt");
        std::fs::write(&ro, b"keep").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
        if std::fs::OpenOptions::new().write(true).open(&ro).is_err() {
            assert_eq!(
                write_atomically(&ro, false, never).unwrap_err().kind(),
                ErrorKind::Io
            );
            assert_eq!(std::fs::read(&ro).unwrap(), b"keep");
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn status_classes() {
        use TransferState as S;
        for s in [S::UploadDone, S::DownloadReady, S::TaskDone] {
            assert!(s.is_success() && !s.is_failure());
        }
        for s in [
            S::UploadFailed,
            S::DownloadFailed,
            S::Invalidated,
            S::TaskFailed,
            S::Other(500),
        ] {
            assert!(s.is_failure() && !s.is_success());
        }
        for s in [
            S::Queued,
            S::UploadWaitingUrl,
            S::UploadMoving,
            S::DownloadStaging,
            S::Other(101),
        ] {
            assert!(!s.is_failure() && !s.is_success());
        }
    }

    #[test]
    fn codes_round_trip() {
        for code in [
            100, 110, 111, 112, 113, 114, 115, 116, 117, 118, 200, 302, 400, 7, 101,
        ] {
            assert_eq!(TransferState::from_code(code).code(), code);
        }
        assert_eq!(TransferState::from_code(117), TransferState::DownloadReady);
        assert_eq!(TransferState::from_code(7), TransferState::Other(7));
    }
}
