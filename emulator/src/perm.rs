//! File permissions as the kernel judges them for the published user, who is not root.
//!
//! The emulator publishes its own process's uid and gid as the user's (`ls`, userinfo), and
//! may run as root, which the kernel lets read and write anything; the real server's user is
//! not root, so the mode bits are checked here too, before the emulator reads or writes.

use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;

/// Read, write and search bits for [`may`].
pub(crate) const R: u32 = 4;
pub(crate) const W: u32 = 2;
pub(crate) const X: u32 = 1;

/// Whether the published user may `want` (R, W, X or a sum) on a file, by its mode bits as the
/// kernel judges a user who is not root: the owner's bits for the owner, the group's for the
/// group, the others' else (no supplementary groups, no ACLs).
pub(crate) fn may(meta: &Metadata, want: u32) -> bool {
    may_mode(meta.mode(), meta.uid(), meta.gid(), want)
}

/// [`may`] on a raw mode and owner.
pub(crate) fn may_mode(mode: u32, uid: u32, gid: u32, want: u32) -> bool {
    let bits = if uid == rustix::process::getuid().as_raw() {
        mode >> 6
    } else if gid == rustix::process::getgid().as_raw() {
        mode >> 3
    } else {
        mode
    };
    bits & want == want
}

/// EACCES unless the published user may `want` on the file.
pub(crate) fn must(meta: &Metadata, want: u32) -> io::Result<()> {
    if may(meta, want) {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(libc::EACCES))
    }
}
