//! v1 external transfers as `Transfer` backends: a storage task (`/storage/xfer-external/…`)
//! polled through `GET /tasks/{id}`; uploads send the file to the staging form the task hands
//! out, downloads read the presigned URL it ends with.

use super::{member, on_system, RawTask};
use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::transfers::{Backend, Direction, Transfer, TransferState};
use crate::transport::{path_segment, Method, Request, Stream};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(serde::Deserialize)]
struct TaskCreated {
    task_id: String,
}

pub(crate) fn external_upload(
    session: &Arc<Session>,
    system: &str,
    local_path: &Path,
    remote_path: &str,
) -> Result<Transfer> {
    let context = format!(
        "external_upload {} -> {system}:{remote_path}",
        local_path.display()
    );
    let basename = local_path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::invalid_argument("the local file name is not UTF-8"))?
        .to_string();
    // The server uses only the basename of sourcePath, so nothing else is sent.
    let created: TaskCreated = session
        .send(
            on_system(Method::Post, "/storage/xfer-external/upload", system).form([
                ("targetPath", remote_path),
                ("sourcePath", basename.as_str()),
            ]),
        )?
        .json()?;
    let backend = V1Transfer {
        session: Arc::clone(session),
        task_id: created.task_id,
        context,
        direction: Direction::Upload,
        local: Some((local_path.to_path_buf(), basename)),
        last_body: None,
    };
    Ok(Transfer::new(
        session,
        Direction::Upload,
        Box::new(backend),
        TransferState::Queued,
    ))
}

pub(crate) fn external_download(
    session: &Arc<Session>,
    system: &str,
    remote_path: &str,
) -> Result<Transfer> {
    let context = format!("external_download {system}:{remote_path}");
    let created: TaskCreated = session
        .send(
            on_system(Method::Post, "/storage/xfer-external/download", system)
                .form([("sourcePath", remote_path)]),
        )?
        .json()?;
    let backend = V1Transfer {
        session: Arc::clone(session),
        task_id: created.task_id,
        context,
        direction: Direction::Download,
        local: None,
        last_body: None,
    };
    Ok(Transfer::new(
        session,
        Direction::Download,
        Box::new(backend),
        TransferState::Queued,
    ))
}

/// A v1 external transfer: a storage task polled through `GET /tasks/{id}`.
struct V1Transfer {
    session: Arc<Session>,
    task_id: String,
    context: String,
    direction: Direction,
    /// Upload: the local file and the basename sent as `sourcePath`.
    local: Option<(PathBuf, String)>,
    /// The last task answer, raw: the staging form's field order lives only in the text.
    last_body: Option<Vec<u8>>,
}

/// Just enough of the task to get `data.msg.parameters` with `data` in the server's order.
#[derive(serde::Deserialize)]
struct FormTask {
    task: FormTaskInner,
}
#[derive(serde::Deserialize)]
struct FormTaskInner {
    data: FormData,
}
#[derive(serde::Deserialize)]
struct FormData {
    msg: FormMsg,
}
#[derive(serde::Deserialize)]
struct FormMsg {
    parameters: FormParameters,
}
#[derive(serde::Deserialize)]
struct FormParameters {
    #[serde(default)]
    method: String,
    url: String,
    #[serde(default)]
    data: OrderedFields,
    #[serde(default)]
    params: OrderedFields,
    #[serde(default)]
    headers: OrderedFields,
}

/// A JSON object as (name, text) pairs in document order; numbers become decimal strings.
#[derive(Default)]
struct OrderedFields(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for OrderedFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<OrderedFields, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    out.push((k, text));
                }
                Ok(OrderedFields(out))
            }
            fn visit_unit<E>(self) -> std::result::Result<OrderedFields, E> {
                Ok(OrderedFields::default())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<OrderedFields, A::Error> {
                while seq.next_element::<Value>()?.is_some() {}
                Ok(OrderedFields::default())
            }
        }
        d.deserialize_any(V)
    }
}

impl V1Transfer {
    fn fetch(&mut self) -> Result<Value> {
        let req = Request::get(&format!("/tasks/{}", path_segment(&self.task_id)))
            .context(format!("{}: task {}", self.context, self.task_id));
        let body = self.session.send(req)?.bytes()?;
        let value: Value =
            serde_json::from_slice(&body).map_err(|e| Error::from(e).context(&self.context))?;
        self.last_body = Some(body);
        Ok(value)
    }

    fn last_task(&self) -> Option<Value> {
        let body = self.last_body.as_ref()?;
        let mut v: Value = serde_json::from_slice(body).ok()?;
        Some(v.get_mut("task")?.take())
    }

