//! `tar` run on local paths under the sandbox root, for v1's `utilities/compress|extract` and
//! v2's `ops/compress|extract` and their transfer jobs: the real servers run tar too, so its
//! own complaints (with the root taken out) are what the client sees.
//!
//! tar itself never follows a link, nor walks a path another request may swap for one: what an
//! archive made with `--dereference` or a `find` pattern holds is first copied through the
//! sandbox into a private stage (links resolved beneath the root, permissions judged as the
//! published user), and tar archives the stage.

use crate::atomic::{AtomicFile, TMP_PREFIX};
use crate::copy::merge_tree;
use crate::perm;
use crate::sandbox::{Local, PinnedDir, Sandbox};
use crate::util::errtext;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
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
    /// The sandbox root on the host, which no link followed may leave.
    root_dir: PathBuf,
    /// The sandbox, for the links followed and the trees walked when tar runs.
    sandbox: Sandbox,
    /// For an archive being made, what goes in it.
    members: Option<Members>,
    /// `--dereference`: links are archived as what they point to, beneath the root.
    dereference: bool,
}

/// The members of an archive being made.
enum Members {
    /// `-C dirname(src) basename(src)`: the source, by its entry in its pinned directory.
    Named(Local),
    /// The server's `cd dirname(src); find . -type f -regex PATTERN | tar --files-from -`:
    /// the source's parent directory (pinned) and the pattern.
    Matching(Local, String),
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
            sandbox: sandbox.clone(),
            members: None,
            dereference: false,
        }
    }

    /// The archive a compression writes (its `args` name the file `-`).
    pub fn archive(mut self, file: Local) -> Tar {
        self.archive = Some(file);
        self
    }

    /// Archives `source` (resolved without following a final link) under its last
    /// component, as `tar -C dirname basename` does.
    pub fn named(mut self, source: Local) -> Tar {
        self.members = Some(Members::Named(source));
        self
    }

    /// `--dereference`: links are archived as what they point to, resolved beneath the root.
    pub fn dereference(mut self) -> Tar {
        self.dereference = true;
        self
    }

    /// Archives the regular files under the directory `dir` whose path (`./…`) matches
    /// `pattern` (GNU find's `-regex`: the whole path), instead of a named source.
    pub fn matching(mut self, dir: Local, pattern: &str) -> Tar {
        self.members = Some(Members::Matching(dir, pattern.to_string()));
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

    /// The arguments naming the members, the stage they are read from (kept until tar has
    /// run) and the list of them: what tar is given right before it runs (a job may run long
    /// after the request). Err: what could not be staged, in tar's and find's words.
    fn members(&self, notes: &mut String) -> Result<Staged, (i32, String)> {
        let io_fail = |e: io::Error| (2, format!("tar: {}", errtext(&e)));
        let mut staged = Staged {
            args: Vec::new(),
            _stage: None,
            _list: None,
        };
        let Some(members) = &self.members else {
            return Ok(staged);
        };
        let new_stage = || {
            let dir = tempfile::Builder::new()
                .prefix(TMP_PREFIX)
                .tempdir()
                .map_err(io_fail)?;
            Ok::<_, (i32, String)>(Stage {
                sandbox: &self.sandbox,
                root_dir: &self.root_dir,
                dereference: self.dereference,
                dir,
                complaints: Vec::new(),
                staged: HashMap::new(),
            })
        };
        match members {
            Members::Named(src) => {
                let entry = src.entry();
                let parent = entry.parent().unwrap_or(Path::new("/"));
                let name = entry.file_name().unwrap_or_default().to_os_string();
                if !self.dereference {
                    // tar follows no link without `--dereference` and walks the tree below
                    // the pinned directory without following any either.
                    staged.args = vec!["-C".into(), parent.into(), name];
                    return Ok(staged);
                }
                let mut stage = new_stage()?;
                let dst = stage.dir.path().join(&name);
                stage.copy(
                    src.remote(),
                    src.remote(),
                    entry,
                    false,
                    &dst,
                    &mut Vec::new(),
                );
                stage.refused(notes)?;
                staged.args = vec!["-C".into(), stage.dir.path().into(), name];
                staged._stage = Some(stage.dir);
            }
            Members::Matching(dir, pattern) => {
                let found = find(&self.sandbox, dir, pattern, notes).map_err(io_fail)?;
                let mut stage = new_stage()?;
                for rel in found.split(|b| *b == 0).filter(|r| !r.is_empty()) {
                    let rel = Path::new(OsStr::from_bytes(rel));
                    let inner = rel.strip_prefix(".").unwrap_or(rel);
                    let remote = child(dir.remote(), inner.as_os_str());
                    let dst = stage.dir.path().join(inner);
                    if let Some(up) = dst.parent() {
                        fs::create_dir_all(up).map_err(io_fail)?;
                    }
                    let shown = rel.to_string_lossy();
                    match self.sandbox.resolve(&remote, false) {
                        Ok((_, l)) => {
                            stage.copy(&shown, &remote, l.entry(), false, &dst, &mut Vec::new())
                        }
                        Err(e) => stage.complain(&shown, "Cannot stat", &e),
                    }
                }
                stage.refused(notes)?;
                let mut list = tempfile::NamedTempFile::new().map_err(io_fail)?;
                io::Write::write_all(&mut list, &found).map_err(io_fail)?;
                staged.args = vec![
                    "-C".into(),
                    stage.dir.path().into(),
                    "--null".into(),
                    "--files-from".into(),
                    list.path().into(),
                ];
                staged._stage = Some(stage.dir);
                staged._list = Some(list);
            }
        }
        Ok(staged)
    }

    /// Makes an archive: tar writes it to stdout, into a file put in place once complete.
    fn make_archive(&self) -> Result<(), (i32, String)> {
        // find's complaints: the server's pipeline reports tar's status, so they show only
        // when tar fails too.
        let mut notes = String::new();
        let staged = self.members(&mut notes)?;
        let with_notes = |(code, text): (i32, String)| (code, format!("{notes}{text}"));
        let args = [self.args.clone(), staged.args.clone()].concat();
        let Some(archive) = &self.archive else {
            return self.tar(&args, None).map_err(with_notes);
        };
        let fail = |e: std::io::Error| {
            let shown = archive.remote();
            (2, format!("tar: {shown}: Cannot open: {}", errtext(&e)))
        };
        let out = AtomicFile::create_in(archive).map_err(fail)?;
        let stdout = out.file().try_clone().map_err(fail)?;
        self.tar(&args, Some(stdout)).map_err(with_notes)?;
        out.commit().map_err(fail)
    }

    /// Runs tar: Err(exit code, stderr) on failure. An archive is extracted into a fresh
    /// directory and merged from there: tar writes through a symlink already in the target
    /// (`evil -> ../../..` then member `evil/f`), and the OS would resolve it on the host.
    pub fn run(&self) -> Result<(), (i32, String)> {
        let Some(into) = &self.into else {
            return self.make_archive();
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

/// What tar is given to archive: its arguments, and the stage and list they name.
struct Staged {
    args: Vec<OsString>,
    _stage: Option<tempfile::TempDir>,
    _list: Option<tempfile::NamedTempFile>,
}

/// `parent/name` for remote paths (the root's children are `/name`).
fn child(parent: &str, name: &OsStr) -> String {
    format!(
        "{}/{}",
        parent.trim_end_matches('/'),
        name.to_string_lossy().trim_start_matches('/')
    )
}

/// A private copy of what an archive holds, made through the sandbox, that tar archives: it
/// reads nothing another request may swap for a link meanwhile.
struct Stage<'a> {
    sandbox: &'a Sandbox,
    root_dir: &'a Path,
    dereference: bool,
    dir: tempfile::TempDir,
    /// tar's complaints about what could not be copied.
    complaints: Vec<String>,
    /// The files staged, by device and inode: a file reached again (through a link, or a hard
    /// link) is staged as a hard link to the first copy, which tar archives as one.
    staged: HashMap<(u64, u64), PathBuf>,
}

impl Stage<'_> {
    fn complain(&mut self, shown: &str, what: &str, e: &io::Error) {
        self.complaints
            .push(format!("tar: {shown}: {what}: {}", errtext(e)));
    }

    /// Err(tar's complaints, after `notes`) when something could not be staged: as tar, the
    /// emulator then fails, and writes no archive.
    fn refused(&self, notes: &str) -> Result<(), (i32, String)> {
        if self.complaints.is_empty() {
            return Ok(());
        }
        Err((
            2,
            format!(
                "{notes}{}\ntar: Exiting with failure status due to previous errors",
                self.complaints.join("\n")
            ),
        ))
    }

    /// Copies what `path` holds to `dst` (a new name in the stage), keeping modes and
    /// modification times, as tar would archive it: `shown` is its name in complaints, `real`
    /// its canonical remote path (for the permission rules). `pinned`: `path` is a
    /// descriptor's own path, naming the object itself; otherwise an entry in a pinned
    /// directory, which the OS never follows. With `dereference`, a link is copied as what it
    /// leads to beneath the root; `ancestors` (device, inode) are the directories being copied
    /// above, a link back to one of them being a loop, as tar reports it.
    fn copy(
        &mut self,
        shown: &str,
        real: &str,
        path: &Path,
        pinned: bool,
        dst: &Path,
        ancestors: &mut Vec<(u64, u64)>,
    ) {
        let meta = if pinned {
            fs::metadata(path)
        } else {
            fs::symlink_metadata(path)
        };
        let meta = match meta {
            Ok(m) => m,
            Err(e) => return self.complain(shown, "Cannot stat", &e),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            if !self.dereference {
                // Archived as the link: nothing is read through it.
                let made = fs::read_link(path).and_then(|t| std::os::unix::fs::symlink(t, dst));
                if let Err(e) = made {
                    self.complain(shown, "Cannot readlink", &e);
                }
                return;
            }
            // A link the OS would resolve outside the root is refused as one the user could
            // not read: the host's files are none of the emulator's business.
            if fs::canonicalize(path).is_ok_and(|t| !t.starts_with(self.root_dir)) {
                let denied = io::Error::from_raw_os_error(libc::EACCES);
                return self.complain(shown, "Cannot stat", &denied);
            }
            return match self.sandbox.resolve(real, true) {
                Ok((remote, l)) if l.pinned() => {
                    self.copy(shown, &remote, l.obj(), true, dst, ancestors)
                }
                Ok((_, l)) => {
                    let e = l
                        .unreachable()
                        .unwrap_or_else(|| io::Error::from_raw_os_error(libc::ENOENT));
                    self.complain(shown, "Cannot stat", &e)
                }
                Err(e) => self.complain(shown, "Cannot stat", &e),
            };
        }
        let mode = fs::Permissions::from_mode(meta.mode() & 0o7777);
        if kind.is_dir() {
            let id = (meta.dev(), meta.ino());
            if ancestors.contains(&id) {
                return self
                    .complaints
                    .push(format!("tar: {shown}: File system loop detected"));
            }
            if let Err(e) = fs::create_dir(dst) {
                return self.complain(shown, "Cannot stage", &e);
            }
            let readable =
                perm::may(&meta, perm::R | perm::X) && self.sandbox.check_enter(real).is_ok();
            let dir = if !readable {
                Err(io::Error::from_raw_os_error(libc::EACCES))
            } else if pinned {
                PinnedDir::at(path)
            } else {
                PinnedDir::open(path)
            };
            let names = dir.and_then(|d| {
                let mut names = Vec::new();
                for e in fs::read_dir(d.path())? {
                    names.push(e?.file_name());
                }
                Ok((d, names))
            });
            match names {
                Ok((d, names)) => {
                    ancestors.push(id);
                    for name in names {
                        self.copy(
                            &child(shown, &name),
                            &child(real, &name),
                            &d.path().join(&name),
                            false,
                            &dst.join(&name),
                            ancestors,
                        );
                    }
                    ancestors.pop();
                }
                Err(e) => self.complain(shown, "Cannot open", &e),
            }
            let _ = fs::set_permissions(dst, mode);
            if let (Ok(t), Ok(d)) = (meta.modified(), File::open(dst)) {
                let _ = d.set_modified(t);
            }
            return;
        }
        if !kind.is_file() {
            // Devices, fifos and sockets hold nothing to read; none is staged.
            return;
        }
        if !perm::may(&meta, perm::R) || self.sandbox.check_read(real).is_err() {
            let denied = io::Error::from_raw_os_error(libc::EACCES);
            return self.complain(shown, "Cannot open", &denied);
        }
        let id = (meta.dev(), meta.ino());
        if let Some(first) = self.staged.get(&id) {
            if let Err(e) = fs::hard_link(first, dst) {
                self.complain(shown, "Cannot link", &e);
            }
            return;
        }
        let flags = if pinned { 0 } else { libc::O_NOFOLLOW };
        let copied = (|| {
            let mut input = OpenOptions::new()
                .read(true)
                .custom_flags(flags)
                .open(path)?;
            let mut out = OpenOptions::new().write(true).create_new(true).open(dst)?;
            io::copy(&mut input, &mut out)?;
            out.set_permissions(mode)?;
            out.set_modified(meta.modified()?)
        })();
        match copied {
            Ok(()) => {
                self.staged.insert(id, dst.to_path_buf());
            }
            Err(e) => self.complain(shown, "Cannot open", &e),
        }
    }
}

/// The server's `find . -type f -regex PATTERN -print0` in `dir`, as the published user runs
/// it: the tree is walked through the sandbox into a shadow of empty files and directories
/// (never following a link, never entering a directory the user may not read, which find
/// reports in `notes`), and GNU find picks from the shadow, so that the pattern means what
/// find makes of it. Returns the `./…` paths found, NUL-separated.
fn find(sb: &Sandbox, dir: &Local, pattern: &str, notes: &mut String) -> io::Result<Vec<u8>> {
    let shadow = tempfile::Builder::new().prefix(TMP_PREFIX).tempdir()?;
    // The server's `cd` into a directory the user may not enter fails, and find then finds
    // nothing of it.
    let enter = dir
        .metadata()
        .and_then(|m| perm::must(&m, perm::R | perm::X))
        .and_then(|_| sb.check_enter(dir.remote()))
        .and_then(|_| PinnedDir::at(dir.obj()));
    match enter {
        Ok(top) => shadow_tree(sb, &top, dir.remote(), ".", shadow.path(), notes),
        Err(e) => notes.push_str(&format!("cd: {}: {}\n", dir.remote(), errtext(&e))),
    }
    let out = std::process::Command::new("find")
        .current_dir(shadow.path())
        .args([".", "-type", "f", "-regex", pattern, "-print0"])
        .output()?;
    // A pattern find refuses finds nothing: the server's tar then archives nothing.
    notes.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(out.stdout)
}

/// Mirrors the directories and regular files below `dir` (remote `real`, shown as `shown`)
/// into `into`, as empty files, for [`find`].
fn shadow_tree(
    sb: &Sandbox,
    dir: &PinnedDir,
    real: &str,
    shown: &str,
    into: &Path,
    notes: &mut String,
) {
    let Ok(entries) = fs::read_dir(dir.path()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let path = dir.path().join(&name);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let (real, shown) = (child(real, &name), child(shown, &name));
        let dst = into.join(&name);
        if meta.is_dir() {
            if fs::create_dir(&dst).is_err() {
                continue;
            }
            if !perm::may(&meta, perm::R | perm::X) || sb.check_enter(&real).is_err() {
                notes.push_str(&format!("find: '{shown}': Permission denied\n"));
                continue;
            }
            if let Ok(sub) = PinnedDir::open(&path) {
                shadow_tree(sb, &sub, &real, &shown, &dst, notes);
            }
        } else if meta.is_file() {
            let _ = File::create(&dst);
        }
    }
}
