//! Remote paths → local files under the root, with no way out.
//!
//! A remote absolute path `/home/testuser/x` is `<root>/home/testuser/x`. Resolution walks the
//! path one component at a time and resolves every symlink itself, interpreting the link's target
//! in the *remote* namespace (an absolute target is relative to the root, `..` stops at the
//! root), so neither `..` nor a symlink can reach a file outside the root. The local path that
//! comes out contains no symlink except, when asked, the last component.

use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

const MAX_LINK_HOPS: usize = 40;

pub(crate) struct Sandbox {
    root: PathBuf,
    home: String,
    /// Remote prefixes the user may create or modify files in.
    writable: Vec<String>,
    /// Remote prefixes owned by another user: every access is refused.
    forbidden: Vec<String>,
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
    /// Returns (remote canonical path, local path).
    pub fn resolve(&self, remote: &str, follow_last: bool) -> io::Result<(String, PathBuf)> {
        let norm = self.normalize(remote);
        let mut pending: Vec<OsString> = norm
            .split('/')
            .filter(|c| !c.is_empty())
            .map(OsString::from)
            .rev()
            .collect();
        let mut done: Vec<OsString> = Vec::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            if comp == "." || comp.is_empty() {
                continue;
            }
            if comp == ".." {
                done.pop();
                continue;
            }
            done.push(comp);
            let is_last = pending.is_empty();
            if is_last && !follow_last {
                break;
            }
            let local = self.join(&done);
            let Ok(meta) = std::fs::symlink_metadata(&local) else {
                continue;
            };
            if !meta.file_type().is_symlink() {
                continue;
            }
            hops += 1;
            if hops > MAX_LINK_HOPS {
                return Err(io::Error::from_raw_os_error(libc::ELOOP));
            }
            let target = std::fs::read_link(&local)?;
            done.pop();
            let target = self.link_target_remote(&target);
            if target.starts_with('/') {
                done.clear();
            }
            for c in target.split('/').rev().filter(|c| !c.is_empty()) {
                pending.push(OsString::from(c));
            }
        }
        let remote = format!(
            "/{}",
            done.iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        );
        Ok((remote, self.join(&done)))
    }

    fn join(&self, comps: &[OsString]) -> PathBuf {
        let mut p = self.root.clone();
        for c in comps {
            p.push(c);
        }
        p
    }

    /// A symlink's stored target as a remote path: targets the emulator wrote point into the
    /// root (`<root>/home/...`) and are shown without it; other absolute targets are remote paths.
    pub fn link_target_remote(&self, target: &Path) -> String {
        if let Ok(rest) = target.strip_prefix(&self.root) {
            return format!("/{}", rest.to_string_lossy());
        }
        target.to_string_lossy().into_owned()
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

    /// Remote path of a local path under the root.
    pub fn remote_of(&self, local: &Path) -> String {
        match local.strip_prefix(&self.root) {
            Ok(rest) => {
                let mut s = String::new();
                for c in rest.components() {
                    if let Component::Normal(n) = c {
                        s.push('/');
                        s.push_str(&n.to_string_lossy());
                    }
                }
                if s.is_empty() {
                    "/".to_string()
                } else {
                    s
                }
            }
            Err(_) => "/".to_string(),
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
        assert_eq!(sb.normalize("/../../etc/passwd"), "/etc/passwd");
        let (_, l) = sb.resolve("/home/testuser/../../../etc", true).unwrap();
        assert_eq!(l, root.join("etc"));
        std::os::unix::fs::symlink("/etc", root.join("home/testuser/abs")).unwrap();
        std::os::unix::fs::symlink("../../../../..", root.join("home/testuser/up")).unwrap();
        let (r, l) = sb.resolve("/home/testuser/abs/passwd", true).unwrap();
        assert_eq!(
            (r.as_str(), l.clone()),
            ("/etc/passwd", root.join("etc/passwd"))
        );
        let (_, l) = sb.resolve("/home/testuser/up/etc", true).unwrap();
        assert_eq!(l, root.join("etc"));
        let (_, l) = sb.resolve("/home/testuser/abs", false).unwrap();
        assert_eq!(l, root.join("home/testuser/abs"));
        std::os::unix::fs::symlink("loop", root.join("home/testuser/loop")).unwrap();
        assert!(sb.resolve("/home/testuser/loop", true).is_err());
        assert!(sb.check_write("/etc/x").is_err());
        assert!(sb.check_write("/home/testuser").is_err());
        assert!(sb.check_write("/home/testuser/x").is_ok());
        assert!(sb.check_enter("/root").is_err());
    }
}
