//! The remote commands of the utilities service, done on files under the sandbox root. Each
//! returns its output, or the stderr text the real command (coreutils, `file`, bash) would print,
//! so the v1 error classification sees what it sees on a real cluster.

use crate::atomic::TMP_PREFIX;
use crate::copy::copy_tree;
use crate::ls::{perm_string, type_char};
use crate::perm::{must, R, W, X};
use crate::portion::{self, Count};
use crate::sandbox::{Local, PinnedDir, Sandbox};
use crate::sniff;
use crate::util::errtext;
use crate::util::{iso_time, sha256_hex};
use crate::USER;
use serde_json::{json, Value};
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

pub(crate) const USER_ID: i64 = 1001;

/// Resolves `path` and applies the sandbox's read rule.
fn resolve_read(sb: &Sandbox, path: &str, follow: bool) -> io::Result<(String, Local)> {
    let (remote, local) = sb.resolve(path, follow)?;
    sb.check_read(&remote)?;
    Ok((remote, local))
}

fn owner_of(sb: &Sandbox, remote: &str) -> (&'static str, i64) {
    if sb.check_enter(remote).is_err() {
        ("root", 0)
    } else {
        (USER, USER_ID)
    }
}

/// `local` is the entry (never followed).
fn ls_entry(sb: &Sandbox, name: &str, remote: &str, local: &Path, meta: &Metadata) -> Value {
    let link_target = if meta.file_type().is_symlink() {
        fs::read_link(local)
            .map(|t| sb.link_target_remote(&t))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let size = if meta.file_type().is_symlink() {
        link_target.len() as u64
    } else {
        meta.len()
    };
    let (owner, _) = owner_of(sb, remote);
    json!({
        "name": name,
        "type": type_char(meta).to_string(),
        "link_target": link_target,
        "user": owner,
        "group": owner,
        "permissions": perm_string(meta.mode()),
        "last_modified": iso_time(meta.mtime()),
        "size": size.to_string(),
    })
}

fn sorted_children(local: &Path, hidden: bool) -> io::Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(local)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| hidden || !n.starts_with('.'))
        .filter(|n| !n.starts_with(TMP_PREFIX))
        .collect();
    names.sort();
    Ok(names)
}

