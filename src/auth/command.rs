//! A token from a command (pyfirecrest's `TokenCommandAuth`): `sh -c COMMAND`, whose standard
//! output, trimmed, is the access token. A command that fails, prints nothing or outlives its
//! time is an `Auth` error that quotes (the end of) its standard error, with the token and
//! anything that looks like one taken out.

use crate::error::{Error, ErrorKind, Result};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The most of the command's standard error a message quotes.
const STDERR_SHOWN: usize = 500;
/// The most of the command's output read (a token is a few KiB; more is a wrong command).
const OUTPUT_LIMIT: u64 = 1 << 20;

/// Runs `command` and returns the token it prints, within `timeout`.
pub(crate) fn run(command: &str, timeout: Duration) -> Result<String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a command that hangs is ended with its children.
        .process_group(0)
        .spawn()
        .map_err(|e| {
            Error::new(
                ErrorKind::Auth,
                format!("token command: cannot run sh: {e}"),
            )
        })?;
    let deadline = Instant::now() + timeout;
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => break None,
        }
    };
    // A command that exited may have left a child holding its output open: wait no longer
    // than the deadline for the output either.
    let out = stdout.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    let Some(status) = status.filter(|_| out.is_ok()) else {
        kill_group(&mut child);
        let err = stderr
            .recv_timeout(Duration::from_millis(500))
            .unwrap_or_default();
        return Err(Error::new(
            ErrorKind::Auth,
            format!(
                "token command: no token within {} s; it was stopped{}",
                timeout.as_secs_f64(),
                stderr_note(&err, None)
            ),
        ));
    };
    let err = stderr
        .recv_timeout(Duration::from_millis(500))
        .unwrap_or_default();
    let out = out.unwrap_or_default();
    let token = String::from_utf8_lossy(&out).trim().to_string();
    if !status.success() {
        let how = match status.code() {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".to_string(),
        };
        return Err(Error::new(
            ErrorKind::Auth,
            format!(
                "token command failed ({how}){}",
                stderr_note(&err, Some(&token))
            ),
        ));
    }
    if token.is_empty() {
        return Err(Error::new(
            ErrorKind::Auth,
            format!(
                "token command produced no output{}",
                stderr_note(&err, None)
            ),
        ));
    }
    if token.contains(|c: char| c.is_control()) {
        return Err(Error::new(
            ErrorKind::Auth,
            "token command printed more than one line or control characters; a token is one line",
        ));
    }
    Ok(token)
}

/// Reads a pipe to its end on a thread; the channel delivers what was read.
fn reader(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(pipe) = pipe {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.take(OUTPUT_LIMIT).read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
    } else {
        let _ = tx.send(Vec::new());
    }
    rx
}

/// Ends the command and every process it started (its process group), then reaps it.
fn kill_group(child: &mut std::process::Child) {
    crate::sys::kill_process_group(child);
    let _ = child.kill();
    let _ = child.wait();
}

/// ": <the end of stderr>", without the token and without anything shaped like a JWT.
fn stderr_note(err: &[u8], token: Option<&str>) -> String {
    let mut text = String::from_utf8_lossy(err).trim().to_string();
    if let Some(t) = token.filter(|t| t.len() >= 4) {
        text = text.replace(t, "<redacted>");
    }
    let text: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            if looks_like_jwt(w) {
                "<redacted>".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let text = text.join(" ");
    if text.is_empty() {
        return String::new();
    }
    let chars: Vec<char> = text.chars().collect();
    let shown: String = if chars.len() > STDERR_SHOWN {
        format!(
            "…{}",
            chars[chars.len() - STDERR_SHOWN..]
                .iter()
                .collect::<String>()
        )
    } else {
        text
    };
    format!(": {shown}")
}

/// Three base64url parts with a long middle: a JWT, wherever it appears in a word.
fn looks_like_jwt(word: &str) -> bool {
    let core = word.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts[1].len() >= 16
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_the_token() {
        assert_eq!(
            run("printf '  tok-123\\n'", Duration::from_secs(10)).unwrap(),
            "tok-123"
        );
    }

    #[test]
    fn failures_quote_stderr_without_tokens() {
        let e = run(
            "echo tok-abcdef; echo 'denied: eyJhbGciOi.eyJzdWIiOiJ0ZXN0dXNlciJ9.c2ln and tok-abcdef' >&2; exit 3",
            Duration::from_secs(10),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.message().contains("exit 3"), "{e}");
        assert!(e.message().contains("denied:"), "{e}");
        assert!(!e.message().contains("tok-abcdef"), "{e}");
        assert!(!e.message().contains("eyJzdWIi"), "{e}");
        let e = run("true", Duration::from_secs(10)).unwrap_err();
        assert!(e.message().contains("no output"), "{e}");
    }

    #[test]
    fn a_hanging_command_is_stopped_at_its_deadline() {
        let started = Instant::now();
        let e = run(
            "echo waiting >&2; sleep 30; echo late",
            Duration::from_millis(500),
        )
        .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.message().contains("no token within"), "{e}");
        // A child left holding the output open does not hold the call either.
        let started = Instant::now();
        let e = run("(sleep 30; echo x) & echo tok", Duration::from_millis(500));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(e.is_err());
    }
}
