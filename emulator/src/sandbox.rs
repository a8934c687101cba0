//! Remote paths → local files under the root, with no way out.
//!
//! A remote absolute path `/home/testuser/x` is `<root>/home/testuser/x`. Resolution walks the
//! path one component at a time from a descriptor of the root: each component is opened with
//! `openat(parent, name, O_PATH | O_NOFOLLOW)` relative to the directory descriptor before it,
//! so the kernel never follows a symlink or a `..` on the emulator's behalf. Symlinks are read
//! and interpreted by the sandbox in the *remote* namespace (an absolute target is relative to
//! the root, `..` pops the descriptor stack and stops at the root), so neither `..` nor a
//! symlink can reach a file outside the root, even when another request swaps a directory for
//! a symlink while the walk is under way.
//!
//! The result, a [`Local`], keeps the descriptors open and names the file through them
//! (`/proc/<pid>/fd/<n>`): its [`Local::entry`] is the name inside the pinned parent directory
//! (for lstat, readlink, rename, unlink, and for creating without following), its
//! [`Local::obj`] the pinned file or directory itself (for open, stat, chmod, listing). A
//! rename of any directory on the way after resolution changes nothing: the descriptors stay
//! on the directories that were checked. Paths of a `Local` are valid only while it lives.

use rustix::fs::{Mode, OFlags, CWD};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MAX_LINK_HOPS: usize = 40;

#[derive(Clone)]
pub(crate) struct Sandbox {
    root: PathBuf,
    home: String,
    /// Remote prefixes the user may create or modify files in.
    writable: Vec<String>,
    /// Remote prefixes owned by another user: every access is refused.
    forbidden: Vec<String>,
}

/// A local file reached through the sandbox, held by open descriptors (see the module's text).
#[derive(Clone, Debug)]
pub(crate) struct Local {
    remote: String,
    entry: PathBuf,
    obj: PathBuf,
    _pins: Arc<Vec<Arc<OwnedFd>>>,
    /// Whether `obj` is the object's own descriptor.
    pinned: bool,
    /// Below a missing directory or a file: the error every call on it fails with.
    below: Option<i32>,
}

impl Local {
    /// The canonical remote path (symlinks on the way resolved inside the sandbox).
    pub fn remote(&self) -> &str {
        &self.remote
    }

    /// The last component inside its pinned parent directory: safe for the calls that do not
    /// follow a symlink in the last component (lstat, readlink, rename, unlink, rmdir, mkdir,
    /// symlink, `O_CREAT|O_EXCL`). The root itself is its own entry.
    pub fn entry(&self) -> &Path {
        &self.entry
    }

    /// The file or directory itself, pinned when it existed at resolution (open, stat, chmod,
    /// read_dir, a child created inside it). When it did not exist, or was a symlink kept
    /// unfollowed, a path where nothing exists: a call that follows the last component must
    /// not follow whatever appeared at the entry since (a symlink out of the root); create at
    /// the entry instead.
    pub fn obj(&self) -> &Path {
        &self.obj
    }

    /// Whether the object existed (and was not a symlink kept unfollowed) when resolved.
    pub fn pinned(&self) -> bool {
        self.pinned
    }

    /// ENOENT, ENOTDIR or EACCES when a directory on the way is missing, is not one, or may
    /// not be searched by the user.
    pub fn unreachable(&self) -> Option<io::Error> {
        self.below.map(io::Error::from_raw_os_error)
    }

    /// stat of the object (following a final symlink only if the resolution did).
    pub fn metadata(&self) -> io::Result<std::fs::Metadata> {
        match self.unreachable() {
            Some(e) => Err(e),
            None => std::fs::metadata(&self.obj),
        }
    }

    /// lstat of the entry.
    pub fn symlink_metadata(&self) -> io::Result<std::fs::Metadata> {
        match self.unreachable() {
            Some(e) => Err(e),
            None => std::fs::symlink_metadata(&self.entry),
        }
    }

    /// The last component of the remote path (empty for the root).
    pub fn name(&self) -> &str {
        self.remote.rsplit('/').next().unwrap_or("")
    }
}