/// `ls -l [-A] [-R] [-L]`: entries of a directory (basenames, or `sub/name` when recursive), or
/// the path itself when it is not a directory. `follow` (`-L`) describes what links point to; a
/// dangling link is shown as itself.
pub(crate) fn ls(
    sb: &Sandbox,
    path: &str,
    hidden: bool,
    recursive: bool,
    follow: bool,
) -> Result<Value, String> {
    let (remote, local) = sb
        .resolve(path, follow)
        .map_err(|e| format!("ls: cannot access '{path}': {}", errtext(&e)))?;
    let meta = local
        .symlink_metadata()
        .map_err(|e| format!("ls: cannot access '{path}': {}", errtext(&e)))?;
    if !meta.is_dir() || !local.pinned() {
        sb.check_read(&remote)
            .map_err(|e| format!("ls: cannot access '{path}': {}", errtext(&e)))?;
        return Ok(json!([ls_entry(sb, path, &remote, local.entry(), &meta)]));
    }
    sb.check_enter(&remote)
        .map_err(|e| format!("ls: cannot open directory '{path}': {}", errtext(&e)))?;
    let mut out = Vec::new();
    let top = PinnedDir::at(local.obj())
        .map_err(|e| format!("ls: cannot open directory '{path}': {}", errtext(&e)))?;
    let mut dirs = vec![(String::new(), remote.clone(), top, Vec::new())];
    // A loop of links ls -RL refuses to list, or a subdirectory the user may not read: ls
    // goes on, and fails.
    let mut failed = None;
    // ls -R lists a directory, then each of its subdirectories in order (depth first). Each
    // subdirectory is pinned without following a symlink (one swapped in meanwhile is
    // skipped), except a link -L follows, resolved and pinned beneath the root; each carries
    // the (device, inode) of the directories above it, to tell a loop.
    while let Some((prefix, dir_remote, dir, mut ancestors)) = dirs.pop() {
        if let Ok(m) = fs::metadata(dir.path()) {
            let id = (m.dev(), m.ino());
            if ancestors.contains(&id) {
                let shown = format!(
                    "{}/{}",
                    path.trim_end_matches('/'),
                    prefix.trim_end_matches('/')
                );
                failed.get_or_insert(format!("ls: {shown}: not listing already-listed directory"));
                continue;
            }
            ancestors.push(id);
        }
        if !prefix.is_empty() && sb.check_enter(&dir_remote).is_err() {
            let shown = format!(
                "{}/{}",
                path.trim_end_matches('/'),
                prefix.trim_end_matches('/')
            );
            failed.get_or_insert(format!(
                "ls: cannot open directory '{shown}': Permission denied"
            ));
            continue;
        }
        let names = sorted_children(dir.path(), hidden)
            .map_err(|e| format!("ls: cannot open directory '{path}': {}", errtext(&e)))?;
        let mut subdirs = Vec::new();
        for n in names {
            let child = dir.path().join(&n);
            let child_remote = format!("{}/{n}", dir_remote.trim_end_matches('/'));
            // -L describes what a link points to, resolved beneath the root as every path is;
            // a dangling link is shown as itself.
            let followed = if follow {
                sb.resolve(&child_remote, true)
                    .ok()
                    .filter(|(_, l)| l.pinned())
                    .and_then(|(r, l)| l.metadata().ok().map(|m| (m, Some((r, l)))))
            } else {
                None
            };
            let Some((m, via)) =
                followed.or_else(|| fs::symlink_metadata(&child).ok().map(|m| (m, None)))
            else {
                continue;
            };
            let shown = format!("{prefix}{n}");
            out.push(ls_entry(sb, &shown, &child_remote, &child, &m));
            if recursive && m.is_dir() {
                let pinned = match &via {
                    Some((_, l)) => PinnedDir::at(l.obj()),
                    None => PinnedDir::open(&child),
                };
                if let Ok(pinned) = pinned {
                    let sub_remote = via.map_or(child_remote, |(r, _)| r);
                    subdirs.push((format!("{shown}/"), sub_remote, pinned, ancestors.clone()));
                }
            }
        }
        dirs.extend(subdirs.into_iter().rev());
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(Value::Array(out)),
    }
}

/// `mkdir [-p]`.
pub(crate) fn mkdir(sb: &Sandbox, path: &str, parents: bool) -> Result<(), String> {
    let fail = |e: io::Error| format!("mkdir: cannot create directory '{path}': {}", errtext(&e));
    if parents {
        // mkdir -p: the directories on the way may be missing too.
        if let Ok((_, local)) = sb.resolve(path, true) {
            if local.pinned() && local.metadata().is_ok_and(|m| m.is_dir()) {
                return Ok(());
            }
        }
        return sb
            .create_dir_all(path, &|r| sb.check_write(r))
            .map(drop)
            .map_err(fail);
    }
    let (remote, local) = sb.resolve(path, false).map_err(fail)?;
    if local.symlink_metadata().is_ok() {
        return Err(fail(io::Error::from_raw_os_error(libc::EEXIST)));
    }
    sb.check_write(&remote).map_err(fail)?;
    if let Some(e) = local.unreachable() {
        return Err(fail(e));
    }
    fs::create_dir(local.entry()).map_err(fail)
}

/// Source and destination of mv and cp, resolved; (remote, local) each.
type Ends = ((String, Local), (String, Local));

