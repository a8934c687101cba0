//! A file written beside its final place and renamed over it when complete, so that a failed
//! or aborted upload or transfer never leaves a half-written file (v1 uploads and staging
//! copies, v2 `ops/upload` and transfer jobs).

use crate::sandbox::Local;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Names the emulator's temporary files start with (v1's `ls` hides them).
pub(crate) const TMP_PREFIX: &str = ".firecrest-emulator-";

/// A temporary file beside `dest` (removed if dropped uncommitted), renamed over `dest` by
/// [`AtomicFile::commit`].
pub(crate) struct AtomicFile {
    file: NamedTempFile,
    dest: PathBuf,
    /// Keeps the directory descriptors behind a sandbox path open until the rename.
    _pin: Option<Local>,
}

impl AtomicFile {
    /// The temporary name is random and created exclusively: a symlink planted under a
    /// predictable name could otherwise send the bytes outside the sandbox.
    pub fn create(dest: &Path) -> io::Result<AtomicFile> {
        let dir = dest
            .parent()
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        // Created as `File::create` would (0666 less the umask), not tempfile's 0600: the
        // file keeps these permissions once renamed.
        let file = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .rand_bytes(16)
            .permissions(fs::Permissions::from_mode(0o666))
            .tempfile_in(dir)
            // tempfile names the directory in its error: a descriptor path, not for messages.
            .map_err(|e| io::Error::new(e.kind(), crate::util::errtext(&e)))?;
        Ok(AtomicFile {
            file,
            dest: dest.to_path_buf(),
            _pin: None,
        })
    }

    /// At a file resolved through the sandbox: the temporary is created in its pinned
    /// directory and renamed over its entry (replacing a symlink there, never following it).
    pub fn create_in(local: &Local) -> io::Result<AtomicFile> {
        let mut f = AtomicFile::create(local.entry())?;
        f._pin = Some(local.clone());
        Ok(f)
    }

    /// The temporary file (for handing to a child process as its output).
    pub fn file(&self) -> &File {
        self.file.as_file()
    }

    pub fn commit(mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.persist(&self.dest).map(drop).map_err(|e| e.error)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Moves a finished file (a staged object) to `target`; a copy through an `AtomicFile` when
/// the two are on different filesystems.
pub(crate) fn move_into_place(from: &Path, target: &Local) -> io::Result<()> {
    if fs::rename(from, target.entry()).is_ok() {
        return Ok(());
    }
    let mut out = AtomicFile::create_in(target)?;
    io::copy(&mut File::open(from)?, &mut out)?;
    out.commit()?;
    let _ = fs::remove_file(from);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_commit_shows_the_file_and_it_replaces_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::create_dir_all(dir.join("in")).unwrap();
        fs::write(dir.join("outside"), b"old").unwrap();
        let dest = dir.join("in/f");
        std::os::unix::fs::symlink("../outside", &dest).unwrap();
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"dropped").unwrap();
        drop(f);
        assert_eq!(fs::read_dir(dir.join("in")).unwrap().count(), 1);
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert_eq!(fs::read(dir.join("outside")).unwrap(), b"old");
    }
}
