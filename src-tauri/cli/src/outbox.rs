//! `br outbox`: the change log as a file, for offices that move it by hand (docs/sync-ops.md).

use std::io::IsTerminal;
use std::path::PathBuf;

use br_api::change_log::{OutboxExportRequest, OutboxReplayRequest};
use br_api::files::{InputFile, OutputFile};
use br_api::{call, ApiError, Progress};
use clap::Subcommand;

use crate::commands::{cancel_on_ctrl_c, no_progress, with_session};
use crate::credentials::{existing_secret, new_secret};
use crate::output::print;
use crate::Cli;

/// Where scripts give the file's passphrase; a person types it.
const PASSPHRASE_ENV: &str = "BR_CHANGE_LOG_PASSPHRASE";

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Write this registry's change log to FILE, sealed with a passphrase (BR_CHANGE_LOG_PASSPHRASE or
    /// typed twice): it holds every synced row unmasked, like a backup.
    Export {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        overwrite: bool,
    },
    /// Replay a change log written by another registry into this one. Ops already applied are skipped,
    /// so a file can be replayed again; ops that arrive too late to apply are kept as conflicts. The
    /// passphrase comes from BR_CHANGE_LOG_PASSPHRASE or is typed.
    Replay { file: PathBuf },
}

pub fn run_outbox(cli: &Cli, command: &OutboxCommand) -> Result<(), ApiError> {
    match command {
        OutboxCommand::Export { file, overwrite } => with_session(cli, &no_progress, |ctx, s| {
            let to = OutputFile::Path { path: file.display().to_string(), overwrite: *overwrite };
            let passphrase = new_secret(PASSPHRASE_ENV, "Change-log passphrase")?;
            let out = call(ctx, s, OutboxExportRequest { to, passphrase })?.result;
            print(cli, &out, |o| format!("{} ops written to {} ({} bytes)", o.ops, file.display(), o.bytes));
            Ok(())
        }),
        OutboxCommand::Replay { file } => {
            cancel_on_ctrl_c();
            let tty = std::io::stderr().is_terminal();
            let printer = move |p: Progress| {
                if let (Progress::Replay(p), true) = (p, tty) {
                    eprint!("\rreplayed {}        ", p.done);
                }
            };
            with_session(cli, &printer, |ctx, s| {
                let passphrase = existing_secret(PASSPHRASE_ENV, "Change-log passphrase")?;
                let req =
                    OutboxReplayRequest { file: InputFile::Path { path: file.display().to_string() }, passphrase };
                let r = call(ctx, s, req)?;
                if tty {
                    eprintln!();
                }
                print(cli, &r, |r| {
                    format!(
                        "{} ops read: {} applied, {} already here or overtaken, {} kept as conflicts",
                        r.read, r.applied, r.unchanged, r.conflicts
                    )
                });
                Ok(())
            })
        }
    }
}
