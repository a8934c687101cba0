//! `tar` run on local paths under the sandbox root, for v1's `utilities/compress|extract` and
//! v2's `ops/compress|extract` and their transfer jobs: the real servers run tar too, so its
//! own complaints (with the root taken out) are what the client sees.

use crate::atomic::TMP_PREFIX;
use crate::copy::merge_tree;
use crate::sandbox::Sandbox;
use crate::util::errtext;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A `tar` command line on local paths, run by `ops/*` at once or by a transfer job.
pub(crate) struct Tar {
    args: Vec<OsString>,
    /// The sandbox root, removed from tar's complaints so they show remote paths.
    root: String,
    /// For an extraction, the directory the members land in.
    into: Option<PathBuf>,
    pub compress: bool,
    /// The sandbox root on the host, which every file tar reads must stay under.
    root_dir: PathBuf,
    /// `--dereference`: the tree whose links tar will follow, checked first.
    follow_links_in: Option<PathBuf>,
    /// A `find -regex` selection: (directory tar runs in, pattern); the files found are the
    /// members, as the server's `find . -type f -regex … | tar --files-from -` makes them.
    pattern: Option<(PathBuf, String)>,
}

/// How deep `--dereference` may lead through links to directories before the emulator gives
/// up (a loop of links, or an absurd tree).
const MAX_FOLLOWED_DEPTH: usize = 64;

/// Err(the first link under `path` that resolves, on the host, outside `root`). tar
/// `--dereference` opens what the OS resolves, so this is the check that it reads nothing
/// outside the root; directories reached through links are checked too.
fn links_stay_inside(root: &Path, path: &Path, depth: usize) -> Result<(), PathBuf> {
    if depth > MAX_FOLLOWED_DEPTH {
        return Err(path.to_path_buf());
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        // Gone or unreadable: tar's own complaint says so.
        return Ok(());
    };
    let followed = if meta.file_type().is_symlink() {
        match std::fs::canonicalize(path) {
            Ok(target) if target.starts_with(root) => Some(target),
            Ok(_) => return Err(path.to_path_buf()),
            // Dangling: tar reports it, nothing is read.
            Err(_) => return Ok(()),
        }
    } else {
        None
    };
    let dir = followed.as_deref().unwrap_or(path);
    if dir.is_dir() {
        let depth = depth + usize::from(followed.is_some());
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            links_stay_inside(root, &e.path(), depth)?;
        }
    }
    Ok(())
}

impl Tar {
    /// `args` on paths under `sandbox`'s root; `into`: the directory an extraction fills
    /// (None for an archive being made).
    pub fn new(sandbox: &Sandbox, args: Vec<OsString>, into: Option<PathBuf>) -> Tar {
        let root = sandbox.local_lexical("/");
        Tar {
            args,
            root: root.to_string_lossy().trim_end_matches('/').to_string(),
            compress: into.is_none(),
            into,
            root_dir: root,
            follow_links_in: None,
            pattern: None,
        }
    }

    /// Adds `--dereference`, for the tree at `source` (a local path under the root).
    pub fn dereference(mut self, source: PathBuf) -> Tar {
        self.args.push("--dereference".into());
        self.follow_links_in = Some(source);
        self
    }

    /// Archives the regular files under `dir` whose path (`./…`) matches `pattern` (GNU
    /// find's `-regex`: the whole path), instead of the named members.
    pub fn matching(mut self, dir: PathBuf, pattern: &str) -> Tar {
        self.pattern = Some((dir, pattern.to_string()));
        self
    }

    /// The remote form of a local path, for tar-like complaints.
    fn shown(&self, local: &Path) -> String {
        local.to_string_lossy().replace(&self.root, "")
    }

    /// The checks and selections to do right before tar runs (a job may run long after the
    /// request): links followed only inside the root; the pattern's files listed.
    fn prepare(&self) -> Result<Option<tempfile::NamedTempFile>, (i32, String)> {
        if let Some(tree) = &self.follow_links_in {
            links_stay_inside(&self.root_dir, tree, 0).map_err(|link| {
                let link = self.shown(&link);
                (2, format!("tar: {link}: Cannot stat: Permission denied"))
            })?;
        }
        let Some((dir, pattern)) = &self.pattern else {
            return Ok(None);
        };
        // find without -L never follows a link, and -type f keeps regular files only.
        let out = std::process::Command::new("find")
            .current_dir(dir)
            .args([".", "-type", "f", "-regex", pattern, "-print0"])
            .output()
            .map_err(|e| (127, format!("find could not run: {e}")))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr).replace(&self.root, "");
            return Err((
                out.status.code().unwrap_or(1),
                stderr.trim_end().to_string(),
            ));
        }
        let io = |e: std::io::Error| (2, format!("tar: {}", errtext(&e)));
        let mut list = tempfile::NamedTempFile::new().map_err(io)?;
        std::io::Write::write_all(&mut list, &out.stdout).map_err(io)?;
        Ok(Some(list))
    }

    /// Runs tar: Err(exit code, stderr) on failure. An archive is extracted into a fresh
    /// directory and merged from there: tar writes through a symlink already in the target
    /// (`evil -> ../../..` then member `evil/f`), and the OS would resolve it on the host.
    pub fn run(&self) -> Result<(), (i32, String)> {
        let list = self.prepare()?;
        let Some(into) = &self.into else {
            let Some(list) = list else {
                return self.tar(&self.args);
            };
            let dir = self
                .pattern
                .as_ref()
                .map(|(d, _)| d.clone())
                .unwrap_or_default();
            let mut args = self.args.clone();
            args.extend(["-C".into(), dir.into_os_string(), "--null".into()]);
            args.extend([
                "--files-from".into(),
                list.path().as_os_str().to_os_string(),
            ]);
            return self.tar(&args);
        };
        let in_dir = |dir: &Path| [self.args.clone(), vec!["-C".into(), dir.into()]].concat();
        let Ok(stage) = tempfile::Builder::new().prefix(TMP_PREFIX).tempdir_in(into) else {
            // No such directory (or not one): tar's own complaint says so.
            return self.tar(&in_dir(into));
        };
        // The stage is removed when it goes out of scope.
        self.tar(&in_dir(stage.path())).and_then(|_| {
            merge_tree(stage.path(), into).map_err(|e| (2, format!("tar: {}", errtext(&e))))
        })
    }

    fn tar(&self, args: &[OsString]) -> Result<(), (i32, String)> {
        let out = std::process::Command::new("tar")
            .args(args)
            .output()
            .map_err(|e| (127, format!("tar could not run: {e}")))?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr).replace(&self.root, "");
        Err((
            out.status.code().unwrap_or(1),
            stderr.trim_end().to_string(),
        ))
    }
}