    fn last_data(&mut self) -> Result<Value> {
        if self.last_body.is_none() {
            self.fetch()?;
        }
        Ok(self
            .last_task()
            .and_then(|mut t| t.get_mut("data").map(Value::take))
            .unwrap_or(Value::Null))
    }

    fn form(&self) -> Result<FormParameters> {
        let body = self.last_body.as_deref().unwrap_or_default();
        serde_json::from_slice::<FormTask>(body)
            .map(|t| t.task.data.msg.parameters)
            .map_err(|e| {
                Error::new(
                    ErrorKind::Json,
                    format!(
                        "{}: the task has no staging form (data.msg.parameters): {e}",
                        self.context
                    ),
                )
            })
    }
}

impl Backend for V1Transfer {
    fn poll(&mut self) -> Result<TransferState> {
        let v = self.fetch()?;
        let raw: RawTask = member(v, "task", &self.context)?;
        Ok(TransferState::from_code(raw.into_task()?.status))
    }

    fn failure_message(&self) -> String {
        let Some(task) = self.last_task() else {
            return "no task information".to_string();
        };
        let data = &task["data"];
        let text = match data {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Object(m) => m.get("error").or_else(|| m.get("msg")).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            _ => None,
        };
        text.or_else(|| task["description"].as_str().map(str::to_string))
            .unwrap_or_else(|| data.to_string())
    }

    fn object_storage_data(&mut self) -> Result<Value> {
        let data = self.last_data()?;
        Ok(match self.direction {
            Direction::Upload => data.pointer("/msg/parameters").cloned().unwrap_or(data),
            Direction::Download => data,
        })
    }

