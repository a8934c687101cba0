//! The local side of whole-directory transfers: a tree packed into a gzip-compressed tar, and
//! such an archive unpacked into a fresh directory. The server's side is its own `tar` (the
//! `compress` and `extract` operations), so the format is the plain POSIX/GNU one both read.
//!
//! Rules, the same both ways: members are relative paths without `..`; symlinks travel as
//! links and must point inside the tree (an absolute target, or one that climbs out of it, is
//! refused: the tree would reach files that are not part of it); regular files, directories and
//! symlinks only (a device or a FIFO has no meaning on the other side). Permission bits travel
//! (`mode & 0o777`; never setuid, setgid or sticky); owners do not.

use crate::error::{Error, ErrorKind, Result};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

fn io_error(what: String, e: io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}")).with_source(e)
}

fn refused(message: String) -> Error {
    Error::new(ErrorKind::Io, message)
}

/// True when a link at `member` (a relative path inside the tree) pointing at `target` stays
/// inside the tree.
fn link_stays_inside(member: &Path, target: &Path) -> bool {
    let mut depth: i64 = member.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// A member name made only of plain components (no `/` at the start, no `..`).
fn plain_member(path: &Path) -> bool {
    path.components().next().is_some()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Writes the contents of the directory `dir` (members named relative to it, `dir` itself not
/// included) into `out` as a gzip-compressed tar. Returns the number of members.
pub(crate) fn pack(dir: &Path, out: File) -> Result<u64> {
    let gz = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    builder.follow_symlinks(false);
    let mut count = 0;
    pack_dir(&mut builder, dir, Path::new(""), &mut count)?;
    let fail = |e| io_error(format!("writing the archive of {}", dir.display()), e);
    let gz = builder.into_inner().map_err(fail)?;
    let mut buffered = gz.finish().map_err(fail)?;
    buffered.flush().map_err(fail)?;
    Ok(count)
}

fn pack_dir<W: Write>(
    builder: &mut tar::Builder<W>,
    dir: &Path,
    prefix: &Path,
    count: &mut u64,
) -> Result<()> {
    let here = dir.join(prefix);
    let read = |e| io_error(format!("reading {}", here.display()), e);
    let mut names: Vec<_> = fs::read_dir(&here)
        .map_err(read)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()
        .map_err(read)?;
    // A stable order: the same tree gives the same archive.
    names.sort();
    for name in names {
        let member = prefix.join(&name);
        let local = dir.join(&member);
        let meta =
            fs::symlink_metadata(&local).map_err(|e| io_error(local.display().to_string(), e))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target =
                fs::read_link(&local).map_err(|e| io_error(local.display().to_string(), e))?;
            if !link_stays_inside(&member, &target) {
                return Err(refused(format!(
                    "{} is a symlink to {} outside the directory; only links inside it can \
                     travel with it",
                    local.display(),
                    target.display()
                )));
            }
        } else if !kind.is_dir() && !kind.is_file() {
            return Err(refused(format!(
                "{} is neither a regular file, a directory nor a symlink",
                local.display()
            )));
        }
        builder
            .append_path_with_name(&local, &member)
            .map_err(|e| io_error(format!("archiving {}", local.display()), e))?;
        *count += 1;
        if kind.is_dir() {
            pack_dir(builder, dir, &member, count)?;
        }
    }
    Ok(())
}

/// Unpacks the gzip-compressed tar `archive` into the existing, empty directory `into`. Every
/// member is checked before anything of it is written: a member that would land outside `into`
/// (absolute, `..`, a link pointing out) or is not a file, directory or symlink fails the
/// whole unpacking. Directory modes are set last, so that a read-only directory still receives
/// its files.
pub(crate) fn unpack(archive: &Path, into: &Path) -> Result<u64> {
    let file = File::open(archive).map_err(|e| io_error(archive.display().to_string(), e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    let bad_archive =
        |e: io::Error| io_error(format!("reading the archive {}", archive.display()), e);
    let mut dirs: Vec<(PathBuf, u32)> = Vec::new();
    let mut count = 0;
    for entry in tar.entries().map_err(bad_archive)? {
        let mut entry = entry.map_err(bad_archive)?;
        let member = entry.path().map_err(bad_archive)?.into_owned();
        let shown = member.display().to_string();
        if !plain_member(&member) {
            if member.components().all(|c| c == Component::CurDir) {
                continue;
            }
            return Err(refused(format!(
                "the archive's member {shown:?} would land outside the directory"
            )));
        }
        let kind = entry.header().entry_type();
        let mode = entry.header().mode().map_err(bad_archive)? & 0o777;
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::Directory => {}
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(bad_archive)?
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let inside = if kind == tar::EntryType::Link {
                    // A hard link names another member, relative to the archive's top.
                    plain_member(&target)
                } else {
                    link_stays_inside(&member, &target)
                };
                if !inside {
                    return Err(refused(format!(
                        "the archive's member {shown:?} links to {} outside the directory",
                        target.display()
                    )));
                }
            }
            // Metadata records (long names, pax headers) are read by the tar crate itself.
            tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink
            | tar::EntryType::XHeader
            | tar::EntryType::XGlobalHeader => continue,
            other => {
                return Err(refused(format!(
                    "the archive's member {shown:?} is a {other:?}, neither a regular file, \
                     a directory nor a symlink"
                )))
            }
        }
        let dest = into.join(&member);
        if kind == tar::EntryType::Directory {
            fs::create_dir_all(&dest).map_err(|e| io_error(dest.display().to_string(), e))?;
            dirs.push((dest, mode));
        } else {
            entry.set_preserve_permissions(false);
            entry.set_preserve_mtime(true);
            // unpack_in refuses to write through a symlink an earlier member created.
            let written = entry
                .unpack_in(into)
                .map_err(|e| io_error(format!("unpacking {shown:?}"), e))?;
            if !written {
                return Err(refused(format!(
                    "the archive's member {shown:?} would land outside the directory"
                )));
            }
        }
        count += 1;
    }
    // Deepest first, so that a parent's mode never stops a child's from being set.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0.components().count()));
    for (dir, mode) in dirs {
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode))
            .map_err(|e| io_error(dir.display().to_string(), e))?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn links_inside_and_outside() {
        let inside = |m: &str, t: &str| link_stays_inside(Path::new(m), Path::new(t));
        assert!(inside("a", "b"));
        assert!(inside("d/a", "../b"));
        assert!(inside("d/e/a", "../../b"));
        assert!(!inside("a", "../b"));
        assert!(!inside("d/a", "../../b"));
        assert!(!inside("a", "/etc/passwd"));
        assert!(inside("d/a", "x/../../b"));
        assert!(!inside("d/a", "x/../../../b"));
    }

    fn tree_with_modes(root: &Path) {
        fs::create_dir_all(root.join("sub/deep")).unwrap();
        fs::write(root.join("a.txt"), b"a").unwrap();
        fs::write(root.join("sub/run.sh"), b"#!/bin/sh\n").unwrap();
        fs::write(root.join("sub/deep/secret"), b"s").unwrap();
        std::os::unix::fs::symlink("../a.txt", root.join("sub/link")).unwrap();
        let mode = |p: &str, m| fs::set_permissions(root.join(p), fs::Permissions::from_mode(m));
        mode("sub/run.sh", 0o755).unwrap();
        mode("sub/deep/secret", 0o600).unwrap();
        mode("sub/deep", 0o500).unwrap();
    }

    #[test]
    fn a_tree_round_trips_with_its_modes_and_links() {
        let tmp = tempfile::tempdir().unwrap();
        let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
        tree_with_modes(&src);
        let archive = tmp.path().join("a.tar.gz");
        assert_eq!(pack(&src, File::create(&archive).unwrap()).unwrap(), 6);
        fs::create_dir(&dst).unwrap();
        assert_eq!(unpack(&archive, &dst).unwrap(), 6);
        let mode = |p: &Path| fs::symlink_metadata(p).unwrap().mode() & 0o7777;
        for rel in ["a.txt", "sub", "sub/run.sh", "sub/deep", "sub/deep/secret"] {
            assert_eq!(mode(&src.join(rel)), mode(&dst.join(rel)), "{rel}");
        }
        assert_eq!(fs::read(dst.join("sub/deep/secret")).unwrap(), b"s");
        assert_eq!(
            fs::read_link(dst.join("sub/link")).unwrap(),
            Path::new("../a.txt")
        );
        fs::set_permissions(src.join("sub/deep"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(dst.join("sub/deep"), fs::Permissions::from_mode(0o700)).unwrap();
    }

    #[test]
    fn a_link_out_of_the_tree_is_refused_when_packing() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", src.join("evil")).unwrap();
        let e = pack(&src, tempfile::tempfile().unwrap()).unwrap_err();
        assert!(e.message().contains("evil"), "{e}");
        assert!(e.message().contains("outside"), "{e}");
    }

    /// An archive built by hand, as a hostile server could send it.
    fn evil_archive(path: &Path, name: &str, link: Option<&str>) {
        let gz = flate2::write::GzEncoder::new(File::create(path).unwrap(), Default::default());
        let mut b = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match link {
            Some(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, name, target).unwrap();
            }
            None => {
                h.set_size(1);
                // Written raw: the tar crate's own setters refuse `..` too.
                let bytes = name.as_bytes();
                h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
                h.set_cksum();
                b.append(&h, &b"x"[..]).unwrap();
            }
        }
        b.into_inner().unwrap().finish().unwrap();
    }

    #[test]
    fn hostile_members_are_refused_and_nothing_lands_outside() {
        let tmp = tempfile::tempdir().unwrap();
        let cases = [
            ("../escape", None),
            ("/abs", None),
            ("ok/../../escape", None),
            ("link", Some("/etc")),
            ("d/link", Some("../../..")),
        ];
        for (i, (name, link)) in cases.into_iter().enumerate() {
            let archive = tmp.path().join(format!("{i}.tar.gz"));
            evil_archive(&archive, name, link);
            let into = tmp.path().join(format!("into{i}"));
            fs::create_dir(&into).unwrap();
            let e = unpack(&archive, &into).unwrap_err();
            assert!(e.message().contains("outside"), "{name}: {e}");
        }
        assert!(!tmp.path().join("escape").exists());
        assert!(!Path::new("/abs").exists());
    }
}
