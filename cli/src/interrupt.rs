//! Ctrl-C. Outside a download the process ends at once (exit 130): nothing local is half
//! written. During a download the first Ctrl-C asks the transfer to stop: the staged path's
//! progress callback returns false, the library removes its temporary file and returns, and
//! the command exits 130. If the transfer does not notice within two seconds (a direct
//! download has no callback; a read may be stuck on the network) or Ctrl-C comes again, the
//! handler removes the download's temporary file itself and exits.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static DOWNLOAD: Mutex<Option<Temporaries>> = Mutex::new(None);

pub const EXIT_CODE: i32 = 130;

/// Where the library puts a download's temporary file: `.NAME.XXXXXX.part` beside the
/// target (`firecrest::transfers::write_atomically`), and which such files were there before.
#[derive(Clone)]
struct Temporaries {
    dir: PathBuf,
    prefix: OsString,
    before: Vec<OsString>,
}

impl Temporaries {
    fn of(target: &Path) -> Option<Temporaries> {
        let mut prefix = OsString::from(".");
        prefix.push(target.file_name()?);
        prefix.push(".");
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut t = Temporaries {
            dir,
            prefix,
            before: Vec::new(),
        };
        t.before = t.present();
        Some(t)
    }

    fn present(&self) -> Vec<OsString> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let prefix = self.prefix.to_string_lossy().into_owned();
        entries
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| {
                let n = n.to_string_lossy();
                n.starts_with(&prefix) && n.ends_with(".part")
            })
            .collect()
    }

    fn remove_new(&self) {
        for name in self.present() {
            if !self.before.contains(&name) {
                let _ = std::fs::remove_file(self.dir.join(name));
            }
        }
    }
}

/// Installs the handler; called only by the commands that transfer data, so that the others
/// keep the default SIGINT behaviour and start no thread.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let download = DOWNLOAD.lock().map(|d| d.clone()).unwrap_or(None);
        let Some(download) = download else {
            std::process::exit(EXIT_CODE);
        };
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            give_up(&download);
        }
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(2));
            give_up(&download);
        });
    });
}

fn give_up(download: &Temporaries) -> ! {
    download.remove_new();
    eprintln!("firecrest: interrupted");
    std::process::exit(EXIT_CODE);
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// From now until `end_download`, Ctrl-C cleans up after a download into `target`.
pub fn begin_download(target: &Path) {
    if let Ok(mut d) = DOWNLOAD.lock() {
        *d = Temporaries::of(target);
    }
}

pub fn end_download() {
    if let Ok(mut d) = DOWNLOAD.lock() {
        *d = None;
    }
}
