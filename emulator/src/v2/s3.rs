//! v2 emulator: S3 multipart uploads, presigned. Part PUTs answer with the part's MD5 as ETag;
//! the completion POST checks the XML as S3 does and assembles the object into the staging
//! store (`crate::store`, which also serves the presigned GETs with `Range`). Parts live in
//! files; bodies are streamed, never held whole.

use crate::atomic::AtomicFile;
use crate::exchange::{Req, Resp};
use crate::util::{
    amz_day, amz_time, hmac_sha256, now_secs, parse_amz_time, percent_encode, random_bytes,
    random_hex, same_bytes,
};
use crate::State;
use md5::{Digest, Md5};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

/// URL prefix of multipart requests on the emulator's port (checked before FirecREST's
/// lower-casing, since keys keep their case; the staging store itself is under `/s3/`).
pub(crate) const PREFIX: &str = "/s3-multipart/";
const MAX_COMPLETE_XML: u64 = 4 << 20;
/// S3's smallest allowed non-final part (real S3: 5 MiB; parts may be smaller when the
/// emulator is configured with a smaller part size).
const S3_MIN_PART: u64 = 5 << 20;

struct Part {
    md5: [u8; 16],
    size: u64,
    path: PathBuf,
}

struct Upload {
    object: String,
    dir: PathBuf,
    parts: BTreeMap<u32, Part>,
}

/// An object as `bucket/key`.
fn split_object(object: &str) -> (&str, &str) {
    object.split_once('/').unwrap_or((object, ""))
}

#[derive(Default)]
struct Uploads {
    uploads: HashMap<String, Upload>,
    /// Objects whose completion was answered with an error by fault injection.
    failed: HashSet<String>,
}

pub(crate) struct Multipart {
    dir: tempfile::TempDir,
    secret: Vec<u8>,
    pub part_size: u64,
    state: Mutex<Uploads>,
}

/// An S3 error reply (`<Error><Code>…`).
pub(crate) fn s3_error(status: u16, code: &str, message: &str, resource: &str) -> Resp {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><Key>{}</Key><RequestId>{}</RequestId></Error>",
        xml_escape(resource),
        random_hex(16)
    );
    xml_reply(status, xml)
}

fn xml_reply(status: u16, xml: String) -> Resp {
    Resp::new(status)
        .header("Content-Type", "application/xml")
        .bytes(xml.into_bytes())
}

/// Escapes element text (quotes stay, as in S3's `<ETag>"…"</ETag>`).
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Copies `reader` to `out`, returning the byte count and the MD5 of what passed.
fn copy_md5(reader: &mut dyn Read, out: &mut dyn Write) -> io::Result<(u64, [u8; 16])> {
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        md5.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
    Ok((total, md5.finalize().into()))
}