/// A path below a missing directory (ENOENT), a file (ENOTDIR) or a directory the user may not
/// search (EACCES): a `Local` whose `metadata`/`symlink_metadata` fail with that error, as on
/// the real path, and whose paths lead nowhere anyone can create (nothing can be made in
/// `/proc`, nor below `/dev/null`), so a call on them fails too (ENOENT where EACCES is due).
fn dangling(
    stack: &[(OsString, Arc<OwnedFd>)],
    comp: &OsStr,
    pending: &[OsString],
    errno: i32,
) -> Local {
    let mut remote = String::new();
    let names = stack.iter().map(|(n, _)| n.as_os_str());
    for n in names
        .chain([comp])
        .chain(pending.iter().rev().map(|c| c.as_os_str()))
    {
        remote.push('/');
        remote.push_str(&n.to_string_lossy());
    }
    let name = pending.first().map_or(comp, |c| c.as_os_str());
    let path = if errno == libc::ENOTDIR {
        Path::new("/dev/null/missing").join(name)
    } else {
        nowhere(name)
    };
    Local {
        remote,
        entry: path.clone(),
        obj: path,
        _pins: Arc::new(Vec::new()),
        pinned: false,
        below: Some(errno),
    }
}

/// A path named `name` where nothing is and nothing can be created (ENOENT for every call).
fn nowhere(name: &OsStr) -> PathBuf {
    Path::new("/proc/.firecrest-emulator-missing/missing").join(name)
}

/// How a descriptor is named for path-based calls, in this process and in its children.
pub(crate) fn fd_path(fd: &OwnedFd) -> PathBuf {
    PathBuf::from(format!(
        "/proc/{}/fd/{}",
        std::process::id(),
        fd.as_raw_fd()
    ))
}

/// Opens `path` (relative to `dir` or absolute) as `O_PATH` without following a symlink in
/// its last component; a directory only when `dir_only`.
pub(crate) fn open_nofollow(path: &Path, dir_only: bool) -> io::Result<OwnedFd> {
    let mut flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    if dir_only {
        flags |= OFlags::DIRECTORY;
    }
    Ok(rustix::fs::openat(CWD, path, flags, Mode::empty())?)
}

/// A directory pinned by a descriptor, refusing a symlink in the last component (ELOOP or
/// ENOTDIR): for walking trees whose directories another request may swap for symlinks.
pub(crate) struct PinnedDir {
    fd: OwnedFd,
    path: PathBuf,
}

impl PinnedDir {
    pub fn open(path: &Path) -> io::Result<PinnedDir> {
        let fd = open_nofollow(path, true)?;
        Ok(PinnedDir {
            path: fd_path(&fd),
            fd,
        })
    }

    /// The directory a pinned path names (a [`Local::obj`] or another `PinnedDir`'s path):
    /// the descriptor's magic link is followed to the directory it holds, nothing else.
    pub fn at(pinned: &Path) -> io::Result<PinnedDir> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(CWD, pinned, flags, Mode::empty())?;
        Ok(PinnedDir {
            path: fd_path(&fd),
            fd,
        })
    }

    /// `/proc/<pid>/fd/<n>`, valid while this lives.
    pub fn path(&self) -> &Path {
        let _ = &self.fd;
        &self.path
    }
}

/// What [`Sandbox::create_new`] creates.
pub(crate) enum NewEntry<'a> {
    /// An empty file, returned open for writing (for writers of archive members).
    #[cfg_attr(not(test), allow(dead_code))]
    File,
    Dir,
    /// A symlink to this remote path (absolute, or relative to the link's directory).
    Symlink(&'a str),
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix || path.starts_with(&format!("{}/", prefix.trim_end_matches('/')))
}

impl Sandbox {
    /// `root` must exist; it is canonicalised so symlinks above it do not matter.
    pub fn new(root: &Path, home: &str) -> io::Result<Sandbox> {
        Ok(Sandbox {
            root: root.canonicalize()?,
            home: home.to_string(),
            writable: vec![home.to_string(), "/tmp".to_string()],
            forbidden: vec!["/root".to_string()],
        })
    }

    #[cfg(test)]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Lexical normalisation in the remote namespace: relative paths start at home, `.` and
    /// `..` are folded, and `..` never goes above `/`.
    pub fn normalize(&self, remote: &str) -> String {
        let full = if remote.starts_with('/') {
            remote.to_string()
        } else {
            format!("{}/{}", self.home, remote)
        };
        let mut parts: Vec<&str> = Vec::new();
        for c in full.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
        format!("/{}", parts.join("/"))
    }

    /// The local path for a remote path without resolving symlinks (for fixtures and display).
    pub fn local_lexical(&self, remote: &str) -> PathBuf {
        let norm = self.normalize(remote);
        self.root.join(norm.trim_start_matches('/'))
    }

