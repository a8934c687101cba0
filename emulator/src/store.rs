//! The staging object store, S3-like, on the emulator's own port under `/s3/<bucket>/<key>`.
//!
//! * Presigned POST forms (`policy` + `x-amz-signature`): the signature is an HMAC over the
//!   policy with a key drawn at every start, the policy carries the expiry and the exact
//!   `bucket`/`key`; a tampered, foreign or expired form is refused with S3's XML errors. The file
//!   part must come after the fields (S3 ignores fields after the file). The body is streamed to a
//!   temporary file and renamed into place when complete, so a half-sent object never exists.
//! * Presigned GET URLs (`X-Amz-*` query, HMAC-signed, expiring) with `Range` support.
//! * Objects live on disk in a directory of their own, outside the systems' root. An object
//!   completed from multipart parts is kept as its chain of part files (completing it costs no
//!   copy, as in S3) and joined into one file the first time it is read whole.
//! * Objects expire as under a bucket lifecycle rule: a sweeper deletes those older than the
//!   configured age.

use super::atomic::AtomicFile;
use super::exchange::{Body, Req, Resp};
use super::multipart::{self, Flow};
use super::util::{
    amz_day, amz_time, hmac_sha256, iso_time, now_secs, parse_amz_time, percent_encode,
    random_bytes, random_hex, same_bytes,
};
use super::State;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

pub(crate) const STORE_PREFIX: &str = "/s3/";
const REGION: &str = "us-east-1";
const ACCESS_KEY: &str = "emulator_access_key";
/// The largest object one POST may create (S3's single-upload limit is 5 GB).
pub(crate) const DEFAULT_MAX_OBJECT: u64 = 5120 * 1024 * 1024;
/// The directory of the store holding chained objects' parts (not a bucket: bucket names
/// cannot start with a dot).
const CHAINS_DIR: &str = ".parts";

pub(crate) struct Store {
    dir: PathBuf,
    key: Vec<u8>,
    base_url: String,
    /// Validity of presigned forms and URLs, seconds (STORAGE_TEMPURL_EXP_TIME).
    url_ttl: AtomicU64,
    max_object: AtomicU64,
    etags: Mutex<HashMap<String, String>>,
    /// Objects completed from parts, by `bucket/key`: the part files in order, not yet joined.
    /// Joining happens under this lock, so a reader never sees half a join.
    chains: Mutex<HashMap<String, Chain>>,
    /// Objects whose upload carried a `FailTransfer` fault: the transfer that takes them fails.
    failed: Mutex<HashSet<String>>,
}

/// A multipart object still as its parts: a directory of the store holding them.
struct Chain {
    dir: PathBuf,
    parts: Vec<PathBuf>,
    created: std::time::SystemTime,
}

fn s3_error(status: u16, code: &str, message: &str) -> Resp {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{}</RequestId></Error>",
        random_hex(8)
    );
    Resp::new(status)
        .header("Content-Type", "application/xml")
        .bytes(body.into_bytes())
}

/// A bucket or key that cannot name a file outside the store.
fn safe_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('/')
        && s.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
        && !s.contains('\0')
}

impl Store {
    pub fn new(dir: PathBuf, base_url: &str, url_ttl: u64) -> Store {
        Store {
            dir,
            key: random_bytes(32),
            base_url: base_url.to_string(),
            url_ttl: AtomicU64::new(url_ttl),
            max_object: AtomicU64::new(DEFAULT_MAX_OBJECT),
            etags: Mutex::new(HashMap::new()),
            chains: Mutex::new(HashMap::new()),
            failed: Mutex::new(HashSet::new()),
        }
    }

