//! upload and download: direct (the data in the request) or staged (through the staging
//! area), chosen by size against the server's published limit unless `--staged`/`--direct`
//! says; a progress bar on staged transfers when stderr is a terminal; Ctrl-C via `interrupt`.

use crate::args::{Global, Route};
use crate::{interrupt, Failure};
use firecrest::{Client, Direction, ProgressFn, Transfer, TransferState};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a staged transfer may take to reach its final state once the data has moved.
const FINAL_STATE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// True when the transfer must go through the staging area (said with --debug).
fn staged(
    client: &Client,
    g: &Global,
    route: &Route,
    size: u64,
    direction: Direction,
) -> Result<bool, Failure> {
    let staged = choose(client, route, size, direction)?;
    crate::debug(g, || {
        let how = if staged { "staged" } else { "direct" };
        if route.staged || route.direct {
            format!("{how} transfer (--{how})")
        } else {
            format!("{how} transfer of {size} bytes")
        }
    });
    Ok(staged)
}

fn choose(
    client: &Client,
    route: &Route,
    size: u64,
    direction: Direction,
) -> Result<bool, Failure> {
    if route.staged || route.direct {
        return Ok(route.staged);
    }
    let limit = client
        .direct_transfer_limit(direction)
        .map_err(Failure::Lib)?;
    let Some(limit) = limit else {
        return Ok(false);
    };
    Ok(size > limit)
}

fn local_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::Message(format!("{}: {e}", path.display()))
}

fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

pub fn upload(
    client: &Client,
    g: &Global,
    system: &str,
    source: &Path,
    directory: &str,
    filename: Option<&str>,
    route: &Route,
) -> Result<(), Failure> {
    let size = std::fs::metadata(source)
        .map_err(|e| local_failure(source, e))?
        .len();
    let name = match filename {
        Some(n) => n.to_string(),
        None => base_name(&source.to_string_lossy()).to_string(),
    };
    interrupt::install();
    if !staged(client, g, route, size, Direction::Upload)? {
        return client
            .simple_upload(system, source, directory, Some(&name))
            .map_err(Failure::Lib);
    }
    let remote = format!("{}/{name}", directory.trim_end_matches('/'));
    let mut t = client
        .external_upload(system, source, &remote)
        .map_err(Failure::Lib)?;
    with_progress(&mut t, size, |t| {
        t.finish_upload()?;
        t.wait(TransferState::UploadDone, FINAL_STATE_TIMEOUT)
            .map(drop)
    })
}

pub fn download(
    client: &Client,
    g: &Global,
    system: &str,
    source: &str,
    destination: Option<&str>,
    route: &Route,
) -> Result<(), Failure> {
    let mut target = PathBuf::from(destination.unwrap_or_else(|| base_name(source)));
    if target.is_dir() {
        target.push(base_name(source));
    }
    interrupt::install();
    let size = if route.staged || route.direct {
        0
    } else {
        let stat = client.stat(system, source, true).map_err(Failure::Lib)?;
        stat.size.max(0) as u64
    };
    interrupt::begin_download(&target);
    let result = if staged(client, g, route, size, Direction::Download)? {
        let mut t = client
            .external_download(system, source)
            .map_err(Failure::Lib)?;
        with_progress(&mut t, size, |t| t.finish_download(&target))
    } else {
        client
            .simple_download(system, source, &target)
            .map_err(Failure::Lib)
    };
    interrupt::end_download();
    if interrupt::interrupted() {
        return Err(Failure::Interrupted);
    }
    result
}

/// `upload -r`: the local directory `source` becomes `directory/<name>` (its own name unless
/// `name` says), merged into a directory already there.
pub fn upload_dir(
    client: &Client,
    system: &str,
    source: &Path,
    directory: &str,
    name: Option<&str>,
) -> Result<(), Failure> {
    let name = match name {
        Some(n) => n.to_string(),
        None => base_name(&source.to_string_lossy()).to_string(),
    };
    let remote = format!("{}/{name}", directory.trim_end_matches('/'));
    client
        .upload_dir(system, source, &remote, None)
        .map_err(Failure::Lib)
}

/// `download -r`: the remote directory `source` becomes the new local directory `destination`
/// (default: its name here; inside `destination` when that is an existing directory).
pub fn download_dir(
    client: &Client,
    system: &str,
    source: &str,
    destination: Option<&str>,
) -> Result<(), Failure> {
    let mut target = PathBuf::from(destination.unwrap_or_else(|| base_name(source)));
    if target.is_dir() {
        target.push(base_name(source));
    }
    client
        .download_dir(system, source, &target, None)
        .map_err(Failure::Lib)
}

/// A bar on stderr when it is a terminal, hidden otherwise (scripts, logs, tests).
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
    )
    .expect("a valid template");
    bar.set_style(style);
    bar
}

/// The library's progress callback: moves the bar, and stops the transfer after Ctrl-C.
fn progress(bar: ProgressBar) -> ProgressFn {
    let mut moving = false;
    Box::new(move |done, total| {
        if !moving {
            // Rate and ETA from the first byte, not from the wait for the staging area.
            moving = true;
            bar.reset();
        }
        if total > 0 {
            bar.set_length(total);
        }
        bar.set_position(done);
        !interrupt::interrupted()
    })
}

/// Runs `step` on a staged transfer with a progress bar of `size` bytes (the library's count
/// replaces it once known); Ctrl-C makes the callback stop the transfer.
fn with_progress(
    t: &mut Transfer,
    size: u64,
    step: impl FnOnce(&mut Transfer) -> firecrest::Result<()>,
) -> Result<(), Failure> {
    let bar = progress_bar(size);
    t.set_progress(Some(progress(bar.clone())));
    let result = step(t);
    bar.finish_and_clear();
    match result {
        Err(_) if interrupt::interrupted() => Err(Failure::Interrupted),
        other => other.map_err(Failure::Lib),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_names() {
        assert_eq!(super::base_name("/a/b/c.txt"), "c.txt");
        assert_eq!(super::base_name("/a/b/"), "b");
        assert_eq!(super::base_name("c"), "c");
    }
}
