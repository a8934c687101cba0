//! Whole directories in one call: the tree travels as one gzip-compressed tar, packed or
//! unpacked locally (`archive`) and extracted or made remotely by the server's `extract` and
//! `compress`, through the direct path or the staging area by the archive's size. The remote
//! archive is removed afterwards, on failure too; a download is unpacked into a temporary
//! directory beside its target and renamed into place only when complete.

use super::{require, require_system, shown, Client};
use crate::archive;
use crate::error::{Error, ErrorKind, Result};
use crate::transfers::{Direction, ProgressFn, TransferState};
use crate::types::CompressOptions;
use std::fs;
use std::path::Path;
use std::time::Duration;

/// How long a staged archive may take to reach its final state once its bytes have moved.
const FINAL_STATE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// A name no one else picks: the remote archive must not meet another call's.
fn unique_tag() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        bytes = (nanos ^ u64::from(std::process::id())).to_le_bytes();
    }
    hex::encode(bytes)
}

fn local_io(what: String, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}")).with_source(e)
}

/// Tells the caller's progress callback about a direct transfer, which moves in one piece.
fn direct_progress(progress: Option<ProgressFn>, size: u64) -> Result<()> {
    if let Some(mut f) = progress {
        if !f(size, size) {
            return Err(Error::new(
                ErrorKind::AbortedByCallback,
                "the progress callback asked to stop",
            ));
        }
    }
    Ok(())
}

/// `remote` without trailing slashes, split into its parent and its last component.
fn split_remote(remote: &str) -> Option<(&str, &str)> {
    let trimmed = remote.trim_end_matches('/');
    let (parent, name) = trimmed.rsplit_once('/')?;
    if name.is_empty() || name == "." || name == ".." {
        return None;
    }
    Some((if parent.is_empty() { "/" } else { parent }, name))
}

