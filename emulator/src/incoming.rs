//! A request body as the connection delivers it, below both the multipart parser and the
//! request type that offers it to handlers.

use bytes::Bytes;
use futures_util::stream::StreamExt;
use http_body::Body as _;
use hyper::body::Incoming;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::runtime::Handle;

/// A request body as the connection delivers it, chunk by chunk: a `Stream` for multer and a
/// blocking `Read` for handlers (which run outside the runtime and wait on it).
pub(crate) struct BodyStream {
    body: Incoming,
    rt: Handle,
    /// The part of the last chunk that `read` has not handed out yet.
    left: Bytes,
    /// Set after a chunk is returned: the next poll is `Pending` once (waking itself at once).
    /// multer's buffer pulls from its stream until it is pending, so a stream that is always
    /// ready would be read whole into memory before the first field is handed out.
    just_yielded: bool,
    done: bool,
}

impl BodyStream {
    pub(crate) fn new(body: Incoming, rt: Handle) -> BodyStream {
        BodyStream {
            body,
            rt,
            left: Bytes::new(),
            just_yielded: false,
            done: false,
        }
    }

    /// The body's length when the request declared it.
    pub(crate) fn exact_len(&self) -> Option<u64> {
        http_body::Body::size_hint(&self.body).exact()
    }

    /// The runtime the connection runs on (multipart parsing waits on it too).
    pub(crate) fn runtime(&self) -> Handle {
        self.rt.clone()
    }

    /// Reads and throws away at least `limit` bytes (whole chunks); true when the body ended.
    pub(crate) async fn discard(&mut self, limit: u64) -> bool {
        let mut seen = 0;
        while seen < limit {
            match self.next().await {
                Some(Ok(chunk)) => seen += chunk.len() as u64,
                Some(Err(_)) => return false,
                None => return true,
            }
        }
        false
    }

    pub(crate) fn finished(&self) -> bool {
        self.done || (self.left.is_empty() && http_body::Body::is_end_stream(&self.body))
    }
}

impl futures_util::Stream for BodyStream {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        let this = self.get_mut();
        if !this.left.is_empty() {
            return Poll::Ready(Some(Ok(std::mem::take(&mut this.left))));
        }
        if this.done {
            return Poll::Ready(None);
        }
        if this.just_yielded {
            this.just_yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(io::Error::other(e))));
                }
                // Trailers and empty chunks carry no body bytes.
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => {
                        this.just_yielded = true;
                        return Poll::Ready(Some(Ok(data)));
                    }
                    _ => continue,
                },
            }
        }
    }
}

impl Read for BodyStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left.is_empty() {
            let rt = self.rt.clone();
            match rt.block_on(self.next()) {
                Some(chunk) => self.left = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.left.len());
        buf[..n].copy_from_slice(&self.left.split_to(n));
        Ok(n)
    }
}