    fn chains(&self) -> std::sync::MutexGuard<'_, HashMap<String, Chain>> {
        self.chains.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_etag(&self, id: String, etag: String) {
        self.etags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, etag);
    }

    /// Makes the part files `parts` (in order) the object `bucket/key`, replacing any earlier
    /// object of that name, without copying a byte: the parts are moved into the store and
    /// joined only when the object is read whole. `etag` is S3's multipart ETag.
    pub fn adopt_parts(
        &self,
        bucket: &str,
        key: &str,
        parts: &[&Path],
        etag: String,
    ) -> io::Result<()> {
        let path = self
            .object_path(bucket, key)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid object key"))?;
        let holder = self.dir.join(CHAINS_DIR).join(random_hex(12));
        std::fs::create_dir_all(&holder)?;
        let mut moved: Vec<PathBuf> = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let to = holder.join(i.to_string());
            if let Err(e) = move_file(part, &to) {
                // Give back the parts already taken: the upload stays completable.
                for (from, back) in moved.iter().zip(parts) {
                    let _ = move_file(from, back);
                }
                let _ = std::fs::remove_dir_all(&holder);
                return Err(e);
            }
            moved.push(to);
        }
        let id = format!("{bucket}/{key}");
        let chain = Chain {
            dir: holder,
            parts: moved,
            created: std::time::SystemTime::now(),
        };
        let mut chains = self.chains();
        let _ = std::fs::remove_file(&path);
        if let Some(old) = chains.insert(id.clone(), chain) {
            let _ = std::fs::remove_dir_all(old.dir);
        }
        self.set_etag(id, etag);
        Ok(())
    }

    /// Joins a chained object into one file at its place: the first part is kept and the others
    /// appended to it (a copy inside the kernel), then it is renamed into place.
    fn join(&self, bucket: &str, key: &str) -> io::Result<()> {
        let id = format!("{bucket}/{key}");
        let mut chains = self.chains();
        let Some(chain) = chains.get(&id) else {
            return Ok(());
        };
        let path = self
            .object_path(bucket, key)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid object key"))?;
        let first = &chain.parts[0];
        let mut out = std::fs::OpenOptions::new().append(true).open(first)?;
        for part in &chain.parts[1..] {
            // File to file: std copies with copy_file_range, the bytes never enter this process.
            io::copy(&mut File::open(part)?, &mut out)?;
        }
        drop(out);
        std::fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
        std::fs::rename(first, &path)?;
        if let Some(chain) = chains.remove(&id) {
            let _ = std::fs::remove_dir_all(chain.dir);
        }
        Ok(())
    }

    pub fn url_ttl(&self) -> u64 {
        self.url_ttl.load(Ordering::Relaxed)
    }

    pub fn set_url_ttl(&self, secs: u64) {
        self.url_ttl.store(secs, Ordering::Relaxed)
    }

    pub fn max_object(&self) -> u64 {
        self.max_object.load(Ordering::Relaxed)
    }

    pub fn set_max_object(&self, bytes: u64) {
        self.max_object.store(bytes, Ordering::Relaxed)
    }

    pub fn bucket_url(&self, bucket: &str) -> String {
        format!("{}{STORE_PREFIX}{bucket}", self.base_url)
    }

    fn object_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        // No bucket starts with a dot, which keeps the chains' directory out of reach.
        (safe_name(bucket) && !bucket.starts_with('.') && safe_name(key))
            .then(|| self.dir.join(bucket).join(key))
    }

    pub fn exists(&self, bucket: &str, key: &str) -> bool {
        self.chains().contains_key(&format!("{bucket}/{key}"))
            || self.object_path(bucket, key).is_some_and(|p| p.is_file())
    }

    /// The object's file, a chained object joined first.
    pub fn object_file(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        self.join(bucket, key).ok()?;
        self.object_path(bucket, key).filter(|p| p.is_file())
    }

    pub fn take_failed(&self, bucket: &str, key: &str) -> bool {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&format!("{bucket}/{key}"))
    }

    pub fn delete(&self, bucket: &str, key: &str) {
        if let Some(p) = self.object_path(bucket, key) {
            let _ = std::fs::remove_file(p);
        }
        if let Some(chain) = self.chains().remove(&format!("{bucket}/{key}")) {
            let _ = std::fs::remove_dir_all(chain.dir);
        }
        self.etags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&format!("{bucket}/{key}"));
    }

    /// Deletes every object whose key starts with `prefix/`; returns how many there were.
    pub fn delete_prefix(&self, bucket: &str, prefix: &str) -> usize {
        let Some(dir) = self.object_path(bucket, prefix) else {
            return 0;
        };
        let mut n = count_files(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        let under = format!("{bucket}/{prefix}/");
        self.chains().retain(|id, chain| {
            let gone = id.starts_with(&under);
            if gone {
                n += 1;
                let _ = std::fs::remove_dir_all(&chain.dir);
            }
            !gone
        });
        self.etags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| !k.starts_with(&format!("{bucket}/{prefix}/")));
        n
    }

    /// Streams `src` into the object `bucket/key` (the cluster side of a download), its ETag
    /// the MD5 of the bytes.
    pub fn put_file(&self, bucket: &str, key: &str, src: &mut dyn Read) -> io::Result<u64> {
        let mut w = self.writer(bucket, key)?;
        io::copy(src, &mut w)?;
        w.commit(self)
    }

    /// Streams `src` into the object `bucket/key` with the ETag `etag()` gives once `src` is
    /// read (a multipart ETag `src` computed on the way): the bytes are hashed once.
    pub fn put_file_tagged<R: Read>(
        &self,
        bucket: &str,
        key: &str,
        src: &mut R,
        etag: impl FnOnce(&mut R) -> String,
    ) -> io::Result<u64> {
        let mut w = self.writer(bucket, key)?;
        w.md5 = None;
        io::copy(src, &mut w)?;
        let tag = etag(src);
        w.etag = Some(tag);
        w.commit(self)
    }

    /// Deletes the objects created longer than `age` ago, as a bucket lifecycle rule expires
    /// them; returns how many went.
    pub fn expire(&self, age: std::time::Duration) -> usize {
        let now = std::time::SystemTime::now();
        let old = |t: std::time::SystemTime| now.duration_since(t).is_ok_and(|d| d >= age);
        let mut gone = 0;
        let mut chains = self.chains();
        let expired: Vec<String> = chains
            .iter()
            .filter(|(_, c)| old(c.created))
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if let Some(chain) = chains.remove(&id) {
                let _ = std::fs::remove_dir_all(chain.dir);
                self.forget(&id);
                gone += 1;
            }
        }
        drop(chains);
        let mut stack = vec![self.dir.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let Ok(meta) = e.metadata() else { continue };
                if meta.is_dir() {
                    if e.file_name() != CHAINS_DIR || dir != self.dir {
                        stack.push(e.path());
                    }
                } else if meta.modified().is_ok_and(old) {
                    // Objects being written are temporary files; only whole objects expire.
                    let name = e.file_name();
                    if name
                        .to_string_lossy()
                        .starts_with(super::atomic::TMP_PREFIX)
                    {
                        continue;
                    }
                    if std::fs::remove_file(e.path()).is_ok() {
                        if let Ok(rel) = e.path().strip_prefix(&self.dir) {
                            self.forget(&rel.to_string_lossy());
                        }
                        gone += 1;
                    }
                }
            }
        }
        gone
    }

    fn forget(&self, id: &str) {
        self.etags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    fn writer(&self, bucket: &str, key: &str) -> io::Result<ObjectWriter> {
        let path = self
            .object_path(bucket, key)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid object key"))?;
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&parent)?;
        Ok(ObjectWriter {
            file: AtomicFile::create(&path)?,
            id: format!("{bucket}/{key}"),
            md5: Some(Md5::new()),
            etag: None,
            len: 0,
        })
    }

    fn credential(&self, now: i64) -> String {
        format!("{ACCESS_KEY}/{}/{REGION}/s3/aws4_request", amz_day(now))
    }

    /// The presigned POST form for `bucket/key`, fields in the order FirecREST shows them.
    pub fn post_form(&self, bucket: &str, key: &str) -> (String, Vec<(String, String)>) {
        let now = now_secs();
        let date = amz_time(now);
        let cred = self.credential(now);
        let expiration = format!("{}Z", iso_time(now + self.url_ttl() as i64));
        let policy = json!({
            "expiration": expiration,
            "conditions": [
                {"bucket": bucket},
                {"key": key},
                {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                {"x-amz-credential": cred},
                {"x-amz-date": date},
            ]
        });
        let policy = STANDARD.encode(policy.to_string());
        let signature = hex::encode(hmac_sha256(&self.key, policy.as_bytes()));
        let fields = vec![
            ("key".to_string(), key.to_string()),
            ("policy".to_string(), policy),
            (
                "x-amz-algorithm".to_string(),
                "AWS4-HMAC-SHA256".to_string(),
            ),
            ("x-amz-credential".to_string(), cred),
            ("x-amz-date".to_string(), date),
            ("x-amz-signature".to_string(), signature),
        ];
        (self.bucket_url(bucket), fields)
    }

    fn get_signature(&self, path: &str, date: &str, expires: &str) -> String {
        hex::encode(hmac_sha256(
            &self.key,
            format!("GET\n{path}\n{date}\n{expires}").as_bytes(),
        ))
    }

    /// A presigned GET URL for `bucket/key`, valid for the URL TTL.
    pub fn presign_get(&self, bucket: &str, key: &str) -> String {
        let now = now_secs();
        let date = amz_time(now);
        let expires = self.url_ttl().to_string();
        let path = format!("{STORE_PREFIX}{bucket}/{key}");
        let sig = self.get_signature(&path, &date, &expires);
        let encoded_path: String = path
            .split('/')
            .map(percent_encode)
            .collect::<Vec<_>>()
            .join("/");
        format!(
            "{}{encoded_path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}",
            self.base_url,
            percent_encode(&self.credential(now)),
        )
    }
}