/// Resolves the source of `cmd` (which must exist, else `cannot stat`) and its destination; a
/// destination that is a directory receives the source's name.
fn ends(
    sb: &Sandbox,
    cmd: &str,
    (src, follow_src): (&str, bool),
    dst: &str,
    dst_fail: &dyn Fn(io::Error) -> String,
) -> Result<Ends, String> {
    let not_found = |e: io::Error| format!("{cmd}: cannot stat '{src}': {}", errtext(&e));
    let (src_remote, src_local) = sb.resolve(src, follow_src).map_err(not_found)?;
    src_local.symlink_metadata().map_err(not_found)?;
    let (mut dst_remote, mut dst_local) = sb.resolve(dst, true).map_err(dst_fail)?;
    if dst_local.pinned()
        && dst_local.metadata().is_ok_and(|m| m.is_dir())
        && !src_local.name().is_empty()
    {
        let inside = format!("{}/{}", dst_remote.trim_end_matches('/'), src_local.name());
        (dst_remote, dst_local) = sb.resolve(&inside, false).map_err(dst_fail)?;
    }
    Ok(((src_remote, src_local), (dst_remote, dst_local)))
}

/// `mv --force`.
pub(crate) fn rename(sb: &Sandbox, src: &str, dst: &str) -> Result<(), String> {
    let denied = |e: io::Error| format!("mv: cannot move '{src}' to '{dst}': {}", errtext(&e));
    let ((src_remote, src_local), (dst_remote, dst_local)) =
        ends(sb, "mv", (src, false), dst, &denied)?;
    sb.check_write(&src_remote).map_err(denied)?;
    sb.check_write(&dst_remote).map_err(denied)?;
    fs::rename(src_local.entry(), dst_local.entry()).map_err(denied)
}

/// `cp --force -dR --preserve=all`.
pub(crate) fn copy(sb: &Sandbox, src: &str, dst: &str) -> Result<(), String> {
    let fail = |e: io::Error| format!("cp: cannot create regular file '{dst}': {}", errtext(&e));
    let ((src_remote, src_local), (dst_remote, dst_local)) =
        ends(sb, "cp", (src, true), dst, &fail)?;
    sb.check_read(&src_remote)
        .map_err(|e| format!("cp: cannot open '{src}' for reading: {}", errtext(&e)))?;
    sb.check_write(&dst_remote).map_err(fail)?;
    let inside = dst_remote == src_remote || dst_remote.starts_with(&format!("{src_remote}/"));
    if inside && src_local.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(format!(
            "cp: cannot copy a directory, '{src}', into itself, '{dst}'"
        ));
    }
    copy_tree(src_local.entry(), dst_local.entry()).map_err(fail)
}

/// Applies a chmod mode (octal or symbolic `u+x,go-w`) to `old`; None if invalid.
fn parse_mode(mode: &str, old: u32, is_dir: bool) -> Option<u32> {
    if !mode.is_empty() && mode.chars().all(|c| c.is_ascii_digit()) {
        if mode.len() > 4 || mode.chars().any(|c| c > '7') {
            return None;
        }
        return u32::from_str_radix(mode, 8).ok();
    }
    let mut m = old & 0o7777;
    for clause in mode.split(',') {
        let who_end = clause
            .find(|c: char| !"ugoa".contains(c))
            .unwrap_or(clause.len());
        let (who, rest) = clause.split_at(who_end);
        let mut mask = 0u32;
        for c in who.chars() {
            mask |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                _ => 0o7777,
            };
        }
        if who.is_empty() {
            mask = 0o7777;
        }
        let mut chars = rest.chars().peekable();
        chars.peek()?;
        while let Some(op) = chars.next() {
            if !"+-=".contains(op) {
                return None;
            }
            let mut bits = 0u32;
            while let Some(&c) = chars.peek() {
                if "+-=".contains(c) {
                    break;
                }
                chars.next();
                bits |= match c {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' if is_dir || old & 0o111 != 0 => 0o111,
                    'X' => 0,
                    's' => 0o6000,
                    't' => 0o1000,
                    _ => return None,
                };
            }
            let bits = bits & mask;
            match op {
                '+' => m |= bits,
                '-' => m &= !bits,
                _ => m = (m & !(mask & 0o777)) | bits,
            }
        }
    }
    Some(m)
}