    /// Resolves `remote`, following symlinks inside the sandbox. `follow_last` decides whether
    /// a symlink in the last component is followed (stat) or kept (lstat, rm, rename).
    /// Returns (remote canonical path, local file). A missing last component resolves (for
    /// creating it); below a missing or non-directory component, every call on the result
    /// fails with ENOENT or ENOTDIR as on a real path.
    pub fn resolve(&self, remote: &str, follow_last: bool) -> io::Result<(String, Local)> {
        let local = self.resolve_local(remote, follow_last)?;
        Ok((local.remote.clone(), local))
    }

    fn resolve_local(&self, remote: &str, follow_last: bool) -> io::Result<Local> {
        let norm = self.normalize(remote);
        let root = Arc::new(open_nofollow(&self.root, true)?);
        let mut pending: Vec<OsString> = norm
            .split('/')
            .filter(|c| !c.is_empty())
            .map(OsString::from)
            .rev()
            .collect();
        // The directories walked through, each held open: `..` pops, never asks the kernel.
        let mut stack: Vec<(OsString, Arc<OwnedFd>)> = Vec::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            if comp == "." || comp.is_empty() {
                continue;
            }
            if comp == ".." {
                stack.pop();
                continue;
            }
            let is_last = pending.is_empty();
            let parent = stack.last().map_or(&root, |(_, fd)| fd).clone();
            let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = match rustix::fs::openat(&*parent, comp.as_os_str(), flags, Mode::empty()) {
                Ok(fd) => fd,
                Err(e) if e == rustix::io::Errno::NOENT && is_last => {
                    return Ok(self.leaf(&root, &stack, parent, &comp, None));
                }
                Err(e)
                    if e == rustix::io::Errno::NOENT
                        || e == rustix::io::Errno::NOTDIR
                        || e == rustix::io::Errno::ACCESS =>
                {
                    return Ok(dangling(&stack, &comp, &pending, e.raw_os_error()));
                }
                Err(e) => return Err(e.into()),
            };
            let st = rustix::fs::fstat(&fd)?;
            let kind = rustix::fs::FileType::from_raw_mode(st.st_mode);
            match kind {
                rustix::fs::FileType::Symlink => {
                    if is_last && !follow_last {
                        return Ok(self.leaf(&root, &stack, parent, &comp, None));
                    }
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Err(io::Error::from_raw_os_error(libc::ELOOP));
                    }
                    let target = rustix::fs::readlinkat(&fd, "", Vec::new())?;
                    let target =
                        self.link_target_remote(Path::new(OsStr::from_bytes(target.as_bytes())));
                    if target.starts_with('/') {
                        stack.clear();
                    }
                    for c in target.split('/').rev().filter(|c| !c.is_empty()) {
                        pending.push(OsString::from(c));
                    }
                }
                rustix::fs::FileType::Directory => {
                    // Looking up a name inside takes the search bit, for the published user as
                    // for the kernel (the emulator itself may be root).
                    let searchable =
                        crate::perm::may_mode(st.st_mode, st.st_uid, st.st_gid, crate::perm::X);
                    if !pending.is_empty() && !searchable {
                        return Ok(dangling(&stack, &comp, &pending, libc::EACCES));
                    }
                    stack.push((comp, Arc::new(fd)));
                }
                _ if is_last => {
                    return Ok(self.leaf(&root, &stack, parent, &comp, Some(Arc::new(fd))));
                }
                _ => return Ok(dangling(&stack, &comp, &pending, libc::ENOTDIR)),
            }
        }
        // Ended on a directory: the top of the stack (or the root).
        let Some((name, dir)) = stack.pop() else {
            let path = fd_path(&root);
            return Ok(Local {
                remote: "/".into(),
                entry: path.clone(),
                obj: path,
                _pins: Arc::new(vec![root]),
                pinned: true,
                below: None,
            });
        };
        let parent = stack.last().map_or(&root, |(_, fd)| fd).clone();
        Ok(self.leaf(&root, &stack, parent, &name, Some(dir)))
    }

    /// The `Local` of `name` in `parent` (the top of `stack`, or the root), with its own
    /// descriptor when it exists and was not a symlink kept unfollowed.
    fn leaf(
        &self,
        root: &Arc<OwnedFd>,
        stack: &[(OsString, Arc<OwnedFd>)],
        parent: Arc<OwnedFd>,
        name: &OsStr,
        obj: Option<Arc<OwnedFd>>,
    ) -> Local {
        let mut remote = String::new();
        for (n, _) in stack {
            remote.push('/');
            remote.push_str(&n.to_string_lossy());
        }
        remote.push('/');
        remote.push_str(&name.to_string_lossy());
        let entry = fd_path(&parent).join(name);
        let mut pins = vec![root.clone(), parent];
        let pinned = obj.is_some();
        let obj = match obj {
            Some(fd) => {
                let p = fd_path(&fd);
                pins.push(fd);
                p
            }
            None => nowhere(name),
        };
        Local {
            remote,
            entry,
            obj,
            _pins: Arc::new(pins),
            pinned,
            below: None,
        }
    }

    /// `mkdir -p` beneath the root: each missing directory is created in its pinned parent,
    /// never through a symlink the OS would follow, once `check` accepts its canonical remote
    /// path. Returns the directory, resolved.
    pub fn create_dir_all(
        &self,
        remote: &str,
        check: &dyn Fn(&str) -> io::Result<()>,
    ) -> io::Result<Local> {
        let norm = self.normalize(remote);
        let mut prefix = String::new();
        for c in norm.split('/').filter(|c| !c.is_empty()) {
            prefix.push('/');
            prefix.push_str(c);
            let (_, l) = self.resolve(&prefix, true)?;
            if !l.pinned() {
                check(l.remote())?;
                match std::fs::create_dir(l.entry()) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                    _ => {}
                }
            }
        }
        let (_, l) = self.resolve(&norm, true)?;
        if !std::fs::metadata(l.obj())?.is_dir() {
            return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
        }
        Ok(l)
    }

    /// Creates a new file, directory or symlink at `remote` beneath the root without following
    /// a symlink anywhere (an existing entry is EEXIST): for writes such as an archive's members.
    pub fn create_new(
        &self,
        remote: &str,
        kind: NewEntry,
    ) -> io::Result<(Local, Option<std::fs::File>)> {
        let (_, l) = self.resolve(remote, false)?;
        if let Some(e) = l.unreachable() {
            return Err(e);
        }
        let file = match kind {
            NewEntry::File => Some(
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(l.entry())?,
            ),
            NewEntry::Dir => {
                std::fs::create_dir(l.entry())?;
                None
            }
            NewEntry::Symlink(target) => {
                std::os::unix::fs::symlink(self.link_target_local(target), l.entry())?;
                None
            }
        };
        Ok((l, file))
    }

    /// A symlink's stored target as a remote path: targets the emulator wrote point into the
    /// root (`<root>/home/...`) and are shown without it; other absolute targets are remote paths.
    pub fn link_target_remote(&self, target: &Path) -> String {
        if let Ok(rest) = target.strip_prefix(&self.root) {
            return format!("/{}", rest.to_string_lossy());
        }
        target.to_string_lossy().into_owned()
    }

    /// The size `stat` reports for `local` (its lstat `meta`): a symlink's is the length of its
    /// target as the user gave it, not of the root-prefixed one the emulator may store.
    pub fn size_of(&self, local: &Local, meta: &std::fs::Metadata) -> u64 {
        if !meta.file_type().is_symlink() {
            return meta.len();
        }
        std::fs::read_link(local.entry())
            .map(|t| self.link_target_remote(&t).len() as u64)
            .unwrap_or(meta.len())
    }

    /// What to store in a new symlink pointing to the remote `target`: an absolute target is
    /// stored as its local path so the OS (and `curl`, `cat`…) also resolve it inside the root.
    pub fn link_target_local(&self, target: &str) -> PathBuf {
        if target.starts_with('/') {
            self.local_lexical(target)
        } else {
            PathBuf::from(target)
        }
    }

    /// EACCES if the user may not read this remote (resolved) path.
    pub fn check_read(&self, remote: &str) -> io::Result<()> {
        if self
            .forbidden
            .iter()
            .any(|f| under(remote, f) && remote != f)
        {
            return Err(io::Error::from_raw_os_error(libc::EACCES));
        }
        Ok(())
    }

    /// EACCES when listing/entering a forbidden directory itself.
    pub fn check_enter(&self, remote: &str) -> io::Result<()> {
        if self.forbidden.iter().any(|f| under(remote, f)) {
            return Err(io::Error::from_raw_os_error(libc::EACCES));
        }
        Ok(())
    }

    /// EACCES if the user may not create, change or delete this remote (resolved) path.
    pub fn check_write(&self, remote: &str) -> io::Result<()> {
        self.check_enter(remote)?;
        if !self
            .writable
            .iter()
            .any(|w| under(remote, w) && remote != w)
        {
            return Err(io::Error::from_raw_os_error(libc::EACCES));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sandbox in a temporary directory, removed when the `TempDir` is dropped.
    fn sandbox() -> (tempfile::TempDir, Sandbox) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home/testuser/d")).unwrap();
        let sb = Sandbox::new(dir.path(), "/home/testuser").unwrap();
        (dir, sb)
    }

    #[test]
    fn dotdot_and_symlinks_stay_inside() {
        let (_dir, sb) = sandbox();
        let root = sb.root().to_path_buf();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        assert_eq!(sb.normalize("/../../etc/passwd"), "/etc/passwd");
        let (r, l) = sb.resolve("/home/testuser/../../../etc", true).unwrap();
        assert_eq!(r, "/etc");
        assert!(l.pinned());
        std::os::unix::fs::symlink("/etc", root.join("home/testuser/abs")).unwrap();
        std::os::unix::fs::symlink("../../../../..", root.join("home/testuser/up")).unwrap();
        let (r, l) = sb.resolve("/home/testuser/abs/passwd", true).unwrap();
        assert_eq!(r, "/etc/passwd");
        assert!(!l.pinned());
        std::fs::write(l.entry(), b"inside").unwrap();
        assert_eq!(std::fs::read(root.join("etc/passwd")).unwrap(), b"inside");
        let (r, _) = sb.resolve("/home/testuser/up/etc", true).unwrap();
        assert_eq!(r, "/etc");
        let (r, l) = sb.resolve("/home/testuser/abs", false).unwrap();
        assert_eq!(r, "/home/testuser/abs");
        assert!(std::fs::symlink_metadata(l.entry())
            .unwrap()
            .file_type()
            .is_symlink());
        std::os::unix::fs::symlink("loop", root.join("home/testuser/loop")).unwrap();
        assert!(sb.resolve("/home/testuser/loop", true).is_err());
        let (r, l) = sb.resolve("/home/testuser/missing/x", true).unwrap();
        assert_eq!(r, "/home/testuser/missing/x");
        let e = std::fs::write(l.entry(), b"x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
        assert_eq!(
            std::fs::create_dir(l.entry()).unwrap_err().raw_os_error(),
            Some(libc::ENOENT)
        );
        std::fs::write(root.join("home/testuser/file"), b"").unwrap();
        let (_, l) = sb.resolve("/home/testuser/file/x/y", true).unwrap();
        let e = std::fs::write(l.entry(), b"x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR));
        assert!(sb.check_write("/etc/x").is_err());
        assert!(sb.check_write("/home/testuser").is_err());
        assert!(sb.check_write("/home/testuser/x").is_ok());
        assert!(sb.check_enter("/root").is_err());
    }

    #[test]
    fn a_pinned_directory_stays_put_when_swapped_for_a_symlink() {
        let (dir, sb) = sandbox();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("f"), b"outside").unwrap();
        std::fs::write(dir.path().join("home/testuser/d/f"), b"inside").unwrap();
        let (_, l) = sb.resolve("/home/testuser/d/f", true).unwrap();
        let home = dir.path().join("home/testuser");
        std::fs::rename(home.join("d"), home.join("moved")).unwrap();
        std::os::unix::fs::symlink(outside.path(), home.join("d")).unwrap();
        assert_eq!(std::fs::read(l.obj()).unwrap(), b"inside");
        assert_eq!(std::fs::read(l.entry()).unwrap(), b"inside");
        // Resolved again, the absolute link is read in the remote namespace: not found.
        let (_, again) = sb.resolve("/home/testuser/d/f", true).unwrap();
        assert!(std::fs::read(again.obj()).is_err());
        sb.create_dir_all("/home/testuser/a/b/c", &|r| sb.check_write(r))
            .unwrap();
        assert!(sb.create_dir_all("/etc/x", &|r| sb.check_write(r)).is_err());
        assert!(home.join("a/b/c").is_dir());
        let (_, f) = sb.create_new("/home/testuser/a/n", NewEntry::File).unwrap();
        assert!(f.is_some());
        assert!(sb.create_new("/home/testuser/d/n", NewEntry::Dir).is_err());
        assert!(!outside.path().join("n").exists());
    }
}