/// Moves one of the store's own files (never a path a client named): a rename, or a copy
/// when the upload's directory is on another filesystem.
fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            std::fs::copy(from, to)?;
            std::fs::remove_file(from)
        }
        other => other,
    }
}

fn count_files(dir: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                count_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}

/// An object being written: never visible until `commit` renames it into place whole.
struct ObjectWriter {
    file: AtomicFile,
    id: String,
    /// The MD5 of what passed, the ETag, unless `etag` is given.
    md5: Option<Md5>,
    etag: Option<String>,
    len: u64,
}

impl Write for ObjectWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        if let Some(md5) = &mut self.md5 {
            md5.update(&buf[..n]);
        }
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl ObjectWriter {
    fn commit(self, store: &Store) -> io::Result<u64> {
        self.file.commit()?;
        let etag = match (self.etag, self.md5) {
            (Some(etag), _) => etag,
            (None, Some(md5)) => hex::encode(md5.finalize()),
            (None, None) => String::new(),
        };
        // A file object replaces a chained one of the same name.
        if let Some(old) = store.chains().remove(&self.id) {
            let _ = std::fs::remove_dir_all(old.dir);
        }
        store.set_etag(self.id, etag);
        Ok(self.len)
    }
}

/// Requests under `/s3/`: POST of a form to a bucket, GET/HEAD of an object.
pub(crate) fn handle(state: &State, req: &mut Req) -> Resp {
    let rest = req.path[STORE_PREFIX.len()..].to_string();
    let (bucket, key) = match rest.split_once('/') {
        Some((b, k)) => (b.to_string(), k.to_string()),
        None => (rest.clone(), String::new()),
    };
    match req.method.as_str() {
        "POST" if key.is_empty() => post_object(state, req, &bucket),
        "GET" | "HEAD" if !key.is_empty() => get_object(state, req, &bucket, &key),
        _ => s3_error(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ),
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Checks the form fields received before the file against the signed policy.
fn check_policy(store: &Store, bucket: &str, fields: &[(String, String)]) -> Result<(), Resp> {
    for required in ["key", "policy", "x-amz-signature"] {
        if field(fields, required).is_none() {
            return Err(s3_error(
                400,
                "InvalidArgument",
                &format!("Bucket POST must contain a field named '{required}'.  If it is specified, please check the order of the fields."),
            ));
        }
    }
    let policy = field(fields, "policy").unwrap_or("");
    let sig = field(fields, "x-amz-signature").unwrap_or("");
    let expected = hex::encode(hmac_sha256(&store.key, policy.as_bytes()));
    if !same_bytes(expected.as_bytes(), sig.as_bytes()) {
        return Err(s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."));
    }
    let doc: Value = STANDARD
        .decode(policy)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            s3_error(
                400,
                "InvalidPolicyDocument",
                "Invalid Policy: Invalid JSON.",
            )
        })?;
    let expiration = doc
        .get("expiration")
        .and_then(Value::as_str)
        .and_then(|e| parse_amz_time(&e.replace(['-', ':'], "")))
        .unwrap_or(0);
    if now_secs() >= expiration {
        return Err(s3_error(
            403,
            "AccessDenied",
            "Invalid according to Policy: Policy expired.",
        ));
    }
    let conditions = doc
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for cond in conditions {
        let Some(obj) = cond.as_object() else {
            continue;
        };
        for (name, want) in obj {
            let got = if name == "bucket" {
                Some(bucket)
            } else {
                field(fields, name)
            };
            if got != want.as_str() {
                return Err(s3_error(
                    403,
                    "AccessDenied",
                    &format!(
                        "Invalid according to Policy: Policy Condition failed: [\"eq\", \"${name}\", \"{}\"]",
                        want.as_str().unwrap_or("")
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn post_object(state: &State, req: &mut Req, bucket: &str) -> Resp {
    let store = &state.store;
    let ct = req.content_type();
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return s3_error(
            412,
            "PreconditionFailed",
            "Bucket POST must be of the enclosure-type multipart/form-data",
        );
    }
    let max = store.max_object();
    let too_large = || {
        s3_error(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
        )
    };
    // The form's fields and framing may add up to 1 MiB to the object; a longer declared body
    // is refused before it is read.
    let limit = max.saturating_add(1024 * 1024);
    if req.content_length().is_some_and(|l| l > limit) {
        return too_large();
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut outcome: Option<Resp> = None;
    let fail_transfer = req.fail_transfer;
    let result = multipart::for_each_field(req.body_stream(), &ct, limit, |part| {
        if part.name != "file" {
            fields.push((part.name.clone(), part.text()?));
            return Ok(Flow::Continue);
        }
        if let Err(resp) = check_policy(store, bucket, &fields) {
            outcome = Some(resp);
            return Ok(Flow::Stop);
        }
        let key = field(&fields, "key").unwrap_or("").to_string();
        let mut w = match store.writer(bucket, &key) {
            Ok(w) => w,
            Err(_) => {
                outcome = Some(s3_error(400, "InvalidArgument", "Invalid object key"));
                return Ok(Flow::Stop);
            }
        };
        while let Some(chunk) = part.chunk()? {
            w.write_all(&chunk)?;
            if w.len > max {
                outcome = Some(too_large());
                return Ok(Flow::Stop);
            }
        }
        w.commit(store)?;
        if fail_transfer {
            store
                .failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(format!("{bucket}/{key}"));
        }
        outcome = Some(Resp::new(204).header("Content-Type", "text/html; charset=utf-8"));
        // S3 ignores whatever follows the file part.
        Ok(Flow::Stop)
    });
    match (result, outcome) {
        (_, Some(resp)) => resp,
        (Err(e), None) if e.kind() == io::ErrorKind::FileTooLarge => too_large(),
        (Err(e), None) => s3_error(
            400,
            "MalformedPOSTRequest",
            &format!("The body of your POST request is not well-formed multipart/form-data: {e}"),
        ),
        (Ok(()), None) => s3_error(
            400,
            "InvalidArgument",
            "POST requires exactly one file upload per request.",
        ),
    }
}

fn get_object(state: &State, req: &Req, bucket: &str, key: &str) -> Resp {
    let store = &state.store;
    let q = |n: &str| req.query(n).unwrap_or("").to_string();
    let (date, expires, sig) = (q("X-Amz-Date"), q("X-Amz-Expires"), q("X-Amz-Signature"));
    if sig.is_empty() {
        return s3_error(403, "AccessDenied", "Access Denied");
    }
    let path = format!("{STORE_PREFIX}{bucket}/{key}");
    let expected = store.get_signature(&path, &date, &expires);
    if !same_bytes(expected.as_bytes(), sig.as_bytes()) {
        return s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    }
    let start = parse_amz_time(&date).unwrap_or(0);
    let ttl: i64 = expires.parse().unwrap_or(0);
    if now_secs() >= start + ttl {
        return s3_error(403, "AccessDenied", "Request has expired");
    }
    let Some(file_path) = store.object_file(bucket, key) else {
        return s3_error(404, "NoSuchKey", "The specified key does not exist.");
    };
    let Ok(mut file) = File::open(&file_path) else {
        return s3_error(404, "NoSuchKey", "The specified key does not exist.");
    };
    let meta = file.metadata().ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    let modified = meta
        .and_then(|m| m.modified().ok())
        .map(httpdate::fmt_http_date)
        .unwrap_or_default();
    let etag = store
        .etags
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&format!("{bucket}/{key}"))
        .cloned()
        .unwrap_or_default();
    let mut resp = Resp::new(200)
        .header("ETag", format!("\"{etag}\""))
        .header("Last-Modified", modified)
        .header("Content-Type", "binary/octet-stream")
        .header("Accept-Ranges", "bytes");
    let (from, len) = match req.header("Range") {
        Some(range) => match parse_range(&range, size) {
            Some((a, b)) => {
                resp.status = 206;
                resp = resp.header("Content-Range", format!("bytes {a}-{b}/{size}"));
                (a, b - a + 1)
            }
            None => {
                return s3_error(
                    416,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                )
                .header("Content-Range", format!("bytes */{size}"))
            }
        },
        None => (0, size),
    };
    if file.seek(SeekFrom::Start(from)).is_err() {
        return s3_error(500, "InternalError", "We encountered an internal error.");
    }
    resp.body = Body::File(file, len);
    resp
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive (first, last); None if unsatisfiable.
pub(crate) fn parse_range(h: &str, size: u64) -> Option<(u64, u64)> {
    let spec = h.trim().strip_prefix("bytes=")?;
    let spec = spec.split(',').next()?.trim();
    let (a, b) = spec.split_once('-')?;
    let (first, last) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        (size.saturating_sub(n), size.checked_sub(1)?)
    } else {
        let first: u64 = a.parse().ok()?;
        let last = if b.is_empty() {
            size.checked_sub(1)?
        } else {
            b.parse::<u64>().ok()?.min(size.checked_sub(1)?)
        };
        (first, last)
    };
    (first <= last && first < size).then_some((first, last))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(parse_range("bytes=900-", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=-10", 1000), Some((990, 999)));
        assert_eq!(parse_range("bytes=0-5000", 1000), Some((0, 999)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("bytes=0-1", 0), None);
    }
}
