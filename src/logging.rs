//! What the library tells a user who is debugging: each request's method, URL (signatures
//! removed), status, duration and correlation id, retry decisions and token refreshes, through
//! the `log` facade (target `firecrest`). Never a secret, a token, an Authorization header or a
//! presigned signature: the call sites build their messages from those parts only.
//!
//! Rust programs install any `log` logger they like. Programs that install none (C and Fortran
//! ones) get this module's small logger, switched on without recompiling by
//! `FIRECREST_LOG=error|warn|info|debug|trace` (lines on stderr) or by a C callback
//! (`firecrest_set_log_callback`), which replaces the stderr lines.

use crate::error::{Error, ErrorKind, Result};
use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, RwLock};

/// The target of every record the library writes.
pub(crate) const TARGET: &str = "firecrest";

/// Receives one formatted record: its level and its text (one line, no newline).
pub(crate) type Callback = Box<dyn Fn(log::Level, &str) + Send + Sync>;

enum Sink {
    Off,
    Stderr(LevelFilter),
    Callback(Callback, LevelFilter),
}

impl Sink {
    fn level(&self) -> LevelFilter {
        match self {
            Sink::Off => LevelFilter::Off,
            Sink::Stderr(l) | Sink::Callback(_, l) => *l,
        }
    }
}

struct Logger {
    sink: RwLock<Sink>,
}

static LOGGER: Logger = Logger {
    sink: RwLock::new(Sink::Off),
};

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Only the library's own records: a dependency's debug lines may show request headers.
        metadata.target().starts_with(TARGET) && metadata.level() <= self.level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let sink = self.sink.read().unwrap_or_else(|p| p.into_inner());
        match &*sink {
            Sink::Off => {}
            Sink::Stderr(_) => {
                let line = format!("firecrest {:5} {}\n", record.level(), record.args());
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
            Sink::Callback(cb, _) => cb(record.level(), &record.args().to_string()),
        }
    }

    fn flush(&self) {}
}

impl Logger {
    fn level(&self) -> LevelFilter {
        self.sink.read().unwrap_or_else(|p| p.into_inner()).level()
    }
}

/// `FIRECREST_LOG`'s value as a level; None for anything else (which leaves logging off).
pub(crate) fn parse_level(value: &str) -> Option<LevelFilter> {
    match value.trim().to_ascii_lowercase().as_str() {
        "off" | "0" => Some(LevelFilter::Off),
        "error" => Some(LevelFilter::Error),
        "warn" | "warning" => Some(LevelFilter::Warn),
        "info" => Some(LevelFilter::Info),
        "debug" => Some(LevelFilter::Debug),
        "trace" => Some(LevelFilter::Trace),
        _ => None,
    }
}

/// Installs this module's logger unless the program installed one; true when it is (or just
/// became) the logger in use.
fn install() -> bool {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| OURS.store(log::set_logger(&LOGGER).is_ok(), Ordering::SeqCst));
    OURS.load(Ordering::SeqCst)
}

/// Whether `install` made this module's logger the program's.
static OURS: AtomicBool = AtomicBool::new(false);

fn set_sink(sink: Sink) {
    let level = sink.level();
    *LOGGER.sink.write().unwrap_or_else(|p| p.into_inner()) = sink;
    log::set_max_level(level);
}

/// Reads `FIRECREST_LOG` once per process (on the first client): a level turns on lines on
/// stderr, unless the program installed its own logger or set a callback.
pub(crate) fn init_from_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Some(level) = std::env::var("FIRECREST_LOG")
            .ok()
            .and_then(|v| parse_level(&v))
        else {
            return;
        };
        if level == LevelFilter::Off || !install() {
            return;
        }
        let sink = LOGGER.sink.read().unwrap_or_else(|p| p.into_inner());
        let callback_set = matches!(&*sink, Sink::Callback(..));
        drop(sink);
        if !callback_set {
            set_sink(Sink::Stderr(level));
        }
    });
}

/// Sends the library's records up to `level` to `callback` (None: no more records), in place
/// of any stderr lines. Fails when the program installed another `log` logger, which then
/// receives the records instead.
pub(crate) fn set_callback(callback: Option<Callback>, level: LevelFilter) -> Result<()> {
    if !install() {
        return Err(Error::new(
            ErrorKind::InvalidState,
            "another `log` logger is installed in this program; it receives the library's records",
        ));
    }
    match callback {
        Some(cb) => set_sink(Sink::Callback(cb, level)),
        None => set_sink(Sink::Off),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_the_environment() {
        assert_eq!(parse_level("debug"), Some(LevelFilter::Debug));
        assert_eq!(parse_level(" WARN "), Some(LevelFilter::Warn));
        assert_eq!(parse_level("trace"), Some(LevelFilter::Trace));
        assert_eq!(parse_level("loud"), None);
    }
}
