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
        }
    }

    /// Runs tar: Err(exit code, stderr) on failure. An archive is extracted into a fresh
    /// directory and merged from there: tar writes through a symlink already in the target
    /// (`evil -> ../../..` then member `evil/f`), and the OS would resolve it on the host.
    pub fn run(&self) -> Result<(), (i32, String)> {
        let Some(into) = &self.into else {
            return self.tar(&self.args);
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
