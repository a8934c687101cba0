//! multipart/form-data bodies parsed by `multer` straight from the connection's body stream;
//! the synchronous handlers wait on the server's runtime for each field and chunk. File parts
//! are handed over chunk by chunk, so nothing is held in memory whole.

use super::incoming::BodyStream;
use bytes::Bytes;
use std::io::{self, Write};
use tokio::runtime::Handle;

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
    rt: Handle,
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
        self.rt.block_on(self.field.chunk()).map_err(to_io)
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

/// Calls `f` for each part of the multipart body of `req`, in wire order, until it returns
/// `Flow::Stop` or the body ends. More than `limit` body bytes fail with `FileTooLarge`.
pub(crate) fn for_each_field(
    stream: &mut BodyStream,
    content_type: &str,
    limit: u64,
    mut f: impl FnMut(&mut Part<'_>) -> io::Result<Flow>,
) -> io::Result<()> {
    let boundary = multer::parse_boundary(content_type).map_err(to_io)?;
    let rt = stream.runtime();
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
    let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
    while let Some(field) = rt.block_on(mp.next_field()).map_err(to_io)? {
        let mut part = Part {
            name: field.name().unwrap_or("").to_string(),
            file_name: field.file_name().map(str::to_string),
            field,
            rt: rt.clone(),
        };
        if let Flow::Stop = f(&mut part)? {
            break;
        }
    }
    Ok(())
}