/// `chmod -v`.
pub(crate) fn chmod(sb: &Sandbox, path: &str, mode: &str) -> Result<String, String> {
    let (remote, local) = resolve_read(sb, path, true)
        .map_err(|e| format!("chmod: cannot access '{path}': {}", errtext(&e)))?;
    let meta = local
        .metadata()
        .map_err(|e| format!("chmod: cannot access '{path}': {}", errtext(&e)))?;
    let old = meta.mode() & 0o7777;
    let new = parse_mode(mode, old, meta.is_dir()).ok_or_else(|| {
        format!("chmod: invalid mode: '{mode}'\nTry 'chmod --help' for more information.")
    })?;
    sb.check_write(&remote)
        .map_err(|_| format!("chmod: changing permissions of '{path}': Operation not permitted"))?;
    fs::set_permissions(local.obj(), fs::Permissions::from_mode(new))
        .map_err(|e| format!("chmod: changing permissions of '{path}': {}", errtext(&e)))?;
    Ok(if new == old {
        format!(
            "mode of '{path}' retained as {old:04o} ({})",
            perm_string(old)
        )
    } else {
        format!(
            "mode of '{path}' changed from {old:04o} ({}) to {new:04o} ({})",
            perm_string(old),
            perm_string(new)
        )
    })
}

const KNOWN_USERS: [&str; 2] = [USER, "root"];

/// `chown -v owner:group` as FirecREST calls it (`'owner':'group'`, either may be empty). The
/// emulated system knows the users and groups `testuser` and `root`; only `testuser` is allowed.
pub(crate) fn chown(sb: &Sandbox, path: &str, owner: &str, group: &str) -> Result<String, String> {
    let spec = format!("{owner}:{group}");
    if !owner.is_empty() && !KNOWN_USERS.contains(&owner) {
        return Err(if group.is_empty() {
            format!("chown: invalid spec: '{spec}'")
        } else {
            format!("chown: invalid user: '{spec}'")
        });
    }
    if !group.is_empty() && !KNOWN_USERS.contains(&group) {
        return Err(format!("chown: invalid group: '{spec}'"));
    }
    let (remote, local) = resolve_read(sb, path, true)
        .map_err(|e| format!("chown: cannot access '{path}': {}", errtext(&e)))?;
    local
        .metadata()
        .map_err(|e| format!("chown: cannot access '{path}': {}", errtext(&e)))?;
    if owner == "root" || group == "root" || sb.check_write(&remote).is_err() {
        let what = if owner.is_empty() {
            "group"
        } else {
            "ownership"
        };
        return Err(format!(
            "chown: changing {what} of '{path}': Operation not permitted"
        ));
    }
    Ok(if owner.is_empty() {
        format!("group of '{path}' retained as {USER}")
    } else {
        format!("ownership of '{path}' retained as {USER}:{USER}")
    })
}

/// `ln -s target link`.
pub(crate) fn symlink(sb: &Sandbox, target: &str, link: &str) -> Result<(), String> {
    let fail = |e: io::Error| {
        format!(
            "ln: failed to create symbolic link '{link}': {}",
            errtext(&e)
        )
    };
    let (remote, local) = sb.resolve(link, false).map_err(fail)?;
    if local.symlink_metadata().is_ok() {
        return Err(fail(io::Error::from_raw_os_error(libc::EEXIST)));
    }
    sb.check_write(&remote).map_err(fail)?;
    if let Some(e) = local.unreachable() {
        return Err(fail(e));
    }
    std::os::unix::fs::symlink(sb.link_target_local(target), local.entry()).map_err(fail)
}

