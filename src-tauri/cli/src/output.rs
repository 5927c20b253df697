//! How results and errors are printed: text for people, `--json` for scripts.

use br_api::ApiError;
use serde::Serialize;

use crate::Cli;

/// Writes one block to standard output. A reader that went away (`br search … | head`) is not an error:
/// the work is done and committed, so the command ends quietly instead of panicking on the closed pipe.
fn stdout_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error [io]: could not write the output: {e}");
        std::process::exit(1);
    }
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"code\":\"internal\",\"message\":\"{e}\"}}"))
}

/// One JSON value on one line (JSON Lines, for `--all --json`).
pub fn json_line<T: Serialize>(value: &T) {
    stdout_line(
        &serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"code\":\"internal\",\"message\":\"{e}\"}}")),
    );
}

/// JSON whatever the output mode: for a document that is kept, such as the audit head.
pub fn stdout_json<T: Serialize>(value: &T) {
    stdout_line(&json(value));
}

pub fn print<T: Serialize>(cli: &Cli, value: &T, text: impl FnOnce(&T) -> String) {
    if cli.json {
        stdout_line(&json(value));
    } else {
        let t = text(value);
        if !t.is_empty() {
            stdout_line(&t);
        }
    }
}

pub fn error(cli: &Cli, e: &ApiError) {
    if cli.json {
        stdout_line(&json(e));
    }
    eprintln!("error [{}]: {}", e.code.as_str(), e.message);
}

pub fn note(msg: &str) {
    eprintln!("note: {msg}");
}
