//! `/utilities/compress` and `/utilities/extract`: the server runs `tar -czvf target -C
//! dirname(src) basename(src)` and an extraction into a directory; the emulator runs tar on the
//! sandbox's local paths, and its complaints go through the utilities' error rules.

use crate::sandbox::{Local, Sandbox};
use crate::tar::Tar;
use crate::util::errtext;
use std::ffi::OsString;

/// Paths resolved inside the sandbox, with tar's wording for a refusal.
fn resolve(
    sb: &Sandbox,
    path: &str,
    follow_last: bool,
    verb: &str,
) -> Result<(String, Local), String> {
    sb.resolve(path, follow_last)
        .map_err(|e| format!("tar: {path}: {verb}: {}", errtext(&e)))
}

/// The sandbox's write rule for creating entries inside the directory `remote` (the
/// directory itself may be a writable root, such as home).
fn check_write_inside(sb: &Sandbox, remote: &str, shown: &str) -> Result<(), String> {
    sb.check_write(&format!("{}/.", remote.trim_end_matches('/')))
        .map_err(|e| format!("tar: {shown}: Cannot open: {}", errtext(&e)))
}

/// `tar -czf target -C dirname(src) basename(src)`; a symlink named as `src` is archived as
/// the link, as tar does without `-h`. With `dereference`, `--dereference`: what the links
/// point to is archived, as long as every one of them stays inside the root.
pub(crate) fn compress(
    sb: &Sandbox,
    src: &str,
    dst: &str,
    dereference: bool,
) -> Result<(), String> {
    let (src_remote, src_local) = resolve(sb, src, false, "Cannot stat")?;
    sb.check_read(&src_remote)
        .map_err(|e| format!("tar: {src}: Cannot open: {}", errtext(&e)))?;
    if src_local.symlink_metadata().is_err() {
        return Err(format!(
            "tar: {src}: Cannot stat: No such file or directory\n\
             tar: Exiting with failure status due to previous errors"
        ));
    }
    let (dst_remote, dst_local) = resolve(sb, dst, true, "Cannot open")?;
    sb.check_write(&dst_remote)
        .map_err(|e| format!("tar (child): {dst}: Cannot open: {}", errtext(&e)))?;
    // tar writes the archive to stdout and the emulator puts it in place (Tar::archive).
    let args: Vec<OsString> = vec!["-czf".into(), "-".into()];
    let tar = Tar::new(sb, args, vec![src_local.clone()], None)
        .archive(dst_local)
        .named(src_local);
    run(if dereference { tar.dereference() } else { tar })
}

/// `tar -xf source -C target` (tar recognises the compression itself, as the server's
/// `type=auto` does from the suffix). Members never land outside `target`: the extraction
/// happens in a fresh directory and is merged from there.
pub(crate) fn extract(sb: &Sandbox, src: &str, dst: &str) -> Result<(), String> {
    let (src_remote, src_local) = resolve(sb, src, true, "Cannot open")?;
    sb.check_read(&src_remote)
        .map_err(|e| format!("tar: {src}: Cannot open: {}", errtext(&e)))?;
    let (dst_remote, dst_local) = resolve(sb, dst, true, "Cannot open")?;
    check_write_inside(sb, &dst_remote, dst)?;
    if !dst_local.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(format!(
            "tar: {dst}: Cannot open: No such file or directory\n\
             tar: Error is not recoverable: exiting now"
        ));
    }
    // --no-same-owner/-permissions: an archive must not plant setuid files or foreign owners.
    let args: Vec<OsString> = vec![
        "-xf".into(),
        src_local.obj().as_os_str().to_owned(),
        "--no-same-owner".into(),
        "--no-same-permissions".into(),
    ];
    run(Tar::new(sb, args, vec![src_local], Some(dst_local)))
}

fn run(tar: Tar) -> Result<(), String> {
    tar.run().map_err(|(_, stderr)| stderr)
}