impl Multipart {
    /// Parts go to a fresh directory of their own, removed when the emulator stops.
    pub fn new(part_size: u64) -> io::Result<Multipart> {
        Ok(Multipart {
            dir: tempfile::Builder::new()
                .prefix("firecrest-emulator-parts-")
                .tempdir()?,
            secret: random_bytes(32),
            part_size: part_size.max(1),
            state: Mutex::new(Uploads::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Uploads> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn signature(&self, method: &str, object: &str, query: &str) -> String {
        hex::encode(hmac_sha256(
            &self.secret,
            format!("{method}\n{object}\n{query}").as_bytes(),
        ))
    }

    /// A presigned URL for `method` on `object` (`bucket/key`) with extra leading parameters.
    fn presign(&self, st: &State, method: &str, object: &str, extra: &[(&str, String)]) -> String {
        let now = now_secs();
        let mut pairs: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        pairs.extend(
            [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_string()),
                (
                    "X-Amz-Credential",
                    format!("emulator/{}/us-east-1/s3/aws4_request", amz_day(now)),
                ),
                ("X-Amz-Date", amz_time(now)),
                ("X-Amz-Expires", st.store.url_ttl().to_string()),
                ("X-Amz-SignedHeaders", "host".to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        let query = canonical_query(&pairs);
        let sig = self.signature(method, object, &query);
        format!(
            "{}{PREFIX}{}?{query}&X-Amz-Signature={sig}",
            st.base_url,
            object
                .split('/')
                .map(percent_encode)
                .collect::<Vec<_>>()
                .join("/")
        )
    }

    /// Opens a multipart upload of `size` bytes: (part URLs, completion URL).
    pub fn create_upload(
        &self,
        st: &State,
        object: &str,
        size: u64,
    ) -> io::Result<(Vec<String>, String)> {
        let id = random_hex(24);
        let dir = self.dir.path().join(&id);
        fs::create_dir_all(&dir)?;
        let count = size.div_ceil(self.part_size);
        let parts = (1..=count)
            .map(|n| {
                self.presign(
                    st,
                    "PUT",
                    object,
                    &[("uploadId", id.clone()), ("partNumber", n.to_string())],
                )
            })
            .collect();
        let complete = self.presign(st, "POST", object, &[("uploadId", id.clone())]);
        self.lock().uploads.insert(
            id,
            Upload {
                object: object.to_string(),
                dir,
                parts: BTreeMap::new(),
            },
        );
        Ok((parts, complete))
    }

    /// True once if the completion of `object` failed by fault injection.
    pub fn take_failed(&self, object: &str) -> bool {
        self.lock().failed.remove(object)
    }

    /// Serves a request under [`PREFIX`]. A `FailTransfer` fault on the completion POST gives
    /// S3's "200 with an `<Error>` body" failure, and the ingress job then fails.
    pub fn handle(&self, st: &State, req: &mut Req) -> Resp {
        let object = req.path[PREFIX.len()..].to_string();
        if let Err(resp) = self.verify(&req.method, &object, &req.query) {
            return resp;
        }
        let upload = req.query("uploadId").map(str::to_string);
        let part = req.query("partNumber").map(str::to_string);
        match (req.method.as_str(), upload, part) {
            ("PUT", Some(id), Some(n)) => self.put_part(req, &object, &id, &n),
            ("POST", Some(id), None) => {
                if req.fail_transfer {
                    self.lock().failed.insert(object.clone());
                    return xml_reply(
                        200,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>".into(),
                    );
                }
                self.complete(st, req, &object, &id)
            }
            _ => s3_error(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                &object,
            ),
        }
    }

    /// Checks the signature (over every parameter but itself, in order) and the expiry.
    fn verify(&self, method: &str, object: &str, query: &[(String, String)]) -> Result<(), Resp> {
        let Some(sig) = query
            .iter()
            .find(|(k, _)| k == "X-Amz-Signature")
            .map(|(_, v)| v)
        else {
            return Err(s3_error(
                403,
                "AccessDenied",
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
                object,
            ));
        };
        let signed: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k != "X-Amz-Signature")
            .cloned()
            .collect();
        let expected = self.signature(method, object, &canonical_query(&signed));
        if !same_bytes(expected.as_bytes(), sig.as_bytes()) {
            return Err(s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                object,
            ));
        }
        let param = |name: &str| {
            signed
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let date = param("X-Amz-Date").and_then(parse_amz_time);
        let expires = param("X-Amz-Expires").and_then(|v| v.parse::<i64>().ok());
        match (date, expires) {
            (Some(d), Some(e)) if now_secs() <= d + e => Ok(()),
            _ => Err(s3_error(403, "AccessDenied", "Request has expired", object)),
        }
    }

    fn put_part(&self, req: &mut Req, object: &str, id: &str, n: &str) -> Resp {
        let number = match n.parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                return s3_error(
                    400,
                    "InvalidArgument",
                    "Part number must be an integer between 1 and 10000, inclusive",
                    object,
                )
            }
        };
        let Some(expected_len) = req.content_length() else {
            return s3_error(
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
                object,
            );
        };
        let Some(dir) = self.upload_dir(id, object) else {
            return no_such_upload(object);
        };
        let path = dir.join(number.to_string());
        // Written beside its place and renamed under the lock: an aborted body leaves nothing.
        let written = AtomicFile::create(&path)
            .and_then(|mut f| copy_md5(req.body(), &mut f).map(|r| (f, r)));
        let (file, (size, md5)) = match written {
            Ok(r) => r,
            Err(e) => return s3_error(400, "IncompleteBody", &e.to_string(), object),
        };
        if size != expected_len {
            return s3_error(
                400,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                object,
            );
        }
        let mut st = self.lock();
        let Some(up) = st.uploads.get_mut(id) else {
            return no_such_upload(object);
        };
        if file.commit().is_err() {
            return s3_error(500, "InternalError", "could not store the part", object);
        }
        // A part number uploaded again replaces the earlier part, as in S3.
        up.parts.insert(number, Part { md5, size, path });
        Resp::new(200)
            .header("ETag", format!("\"{}\"", hex::encode(md5)))
            .header(
                "Last-Modified",
                httpdate::fmt_http_date(std::time::SystemTime::now()),
            )
            .header("Content-Type", "text/html; charset=utf-8")
    }

    fn upload_dir(&self, id: &str, object: &str) -> Option<PathBuf> {
        let st = self.lock();
        st.uploads
            .get(id)
            .filter(|u| u.object == object)
            .map(|u| u.dir.clone())
    }

    /// S3's checks of the listed parts against the uploaded ones.
    fn choose(&self, up: &Upload, listed: &[(u32, String)], object: &str) -> Result<(), Resp> {
        let mut sizes = Vec::with_capacity(listed.len());
        for (number, etag) in listed {
            match up.parts.get(number) {
                Some(p) if etag.trim_matches('"') == hex::encode(p.md5) => sizes.push(p.size),
                _ => {
                    return Err(s3_error(
                        400,
                        "InvalidPart",
                        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                        object,
                    ))
                }
            }
        }
        let min = S3_MIN_PART.min(self.part_size);
        let all_but_last = sizes.split_last().map_or(&[][..], |(_, init)| init);
        if all_but_last.iter().any(|s| *s < min) {
            return Err(s3_error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
                object,
            ));
        }
        Ok(())
    }

    fn complete(&self, st: &State, req: &mut Req, object: &str, id: &str) -> Resp {
        let mut body = Vec::new();
        let xml = match req.body().take(MAX_COMPLETE_XML).read_to_end(&mut body) {
            Ok(_) => String::from_utf8_lossy(&body).into_owned(),
            Err(e) => return s3_error(400, "IncompleteBody", &e.to_string(), object),
        };
        let Some(listed) = parse_complete_xml(&xml) else {
            return s3_error(
                400,
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
                object,
            );
        };
        if listed.windows(2).any(|w| w[0].0 >= w[1].0) {
            return s3_error(
                400,
                "InvalidPartOrder",
                "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
                object,
            );
        }
        // Validate under the lock, then take the upload out of the table: a concurrent
        // completion finds no upload (never half an object), and assembling a large object
        // does not hold up other uploads' requests.
        let mut uploads = self.lock();
        let Some(up) = uploads.uploads.get(id).filter(|u| u.object == object) else {
            return no_such_upload(object);
        };
        if let Err(resp) = self.choose(up, &listed, object) {
            return resp;
        }
        let up = uploads.uploads.remove(id).expect("checked above");
        drop(uploads);
        let chosen: Vec<&Part> = listed.iter().map(|(n, _)| &up.parts[n]).collect();
        let (bucket, key) = split_object(object);
        // S3's multipart ETag: the MD5 of the parts' MD5s, and their count. The object is its
        // parts, moved into the store, not a copy of them.
        let mut md5 = Md5::new();
        for p in &chosen {
            md5.update(p.md5);
        }
        let etag = format!("{}-{}", hex::encode(md5.finalize()), chosen.len());
        let paths: Vec<&std::path::Path> = chosen.iter().map(|p| p.path.as_path()).collect();
        if let Err(e) = st.store.adopt_parts(bucket, key, &paths, etag.clone()) {
            // Put the upload back: the client may complete it again.
            self.lock().uploads.insert(id.to_string(), up);
            return s3_error(500, "InternalError", &e.to_string(), object);
        }
        let _ = fs::remove_dir_all(&up.dir);
        let etag = format!("\"{etag}\"");
        xml_reply(
            200,
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>{}{PREFIX}{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></CompleteMultipartUploadResult>",
                st.base_url,
                xml_escape(object),
                xml_escape(bucket),
                xml_escape(key),
                xml_escape(&etag)
            ),
        )
    }
}

/// `k=v&…` with both sides percent-encoded: what the signature covers.
fn canonical_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn no_such_upload(object: &str) -> Resp {
    s3_error(
        404,
        "NoSuchUpload",
        "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        object,
    )
}

/// `(part number, ETag)` pairs of a `CompleteMultipartUpload` document, in document order.
fn parse_complete_xml(xml: &str) -> Option<Vec<(u32, String)>> {
    let start = xml.find("<CompleteMultipartUpload")?;
    let end = start + xml[start..].find("</CompleteMultipartUpload>")?;
    let mut body = &xml[start..end];
    let mut parts = Vec::new();
    while let Some(i) = body.find("<Part>") {
        let rest = &body[i + 6..];
        let close = rest.find("</Part>")?;
        let part = &rest[..close];
        let tag = |name: &str| {
            let open = format!("<{name}>");
            let a = part.find(&open)? + open.len();
            let b = part[a..].find(&format!("</{name}>"))? + a;
            Some(xml_unescape(part[a..b].trim()))
        };
        let number = tag("PartNumber")?.parse().ok()?;
        parts.push((number, tag("ETag")?));
        body = &rest[close + 7..];
    }
    (!parts.is_empty()).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_xml() {
        let xml = "<?xml version='1.0' encoding='utf-8'?>\n<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><ETag>\"ab\"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>&quot;cd&quot;</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>";
        assert_eq!(
            parse_complete_xml(xml).unwrap(),
            vec![(1, "\"ab\"".to_string()), (2, "\"cd\"".to_string())]
        );
        assert!(
            parse_complete_xml("<CompleteMultipartUpload></CompleteMultipartUpload>").is_none()
        );
        assert!(parse_complete_xml("garbage").is_none());
        assert!(
            parse_complete_xml("</CompleteMultipartUpload><CompleteMultipartUpload>").is_none()
        );
    }
}
