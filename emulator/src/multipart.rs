//! multipart/form-data bodies parsed by `multer`, driven synchronously: the request body is read
//! in chunks by a plain iterator turned into a stream, and every future is run with `block_on`.
//! File parts are handed over chunk by chunk, so nothing is held in memory whole.

use super::server::Req;
use bytes::Bytes;
use futures_executor::block_on;
use std::io::{self, Write};

const CHUNK: usize = 64 * 1024;
const MAX_TEXT_FIELD: usize = 1024 * 1024;

pub(crate) enum Flow {
    Continue,
    Stop,
}

/// One part of the form, its data still unread.
pub(crate) struct Part<'r> {
    pub name: String,
    pub file_name: Option<String>,
    field: multer::Field<'r>,
}

fn to_io(e: multer::Error) -> io::Error {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            io::Error::new(io::ErrorKind::FileTooLarge, e.to_string())
        }
        multer::Error::StreamReadFailed(inner) => io::Error::other(inner.to_string()),
        e => io::Error::new(io::ErrorKind::InvalidData, e.to_string()),
    }
}

impl Part<'_> {
    pub fn chunk(&mut self) -> io::Result<Option<Bytes>> {
        block_on(self.field.chunk()).map_err(to_io)
    }

    /// The part as text (form fields); refuses absurdly long fields.
    pub fn text(&mut self) -> io::Result<String> {
        let mut buf = Vec::new();
        while let Some(c) = self.chunk()? {
            buf.extend_from_slice(&c);
            if buf.len() > MAX_TEXT_FIELD {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("form field '{}' is too long", self.name),
                ));
            }
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// Streams the part into `out`; returns the number of bytes written.
    pub fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<u64> {
        let mut n = 0;
        while let Some(c) = self.chunk()? {
            out.write_all(&c)?;
            n += c.len() as u64;
        }
        Ok(n)
    }

    pub fn discard(&mut self) -> io::Result<()> {
        while self.chunk()?.is_some() {}
        Ok(())
    }
}

/// The request body as a stream of chunks. It is `Send`, as multer wants, because it borrows
/// the whole request. After each chunk it answers `Pending` once (and wakes itself at once):
/// multer's buffer pulls from the stream until it is pending, so an always-ready stream would
/// be read whole into memory before the first field is handed out.
struct BodyStream<'a> {
    req: &'a mut tiny_http::Request,
    done: bool,
    just_yielded: bool,
}

impl futures_util::Stream for BodyStream<'_> {
    type Item = io::Result<Bytes>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<io::Result<Bytes>>> {
        use std::task::Poll;
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if this.just_yielded {
            this.just_yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut buf = vec![0u8; CHUNK];
        loop {
            match this.req.as_reader().read(&mut buf) {
                Ok(0) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Ok(n) => {
                    buf.truncate(n);
                    this.just_yielded = true;
                    return Poll::Ready(Some(Ok(Bytes::from(buf))));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

/// Calls `f` for each part of the multipart body of `req`, in wire order, until it returns
/// `Flow::Stop` or the body ends. More than `limit` body bytes fail with `FileTooLarge`.
pub(crate) fn for_each_field(
    req: &mut Req,
    content_type: &str,
    limit: u64,
    mut f: impl FnMut(&mut Part<'_>) -> io::Result<Flow>,
) -> io::Result<()> {
    let boundary = multer::parse_boundary(content_type).map_err(to_io)?;
    let stream = BodyStream {
        req: req.inner_mut(),
        done: false,
        just_yielded: false,
    };
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
    let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
    while let Some(field) = block_on(mp.next_field()).map_err(to_io)? {
        let mut part = Part {
            name: field.name().unwrap_or("").to_string(),
            file_name: field.file_name().map(str::to_string),
            field,
        };
        if let Flow::Stop = f(&mut part)? {
            break;
        }
    }
    Ok(())
}
