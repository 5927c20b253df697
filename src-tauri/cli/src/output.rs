//! How results and errors are printed: text for people, `--json` for scripts.

use br_api::ApiError;
use serde::Serialize;

use crate::Cli;

pub fn print<T: Serialize>(cli: &Cli, value: &T, text: impl FnOnce(&T) -> String) {
    if cli.json {
        println!("{}", serde_json::to_string_pretty(value).expect("responses serialise"));
    } else {
        let t = text(value);
        if !t.is_empty() {
            println!("{t}");
        }
    }
}

pub fn error(cli: &Cli, e: &ApiError) {
    if cli.json {
        println!("{}", serde_json::to_string_pretty(e).expect("errors serialise"));
    }
    eprintln!("error [{}]: {}", e.code.as_str(), e.message);
}

pub fn note(msg: &str) {
    eprintln!("note: {msg}");
}