fn join_remote(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

impl Client {
    /// Uploads the local directory tree `local_dir` so that `remote_dir` holds its contents
    /// (`local_dir/a/b` arrives as `remote_dir/a/b`), like `cp -R local_dir/. remote_dir`:
    /// `remote_dir` and its parents are created if missing, and into an existing `remote_dir`
    /// the tree is merged (files of the same name replaced, others kept). Permission bits
    /// travel (the remote `tar` applies the user's umask, as it does for any user); symlinks
    /// travel as links and must point inside the tree; other special files are refused.
    ///
    /// The tree is packed into a temporary local archive, sent directly or staged by its size
    /// (`progress` follows a staged send; a direct one reports once), extracted remotely and
    /// the remote archive (`remote_dir/.firecrest-upload-<random>.tar.gz`) removed, also when
    /// a step fails.
    pub fn upload_dir(
        &self,
        system: &str,
        local_dir: &Path,
        remote_dir: &str,
        progress: Option<ProgressFn>,
    ) -> Result<()> {
        let what = || {
            format!(
                "upload_dir {} -> {}:{}",
                local_dir.display(),
                shown(system),
                shown(remote_dir)
            )
        };
        self.upload_dir_steps(system, local_dir, remote_dir, progress)
            .map_err(|e| e.context(what()))
    }

    fn upload_dir_steps(
        &self,
        system: &str,
        local_dir: &Path,
        remote_dir: &str,
        progress: Option<ProgressFn>,
    ) -> Result<()> {
        require_system(system).and_then(|()| require("remote_dir", remote_dir))?;
        let meta = fs::metadata(local_dir)
            .map_err(|e| local_io(format!("local directory {}", local_dir.display()), e))?;
        if !meta.is_dir() {
            return Err(Error::invalid_argument(format!(
                "local path {} is not a directory",
                local_dir.display()
            )));
        }
        let packed = tempfile::Builder::new()
            .prefix(".firecrest-upload-")
            .suffix(".tar.gz")
            .tempfile()
            .map_err(|e| local_io("a temporary archive".into(), e))?;
        let file = packed
            .reopen()
            .map_err(|e| local_io("the temporary archive".into(), e))?;
        archive::pack(local_dir, file)?;
        let size = fs::metadata(packed.path())
            .map_err(|e| local_io("the temporary archive".into(), e))?
            .len();

        self.mkdir(system, remote_dir, true)?;
        let name = format!(".firecrest-upload-{}.tar.gz", unique_tag());
        let remote_archive = join_remote(remote_dir, &name);
        let sent = (|| {
            match self.direct_transfer_limit(Direction::Upload)? {
                Some(limit) if size > limit => {
                    let mut t = self.external_upload(system, packed.path(), &remote_archive)?;
                    t.set_progress(progress);
                    t.finish_upload()?;
                    t.wait(TransferState::UploadDone, FINAL_STATE_TIMEOUT)?;
                }
                _ => {
                    self.simple_upload(system, packed.path(), remote_dir, Some(&name))?;
                    direct_progress(progress, size)?;
                }
            }
            self.extract(system, &remote_archive, remote_dir)
        })();
        self.remove_archive(system, &remote_archive, sent)
    }

    /// Downloads the remote directory tree `remote_dir` as the new local directory
    /// `local_dir` (like `cp -R remote_dir local_dir` when `local_dir` does not exist).
    /// `local_dir` must not exist: it appears whole, or not at all: the tree is unpacked into a
    /// temporary directory beside it and renamed into place at the end, so a failure leaves
    /// nothing behind. Permission bits travel; symlinks travel as links and must point inside
    /// the tree; an archive member that would land outside it is refused.
    ///
    /// The server compresses the tree into `.<name>.firecrest-<random>.tar.gz` beside it (in
    /// `remote_dir`'s parent, which must be writable), the archive comes directly or staged by
    /// its size (`progress` as in `upload_dir`), and is removed remotely, also on failure.
    pub fn download_dir(
        &self,
        system: &str,
        remote_dir: &str,
        local_dir: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<()> {
        let what = || {
            format!(
                "download_dir {}:{} -> {}",
                shown(system),
                shown(remote_dir),
                local_dir.display()
            )
        };
        self.download_dir_steps(system, remote_dir, local_dir, progress)
            .map_err(|e| e.context(what()))
    }

    fn download_dir_steps(
        &self,
        system: &str,
        remote_dir: &str,
        local_dir: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<()> {
        require_system(system).and_then(|()| require("remote_dir", remote_dir))?;
        let (remote_parent, name) = split_remote(remote_dir).ok_or_else(|| {
            Error::invalid_argument(format!(
                "remote_dir {:?} must be an absolute path naming a directory (not /, . or ..)",
                shown(remote_dir)
            ))
        })?;
        if fs::symlink_metadata(local_dir).is_ok() {
            return Err(Error::invalid_argument(format!(
                "local path {} exists; download_dir creates the directory whole",
                local_dir.display()
            )));
        }
        let local_parent = match local_dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !local_parent.is_dir() {
            return Err(Error::invalid_argument(format!(
                "local directory {} does not exist",
                local_parent.display()
            )));
        }

        let remote_archive = join_remote(
            remote_parent,
            &format!(".{name}.firecrest-{}.tar.gz", unique_tag()),
        );
        let staging = (|| {
            self.compress(
                system,
                remote_dir,
                &remote_archive,
                &CompressOptions::default(),
            )?;
            self.fetch_archive(system, &remote_archive, local_parent, progress)
        })();
        let fetched = self.remove_archive(system, &remote_archive, staging)?;

        let stage = tempfile::Builder::new()
            .prefix(".firecrest-download-")
            .tempdir_in(local_parent)
            .map_err(|e| {
                local_io(
                    format!("a temporary directory in {}", local_parent.display()),
                    e,
                )
            })?;
        archive::unpack(fetched.path(), stage.path())?;
        let top = stage.path().join(name);
        if !fs::symlink_metadata(&top).is_ok_and(|m| m.is_dir()) {
            return Err(Error::new(
                ErrorKind::Io,
                format!("the server's archive of {remote_dir} holds no directory {name:?}"),
            ));
        }
        if fs::symlink_metadata(local_dir).is_ok() {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "local path {} appeared during the download",
                    local_dir.display()
                ),
            ));
        }
        fs::rename(&top, local_dir)
            .map_err(|e| local_io(format!("renaming into {}", local_dir.display()), e))
    }

    /// The remote archive into a temporary local file in `local_parent` (removed when dropped).
    fn fetch_archive(
        &self,
        system: &str,
        remote_archive: &str,
        local_parent: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<tempfile::NamedTempFile> {
        let size = self.stat(system, remote_archive, false)?.size.max(0) as u64;
        let mut local = tempfile::Builder::new()
            .prefix(".firecrest-download-")
            .suffix(".tar.gz")
            .tempfile_in(local_parent)
            .map_err(|e| local_io(format!("a temporary file in {}", local_parent.display()), e))?;
        match self.direct_transfer_limit(Direction::Download)? {
            Some(limit) if size > limit => {
                let mut t = self.external_download(system, remote_archive)?;
                t.set_progress(progress);
                t.finish_download_to(local.as_file_mut())?;
            }
            _ => {
                self.simple_download_to(system, remote_archive, local.as_file_mut())?;
                direct_progress(progress, size)?;
            }
        }
        Ok(local)
    }

    /// Removes the remote archive whatever `outcome` was. A removal that fails is an error
    /// of its own when the archive is still there; after a failed step the archive may never
    /// have been written, and then only the step's error counts.
    fn remove_archive<T>(
        &self,
        system: &str,
        remote_archive: &str,
        outcome: Result<T>,
    ) -> Result<T> {
        let Err(removal) = self.remove(system, remote_archive) else {
            return outcome;
        };
        if self.stat(system, remote_archive, false).is_err() {
            return outcome;
        }
        let remains = format!("the remote archive {remote_archive} remains");
        match outcome {
            Ok(_) => Err(removal.context(remains)),
            Err(e) => {
                let message = format!("{}; {remains}: {}", e.message(), removal.message());
                Err(e.with_message(message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_dirs_split_into_parent_and_name() {
        assert_eq!(split_remote("/home/u/data/"), Some(("/home/u", "data")));
        assert_eq!(split_remote("/data"), Some(("/", "data")));
        for bad in ["/", "relative", "/a/..", "/a/."] {
            assert_eq!(split_remote(bad), None, "{bad}");
        }
    }
}
