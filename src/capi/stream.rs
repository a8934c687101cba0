//! Data to and from the caller's memory: a C write callback as a Rust `Write`, and a C buffer as
//! a byte slice.

use super::boundary::{null_argument, CResult};
use crate::error::{Error, ErrorKind, Result};
use std::ffi::c_void;
use std::io;

/// Receives downloaded data: `len` bytes at `data`, valid only during the call (copy what you
/// keep). Return 0 to go on; a non-zero return stops the download, which then fails with
/// FIRECREST_STATUS_ABORTED_BY_CALLBACK. Called on the thread that called the download function.
pub type firecrest_write_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, data: *const u8, len: usize) -> i32>;

/// A C write callback as a `Write`, remembering whether the callback stopped the data.
pub(crate) struct CallbackWriter {
    cb: unsafe extern "C" fn(*mut c_void, *const u8, usize) -> i32,
    userdata: *mut c_void,
    refused: Option<i32>,
}

impl CallbackWriter {
    pub(crate) fn new(cb: firecrest_write_cb, userdata: *mut c_void) -> CResult<CallbackWriter> {
        Ok(CallbackWriter {
            cb: cb.ok_or_else(|| null_argument("cb"))?,
            userdata,
            refused: None,
        })
    }

    /// The call's result, with a failure the callback caused reported as its own status (the
    /// layers below only saw an I/O error).
    pub(crate) fn outcome<T>(&self, result: Result<T>) -> Result<T> {
        match (result, self.refused) {
            // The message already says the callback returned rc (see `write`).
            (Err(e), Some(_)) => Err(Error::new(ErrorKind::AbortedByCallback, e.message())),
            (result, _) => result,
        }
    }
}

impl io::Write for CallbackWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: buf is valid for its length during the call; the callback contract is the
        // caller's.
        let rc = unsafe { (self.cb)(self.userdata, buf.as_ptr(), buf.len()) };
        if rc != 0 {
            self.refused = Some(rc);
            return Err(io::Error::other(format!(
                "the write callback returned {rc}"
            )));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The caller's `(data, len)` buffer; `data` may be NULL only when `len` is 0.
///
/// # Safety
/// `data` is NULL or valid for reads of `len` bytes during `'a`.
pub(crate) unsafe fn arg_bytes<'a>(data: *const u8, len: usize, name: &str) -> CResult<&'a [u8]> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(null_argument(name))
        };
    }
    Ok(std::slice::from_raw_parts(data, len))
}