/// `file -b` (a few common answers; `file` prints errors on stdout and succeeds).
pub(crate) fn file_type(sb: &Sandbox, path: &str) -> Result<String, String> {
    let (_, local) = match resolve_read(sb, path, false) {
        Ok(r) => r,
        Err(e) => return Ok(format!("cannot open `{path}' ({})", errtext(&e))),
    };
    let meta = match local.symlink_metadata() {
        Ok(m) => m,
        Err(e) => return Ok(format!("cannot open `{path}' ({})", errtext(&e))),
    };
    if meta.file_type().is_symlink() {
        let t = fs::read_link(local.entry())
            .map(|t| sb.link_target_remote(&t))
            .unwrap_or_default();
        return Ok(format!("symbolic link to {t}"));
    }
    if meta.is_dir() {
        return Ok("directory".to_string());
    }
    if meta.len() == 0 {
        return Ok("empty".to_string());
    }
    let mut head = Vec::new();
    File::open(local.obj())
        .and_then(|f| f.take(sniff::HEAD).read_to_end(&mut head))
        .map_err(|e| format!("cannot open `{path}' ({})", errtext(&e)))?;
    Ok(sniff::describe(&head))
}

/// `stat [-L]` as FirecREST formats it: integers.
pub(crate) fn stat(sb: &Sandbox, path: &str, dereference: bool) -> Result<Value, String> {
    let fail = |e: io::Error| format!("stat: cannot statx '{path}': {}", errtext(&e));
    let (remote, local) = resolve_read(sb, path, dereference).map_err(fail)?;
    let meta = local.symlink_metadata().map_err(fail)?;
    let (_, id) = owner_of(sb, &remote);
    Ok(json!({
        "mode": meta.mode(),
        "ino": meta.ino(),
        "dev": meta.dev(),
        "nlink": meta.nlink(),
        "uid": id,
        "gid": id,
        "size": sb.size_of(&local, &meta),
        "atime": meta.atime(),
        "mtime": meta.mtime(),
        "ctime": meta.ctime(),
    }))
}

/// Opens a regular file for reading the way `cmd` reports failures (`head`, `tail`,
/// `sha256sum`, `base64`).
fn open_for(sb: &Sandbox, cmd: &str, path: &str) -> Result<(File, u64), String> {
    let msg = |e: &io::Error| match cmd {
        "sha256sum" => format!("{cmd}: {path}: {}", errtext(e)),
        "base64" => format!("{cmd}: {path}: {}", errtext(e)),
        _ => format!("{cmd}: cannot open '{path}' for reading: {}", errtext(e)),
    };
    let (_, local) = resolve_read(sb, path, true).map_err(|e| msg(&e))?;
    let meta = local.metadata().map_err(|e| msg(&e))?;
    if meta.is_dir() {
        return Err(match cmd {
            "sha256sum" => format!("sha256sum: {path}: Is a directory"),
            "base64" => "base64: read error: Is a directory".to_string(),
            _ => format!("{cmd}: error reading '{path}': Is a directory"),
        });
    }
    // As the published user: the emulator may run as root, which reads a mode-000 file.
    must(&meta, R).map_err(|e| msg(&e))?;
    let f = File::open(local.obj()).map_err(|e| msg(&e))?;
    Ok((f, meta.len()))
}

/// `sha256sum` (hex digest only).
pub(crate) fn checksum(sb: &Sandbox, path: &str) -> Result<String, String> {
    let (mut f, _) = open_for(sb, "sha256sum", path)?;
    sha256_hex(&mut f).map_err(|e| format!("sha256sum: {path}: {}", errtext(&e)))
}

/// What head and tail take: `bytes` or `lines` (default 10 lines), `skip` (head: all but the
/// last N; tail: from the Nth on), and the most bytes to return.
pub(crate) struct Portion<'a> {
    pub bytes: Option<&'a str>,
    pub lines: Option<&'a str>,
    pub skip: bool,
    pub limit: u64,
}

/// Opens the file and reads the count like coreutils does (`invalid number of …`).
fn open_portion(
    sb: &Sandbox,
    cmd: &str,
    path: &str,
    p: &Portion,
) -> Result<(File, u64, Count), String> {
    let (f, len) = open_for(sb, cmd, path)?;
    let parse = |what: &str, v: &str| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| format!("{cmd}: invalid number of {what}: '{v}'"))
    };
    let count = match p.bytes {
        Some(b) => Count::Bytes(parse("bytes", b)?),
        None => Count::Lines(parse("lines", p.lines.unwrap_or("10"))?),
    };
    Ok((f, len, count))
}

