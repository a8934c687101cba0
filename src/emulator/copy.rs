//! `cp --force -dR --preserve=all` on local paths under the sandbox root, for v1's
//! `utilities/copy` and v2's copy job alike.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Copies a tree without following symlinks, keeping modes and times. A symlink already at a
/// destination is replaced, never written through: its target is interpreted by the OS, not by
/// the sandbox, so following it could write outside the root.
pub(crate) fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(src)?;
    if fs::symlink_metadata(dst).is_ok_and(|m| m.file_type().is_symlink()) {
        fs::remove_file(dst)?;
    }
    if meta.file_type().is_symlink() {
        let _ = fs::remove_file(dst);
        return std::os::unix::fs::symlink(fs::read_link(src)?, dst);
    }
    if meta.is_dir() {
        if !dst.is_dir() {
            fs::create_dir(dst)?;
        }
        for e in fs::read_dir(src)? {
            let e = e?;
            copy_tree(&e.path(), &dst.join(e.file_name()))?;
        }
    } else {
        fs::copy(src, dst)?;
    }
    fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    if let Ok(t) = meta.modified() {
        if let Ok(f) = File::options().write(!meta.is_dir()).read(true).open(dst) {
            let _ = f.set_modified(t);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_at_the_destination_are_replaced_not_followed() {
        let dir = std::env::temp_dir().join(format!(
            "fe-copy-{}-{}",
            std::process::id(),
            super::super::util::hex(&super::super::util::random_bytes(4))
        ));
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
        fs::remove_dir_all(dir).unwrap();
    }
}