    fn finish_upload(&mut self, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<()> {
        let Some((path, basename)) = self.local.clone() else {
            return Err(Error::new(
                ErrorKind::InvalidState,
                format!("{}: not an upload", self.context),
            ));
        };
        if self.last_body.is_none() {
            self.fetch()?;
        }
        let form = self.form()?;
        let context = format!("{}: sending the file to the staging area", self.context);
        let len = std::fs::metadata(&path)
            .map_err(|e| Error::new(ErrorKind::Io, format!("{context}: {e}")))?
            .len();
        let stream = Stream::file(&path, 0, len);
        let mut req = if form.method.eq_ignore_ascii_case("PUT") {
            // s3v2: the raw bytes, signature in the query string.
            let mut r = Request::absolute(Method::Put, &form.url)
                .stream(stream, None)
                .idempotent(true);
            for (k, v) in &form.params.0 {
                r = r.query(k, v.clone());
            }
            r
        } else {
            // s3v4 / swift: a POST form, fields in the given order, the file last as `file`;
            // Swift names the object after the part's filename, which must be the basename.
            let mut r = Request::absolute(Method::Post, &form.url).multipart(
                form.data.0.clone(),
                "file",
                &basename,
                stream,
            );
            for (k, v) in &form.params.0 {
                r = r.query(k, v.clone());
            }
            r
        };
        for (k, v) in &form.headers.0 {
            req = req.header(k, v.clone());
        }
        self.session
            .send(req.context(context).progress(progress))?
            .discard();
        Ok(())
    }

    fn download_url(&mut self) -> Result<String> {
        let data = self.last_data()?;
        let url = match (&self.direction, &data) {
            // Servers ≤ 1.13 put the bare URL in data.
            (Direction::Download, Value::String(s)) => Some(s.clone()),
            (Direction::Download, v) => v.get("url").and_then(Value::as_str).map(str::to_string),
            (Direction::Upload, _) => self.form().ok().map(|f| f.url),
        };
        url.filter(|u| !u.is_empty()).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidState,
                format!("{}: the task has no staging URL yet", self.context),
            )
        })
    }

    fn invalidate(&mut self) -> Result<()> {
        let req = Request::post("/storage/xfer-external/invalidate")
            .header("X-Task-Id", self.task_id.clone())
            .context(format!("{}: invalidate", self.context));
        self.session.send(req)?.discard();
        Ok(())
    }

    fn describe(&self) -> String {
        format!("{} (task {})", self.context, self.task_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::wire::{capture_one_request, content_length};
    use crate::{Auth, Options};

    /// An upload whose task (as raw JSON text, so that field order is the test's) carries
    /// `parameters`, with the local file `data`.
    fn upload_at_111(url: &str, parameters: &str, data: &[u8], tag: &str) -> (V1Transfer, PathBuf) {
        let dir = std::env::temp_dir().join(format!("fc-v1-form-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let local = dir.join("file.dat");
        std::fs::write(&local, data).unwrap();
        let body = format!(
            r#"{{"task":{{"task_id":"abc","status":"111","data":{{"msg":{{"parameters":{parameters},"command":"curl ..."}}}}}}}}"#
        );
        let backend = V1Transfer {
            session: Arc::new(
                Session::new(url, Auth::static_token("t"), Options::default()).unwrap(),
            ),
            task_id: "abc".into(),
            context: "external_upload test".into(),
            direction: Direction::Upload,
            local: Some((local, "file.dat".into())),
            last_body: Some(body.into_bytes()),
        };
        (backend, dir)
    }

    fn split(raw: &[u8]) -> (String, &[u8]) {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (
            String::from_utf8_lossy(&raw[..end]).to_string(),
            &raw[end + 4..],
        )
    }

    #[test]
    fn s3v4_form_keeps_the_field_order_and_puts_the_file_last() {
        let (url, server) = capture_one_request();
        let params = format!(
            r#"{{"method":"POST","url":"{url}/testuser","data":{{"key":"abc/file.dat","x-amz-date":"D","policy":"P","x-amz-algorithm":"A"}},"files":"file.dat","json":{{}},"params":{{}},"headers":{{}}}}"#
        );
        let (mut b, dir) = upload_at_111(&url, &params, b"0123456789", "s3v4");
        b.finish_upload(&mut |_, _| true).unwrap();
        let raw = server.join().unwrap();
        let (head, body) = split(&raw);
        assert!(head.starts_with("POST /testuser HTTP/1.1"), "{head}");
        let text = String::from_utf8_lossy(body);
        let at = |name: &str| text.find(&format!("name=\"{name}\"")).unwrap();
        assert!(at("key") < at("x-amz-date") && at("x-amz-date") < at("policy"));
        assert!(at("policy") < at("x-amz-algorithm") && at("x-amz-algorithm") < at("file"));
        assert!(text.contains(
            "filename=\"file.dat\"\r\nContent-Type: application/octet-stream\r\n\r\n0123456789\r\n"
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn s3v2_put_sends_raw_bytes_with_the_signature_in_the_query() {
        let (url, server) = capture_one_request();
        let params = format!(
            r#"{{"method":"PUT","url":"{url}/testuser/abc/file.dat","data":{{}},"files":"file.dat","json":{{}},"params":{{"AWSAccessKeyId":"K","Signature":"S/+=","Expires":1700000000}},"headers":{{}}}}"#
        );
        let data = vec![7u8; 70_000];
        let (mut b, dir) = upload_at_111(&url, &params, &data, "s3v2");
        b.finish_upload(&mut |_, _| true).unwrap();
        let raw = server.join().unwrap();
        let (head, body) = split(&raw);
        assert!(
            head.starts_with(
                "PUT /testuser/abc/file.dat?AWSAccessKeyId=K&Signature=S%2F%2B%3D&Expires=1700000000 "
            ),
            "{head}"
        );
        assert_eq!(content_length(&head.to_ascii_lowercase()), Some(data.len()));
        assert_eq!(body, &data[..]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn swift_form_sends_numbers_as_text_and_names_the_file_after_the_source() {
        let (url, server) = capture_one_request();
        let params = format!(
            r#"{{"method":"POST","url":"{url}/v1/AUTH_x/testuser/abc/","data":{{"max_file_size":5368709120,"max_file_count":1,"expires":1700000000,"signature":"sig","redirect":""}},"files":"file.dat","json":{{}},"params":{{}},"headers":{{}}}}"#
        );
        let (mut b, dir) = upload_at_111(&url, &params, b"swift", "swift");
        b.finish_upload(&mut |_, _| true).unwrap();
        let raw = server.join().unwrap();
        let (head, body) = split(&raw);
        assert!(head.starts_with("POST /v1/AUTH_x/testuser/abc/ "), "{head}");
        let text = String::from_utf8_lossy(body);
        for (name, value) in [
            ("max_file_size", "5368709120"),
            ("max_file_count", "1"),
            ("expires", "1700000000"),
            ("signature", "sig"),
            ("redirect", ""),
        ] {
            assert!(
                text.contains(&format!("name=\"{name}\"\r\n\r\n{value}\r\n")),
                "{name}: {text}"
            );
        }
        assert!(
            text.find("name=\"redirect\"").unwrap() < text.find("filename=\"file.dat\"").unwrap()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