/// `head` (`-c N`, `-n N`, or with `skip` all but the last N) or `tail` (`-c N`, `-n N`, or
/// with `skip` from the Nth on), at most `limit` bytes of it.
fn portion_of(sb: &Sandbox, cmd: &str, path: &str, p: &Portion) -> Result<Vec<u8>, String> {
    let (mut f, len, count) = open_portion(sb, cmd, path, p)?;
    let rd = |e: io::Error| format!("{cmd}: error reading '{path}': {}", errtext(&e));
    let r = portion::range(&mut f, len, count, cmd == "tail", p.skip, p.limit).map_err(rd)?;
    portion::read(&mut f, r, p.limit).map_err(rd)
}

pub(crate) fn head(sb: &Sandbox, path: &str, p: &Portion) -> Result<Vec<u8>, String> {
    portion_of(sb, "head", path, p)
}

pub(crate) fn tail(sb: &Sandbox, path: &str, p: &Portion) -> Result<Vec<u8>, String> {
    portion_of(sb, "tail", path, p)
}

/// `stat -L` for the size before a download or view (FirecREST's "fsize" step).
pub(crate) fn fsize(sb: &Sandbox, path: &str) -> Result<u64, String> {
    let fail = |e: io::Error| format!("stat: cannot statx '{path}': {}", errtext(&e));
    let (_, local) = resolve_read(sb, path, true).map_err(fail)?;
    local.metadata().map(|m| m.len()).map_err(fail)
}

/// The open file behind a download (the "base64" step).
pub(crate) fn open_download(sb: &Sandbox, path: &str) -> Result<(File, u64), String> {
    open_for(sb, "base64", path)
}

/// `rm -r` (never follows the last symlink).
pub(crate) fn rm(sb: &Sandbox, path: &str) -> Result<(), String> {
    let fail = |e: io::Error| format!("rm: cannot remove '{path}': {}", errtext(&e));
    let (remote, local) = sb.resolve(path, false).map_err(fail)?;
    let meta = local.symlink_metadata().map_err(fail)?;
    sb.check_write(&remote).map_err(fail)?;
    // Both remove the entry in its pinned parent; remove_dir_all descends with openat and
    // O_NOFOLLOW, so a symlink swapped in below is unlinked, not followed.
    if meta.is_dir() {
        fs::remove_dir_all(local.entry()).map_err(fail)
    } else {
        fs::remove_file(local.entry()).map_err(fail)
    }
}

/// Where `cat > 'dir/name'` writes, checked like bash would: the directory must exist.
/// The result is written through an `AtomicFile` at its entry: a temporary created
/// exclusively in the pinned directory, renamed over the name.
pub(crate) fn upload_target(sb: &Sandbox, dir: &str, name: &str) -> Result<Local, String> {
    let shown = format!("{}/{name}", dir.trim_end_matches('/'));
    let fail = |e: io::Error| format!("bash: line 1: {shown}: {}", errtext(&e));
    let (remote, local) = sb.resolve(&shown, true).map_err(fail)?;
    if let Some(e) = local.unreachable() {
        return Err(fail(e));
    }
    if local.pinned() && local.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(fail(io::Error::from_raw_os_error(libc::EISDIR)));
    }
    sb.check_write(&remote).map_err(fail)?;
    // `cat > dir/name` as the published user: the directory's w and x bits.
    let (_, dir) = sb.resolve(dir, true).map_err(fail)?;
    must(&dir.metadata().map_err(fail)?, W + X).map_err(fail)?;
    Ok(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse_mode("700", 0o644, false), Some(0o700));
        assert_eq!(parse_mode("999", 0o644, false), None);
        assert_eq!(parse_mode("u+x", 0o644, false), Some(0o744));
        assert_eq!(parse_mode("go-r", 0o644, false), Some(0o600));
        assert_eq!(parse_mode("a=r", 0o644, false), Some(0o444));
        assert_eq!(parse_mode("q+x", 0o644, false), None);
    }
}
