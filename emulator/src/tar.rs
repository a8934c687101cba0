//! `tar` run on local paths under the sandbox root, for v1's `utilities/compress|extract` and
//! v2's `ops/compress|extract` and their transfer jobs: the real servers run tar too, so its
//! own complaints (with the root taken out) are what the client sees.

use crate::atomic::{AtomicFile, TMP_PREFIX};
use crate::copy::merge_tree;
use crate::sandbox::{Local, PinnedDir, Sandbox};
use crate::util::errtext;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A `tar` command line on local paths, run by `ops/*` at once or by a transfer job. The paths
/// name files through the descriptors of sandbox [`Local`]s, which the `Tar` holds until it has
/// run (a job may run long after the request), so a directory swapped for a symlink meanwhile
/// changes nothing.
pub(crate) struct Tar {
    args: Vec<OsString>,
    /// The sandbox root, removed from tar's complaints so they show remote paths.
    root: String,
    /// The files the arguments name, held open; their paths become the remote ones in tar's
    /// complaints.
    pins: Vec<Local>,
    /// For an extraction, the directory the members land in.
    into: Option<Local>,
    /// For an archive being made, its file: tar writes to stdout (`-f -`) and the emulator
    /// into the file, created beside it and renamed (never through a symlink there).
    archive: Option<Local>,
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
    /// `args` on paths of `pins` (held open until tar has run); `into`: the directory an
    /// extraction fills (None for an archive being made, see [`Tar::archive`]).
    pub fn new(
        sandbox: &Sandbox,
        args: Vec<OsString>,
        pins: Vec<Local>,
        into: Option<Local>,
    ) -> Tar {
        let root = sandbox.local_lexical("/");
        Tar {
            args,
            root: root.to_string_lossy().trim_end_matches('/').to_string(),
            pins,
            compress: into.is_none(),
            into,
            archive: None,
            root_dir: root,
            follow_links_in: None,
            pattern: None,
        }
    }

    /// The archive a compression writes (its `args` name the file `-`).
    pub fn archive(mut self, file: Local) -> Tar {
        self.archive = Some(file);
        self
    }

    /// Adds `--dereference`, for the tree at `source` (its entry in its pinned directory).
    pub fn dereference(mut self, source: Local) -> Tar {
        self.args.push("--dereference".into());
        self.follow_links_in = Some(source.entry().to_path_buf());
        self.pins.push(source);
        self
    }

    /// Archives the regular files under `dir` whose path (`./…`) matches `pattern` (GNU
    /// find's `-regex`: the whole path), instead of the named members.
    pub fn matching(mut self, dir: PathBuf, pattern: &str) -> Tar {
        self.pattern = Some((dir, pattern.to_string()));
        self
    }

    /// Local paths in `text` (descriptor paths of the pins, or under the root) in their remote
    /// form, for tar-like complaints.
    fn shown(&self, text: &str) -> String {
        let mut named: Vec<(String, &str)> = Vec::new();
        for l in self.pins.iter().chain(&self.into).chain(&self.archive) {
            for p in [l.entry(), l.obj()] {
                named.push((p.to_string_lossy().into_owned(), l.remote()));
            }
        }
        named.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        let mut text = text.to_string();
        for (p, remote) in named {
            text = text.replace(&p, remote);
        }
        text.replace(&self.root, "")
    }

    /// The checks and selections to do right before tar runs (a job may run long after the
    /// request): links followed only inside the root; the pattern's files listed.
    fn prepare(&self) -> Result<Option<tempfile::NamedTempFile>, (i32, String)> {
        if let Some(tree) = &self.follow_links_in {
            links_stay_inside(&self.root_dir, tree, 0).map_err(|link| {
                let link = self.shown(&link.to_string_lossy());
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
            let stderr = self.shown(&String::from_utf8_lossy(&out.stderr));
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
            let mut args = self.args.clone();
            if let Some(list) = &list {
                let dir = self
                    .pattern
                    .as_ref()
                    .map(|(d, _)| d.clone())
                    .unwrap_or_default();
                args.extend(["-C".into(), dir.into_os_string(), "--null".into()]);
                args.extend([
                    "--files-from".into(),
                    list.path().as_os_str().to_os_string(),
                ]);
            }
            let Some(archive) = &self.archive else {
                return self.tar(&args, None);
            };
            let fail = |e: std::io::Error| {
                let shown = archive.remote();
                (2, format!("tar: {shown}: Cannot open: {}", errtext(&e)))
            };
            let out = AtomicFile::create_in(archive).map_err(fail)?;
            let stdout = out.file().try_clone().map_err(fail)?;
            self.tar(&args, Some(stdout))?;
            return out.commit().map_err(fail);
        };
        let in_dir = |dir: &Path| [self.args.clone(), vec!["-C".into(), dir.into()]].concat();
        let stage = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempdir_in(into.obj())
            .and_then(|stage| PinnedDir::open(stage.path()).map(|pin| (stage, pin)));
        let Ok((stage, pinned)) = stage else {
            // No such directory (or not one): tar's own complaint says so.
            return self.tar(&in_dir(into.obj()), None);
        };
        // An archive's absolute symlink targets are remote paths: stored under the root, as the
        // symlink endpoints store them, so that the OS also resolves them inside.
        let relink = |t: &Path| {
            t.is_absolute()
                .then(|| self.root_dir.join(t.strip_prefix("/").unwrap_or(t)))
        };
        self.tar(&in_dir(pinned.path()), None).and_then(|_| {
            PinnedDir::at(into.obj())
                .and_then(|into| merge_tree(&pinned, &into, &relink))
                .map_err(|e| (2, format!("tar: {}", errtext(&e))))
        })?;
        // The stage is removed here, after the merge.
        drop(stage);
        Ok(())
    }

    fn tar(&self, args: &[OsString], stdout: Option<File>) -> Result<(), (i32, String)> {
        let mut cmd = std::process::Command::new("tar");
        cmd.args(args);
        if let Some(f) = stdout {
            cmd.stdout(f);
        }
        let out = cmd
            .output()
            .map_err(|e| (127, format!("tar could not run: {e}")))?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = self.shown(&String::from_utf8_lossy(&out.stderr));
        Err((
            out.status.code().unwrap_or(1),
            stderr.trim_end().to_string(),
        ))
    }
}
