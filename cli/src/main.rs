//! `firecrest`: FirecREST from the command line, on the library's public API. A drop-in for
//! pyfirecrest's CLI (same commands, options, environment, JSON and exit codes: 0, 1 on
//! failure, 2 on usage errors), plus `view`, `completions`, `--table`, `--json` everywhere,
//! size-chosen staged transfers with a progress bar, and Ctrl-C that leaves no partial file.
//!
//! Start-up does nothing but parse: the client is built only by a command that needs it, and
//! the first request is that command's own.

mod args;
mod commands;
mod connect;
mod interrupt;
mod output;
mod transfer;

use args::{Cli, Global};
use clap::{CommandFactory, FromArgMatches};

/// Why a command failed, and so its exit code and message.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments or configuration (exit 2).
    Usage(String),
    /// A command or option without a back end yet (exit 1).
    Unsupported(String),
    /// The library's error: FirecREST's own text, naming the operation, system and path.
    Lib(firecrest::Error),
    /// Anything else, said in full (exit 1).
    Message(String),
    /// Ctrl-C during a transfer (exit 130).
    Interrupted,
    /// `submit --wait`: the job ended other than COMPLETED (its exit code, or 1).
    JobEnded(String, i32),
}

/// `--debug` (and `--verbose`) lines on stderr. Callers never pass a secret or a token.
pub fn debug(g: &Global, line: impl FnOnce() -> String) {
    if g.debug || g.verbose {
        eprintln!("firecrest: debug: {}", line());
    }
}

/// The library's log records on stderr: `--verbose` its retries and token refreshes, `--debug`
/// also every request. The library never puts a secret, a token or a signature in them.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("firecrest")
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!(
                "firecrest: {}: {}",
                record.level().as_str().to_ascii_lowercase(),
                record.args()
            );
        }
    }
    fn flush(&self) {}
}

static STDERR_LOG: StderrLog = StderrLog;

fn start_logging(g: &Global) {
    let level = if g.debug {
        log::LevelFilter::Debug
    } else if g.verbose {
        log::LevelFilter::Info
    } else {
        return;
    };
    if log::set_logger(&STDERR_LOG).is_ok() {
        log::set_max_level(level);
    }
}

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The subcommand's name as typed, for messages.
    let name = matches.subcommand_name().unwrap_or("firecrest");
    let g = &cli.global;
    if g.version {
        println!("FirecREST CLI Version: {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    if g.show_completion {
        let shell = clap_complete::Shell::from_env().unwrap_or(clap_complete::Shell::Bash);
        commands::completions(shell);
        return 0;
    }
    if g.install_completion {
        return report(
            "--install-completion",
            Failure::Message(
                "not supported; put the output of `firecrest completions SHELL` in your \
                 shell's completion directory"
                    .into(),
            ),
        );
    }
    let Some(command) = &cli.command else {
        let mut help = Cli::command();
        eprintln!("{}", help.render_usage());
        eprintln!("firecrest: Missing command.");
        return 2;
    };
    start_logging(g);
    let started = std::time::Instant::now();
    let result = commands::run(command, name, g);
    debug(g, || {
        format!("{name} took {:.3} s", started.elapsed().as_secs_f64())
    });
    match result {
        Ok(()) => 0,
        Err(failure) => report(name, failure),
    }
}

/// One line on stderr, `firecrest: <command>: <message>`, and the exit code.
fn report(command: &str, failure: Failure) -> i32 {
    let (message, code) = match failure {
        Failure::Usage(m) => (m, 2),
        Failure::Unsupported(what) if what == command => ("not supported yet".to_string(), 1),
        Failure::Unsupported(what) => (format!("{what}: not supported yet"), 1),
        // The request's id, as pyfirecrest's exceptions show it, for the centre's support.
        Failure::Lib(e) => match e.correlation_id() {
            Some(id) => (format!("{} [X-Correlation-ID: {id}]", e.message()), 1),
            None => (e.message().to_string(), 1),
        },
        Failure::Message(m) => (m, 1),
        Failure::Interrupted => ("interrupted".to_string(), interrupt::EXIT_CODE),
        Failure::JobEnded(m, code) => (m, code),
    };
    let message = message.replace('\n', " ");
    eprintln!("firecrest: {command}: {}", message.trim());
    code
}
