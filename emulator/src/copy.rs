//! Trees copied or moved on local paths under the sandbox root: `cp --force -dR
//! --preserve=all` for v1's `utilities/copy` and v2's copy job, and the merge of an extracted
//! archive into its target directory.

use crate::sandbox::PinnedDir;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Copies a tree without following symlinks, keeping modes and times. A symlink already at a
/// destination is replaced, never written through: its target is interpreted by the OS, not by
/// the sandbox, so following it could write outside the root. `src` and `dst` are entries in
/// pinned directories; every directory below is pinned before it is entered (a symlink
/// swapped in for one meanwhile fails the copy), and files are opened with `O_NOFOLLOW`.
pub(crate) fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(src)?;
    if fs::symlink_metadata(dst).is_ok_and(|m| m.file_type().is_symlink()) {
        fs::remove_file(dst)?;
    }
    if meta.file_type().is_symlink() {
        let _ = fs::remove_file(dst);
        return std::os::unix::fs::symlink(fs::read_link(src)?, dst);
    }
    let mode = fs::Permissions::from_mode(meta.mode() & 0o7777);
    if meta.is_dir() {
        if !fs::symlink_metadata(dst).is_ok_and(|m| m.is_dir()) {
            fs::create_dir(dst)?;
        }
        let (from, to) = (PinnedDir::open(src)?, PinnedDir::open(dst)?);
        for e in fs::read_dir(from.path())? {
            let e = e?;
            copy_tree(
                &from.path().join(e.file_name()),
                &to.path().join(e.file_name()),
            )?;
        }
        // Through the pinned descriptor: chmod on the path could follow a swapped-in link.
        fs::set_permissions(to.path(), mode)?;
        if let (Ok(t), Ok(d)) = (meta.modified(), File::open(to.path())) {
            let _ = d.set_modified(t);
        }
        return Ok(());
    }
    let nofollow = libc::O_NOFOLLOW;
    let mut input = OpenOptions::new()
        .read(true)
        .custom_flags(nofollow)
        .open(src)?;
    let out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(nofollow)
        .open(dst)?;
    io::copy(&mut input, &mut &out)?;
    out.set_permissions(mode)?;
    if let Ok(t) = meta.modified() {
        let _ = out.set_modified(t);
    }
    Ok(())
}

/// Moves the entries of `from` into the directory `into`, merging into directories already
/// there and replacing files and symlinks (never following them, as `copy_tree`). Both are
/// pinned, and so is every directory merged into below them. A symlink whose target `relink`
/// maps is stored with the new target (an archive's absolute targets, made to stay in the
/// root when the OS follows them).
pub(crate) fn merge_tree(
    from: &PinnedDir,
    into: &PinnedDir,
    relink: &dyn Fn(&Path) -> Option<std::path::PathBuf>,
) -> io::Result<()> {
    for e in fs::read_dir(from.path())? {
        let e = e?;
        let (src, dst) = (
            from.path().join(e.file_name()),
            into.path().join(e.file_name()),
        );
        if e.file_type()?.is_symlink() {
            if let Some(target) = relink(&fs::read_link(&src)?) {
                fs::remove_file(&src)?;
                std::os::unix::fs::symlink(target, &src)?;
            }
        }
        match fs::symlink_metadata(&dst) {
            Ok(m) if m.is_dir() => {
                if !e.file_type()?.is_dir() {
                    return Err(io::Error::from_raw_os_error(libc::EISDIR));
                }
                merge_tree(&PinnedDir::open(&src)?, &PinnedDir::open(&dst)?, relink)?;
            }
            Ok(_) if e.file_type()?.is_dir() => {
                // rename cannot put a directory over a file or symlink; tar replaces it too.
                fs::remove_file(&dst)?;
                fs::rename(&src, &dst)?;
            }
            _ => fs::rename(&src, &dst)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_at_the_destination_are_replaced_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (src, dst, outside) = (dir.join("src"), dir.join("dst"), dir.join("outside"));
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::create_dir_all(&dst).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(src.join("f"), b"new").unwrap();
        fs::write(src.join("sub/g"), b"g").unwrap();
        fs::write(outside.join("f"), b"old").unwrap();
        std::os::unix::fs::symlink("../outside/f", dst.join("f")).unwrap();
        std::os::unix::fs::symlink("../outside", dst.join("sub")).unwrap();
        copy_tree(&src, &dst).unwrap();
        assert_eq!(fs::read(outside.join("f")).unwrap(), b"old");
        assert!(!outside.join("g").exists());
        assert_eq!(fs::read(dst.join("f")).unwrap(), b"new");
        assert_eq!(fs::read(dst.join("sub/g")).unwrap(), b"g");
    }

    #[test]
    fn a_merge_replaces_symlinks_and_keeps_other_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (from, into, outside) = (dir.join("from"), dir.join("into"), dir.join("outside"));
        fs::create_dir_all(from.join("evil")).unwrap();
        fs::create_dir_all(from.join("d")).unwrap();
        fs::create_dir_all(into.join("d")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(from.join("evil/f"), b"new").unwrap();
        fs::write(from.join("d/a"), b"a").unwrap();
        fs::write(into.join("d/keep"), b"keep").unwrap();
        std::os::unix::fs::symlink("../outside", into.join("evil")).unwrap();
        merge_tree(
            &PinnedDir::open(&from).unwrap(),
            &PinnedDir::open(&into).unwrap(),
            &|_| None,
        )
        .unwrap();
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
        assert_eq!(fs::read(into.join("evil/f")).unwrap(), b"new");
        assert_eq!(fs::read(into.join("d/a")).unwrap(), b"a");
        assert_eq!(fs::read(into.join("d/keep")).unwrap(), b"keep");
    }
}
