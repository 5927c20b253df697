//! `br sync`: this desk and the central server (docs/sync.md).

use std::io::IsTerminal;
use std::path::PathBuf;

use br_api::sync::{
    SyncConflictsRequest, SyncRejectionsRequest, SyncResolveRequest, SyncRunRequest, SyncStatusRequest,
};
use br_api::{call, ApiError, Progress};
use clap::Subcommand;
use uuid::Uuid;

use crate::commands::{cancel_on_ctrl_c, no_progress, with_session};
use crate::output::print;
use crate::Cli;

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Enrol this desk with the central server at URL, with a one-time CODE from its operator
    /// (`br-server device code OFFICE`). The desk takes the office's identity.
    Enrol {
        url: String,
        code: String,
        /// A CA certificate (PEM) to trust for this server, when its certificate is not from a public CA.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// How the server's operator sees this desk.
        #[arg(long)]
        desk_name: Option<String>,
    },
    /// Push this desk's changes, then pull what its office may see. Ctrl-C stops after the page in flight;
    /// the next run resumes there.
    Run,
    /// The server, the last sync, ops waiting to be pushed, conflicts.
    Status,
    /// Conflicts kept for a person to settle (a stale transition, with both sides).
    Conflicts {
        /// Include the settled ones.
        #[arg(long)]
        all: bool,
    },
    /// Settle a conflict: the state stays as it is, and every desk that kept it sees it settled.
    Resolve {
        id: Uuid,
        #[arg(long)]
        note: Option<String>,
    },
    /// This desk's changes the server refused (another office's row, a shared setting).
    Rejections,
}

pub fn run_sync(cli: &Cli, command: &SyncCommand) -> Result<(), ApiError> {
    match command {
        SyncCommand::Enrol { url, code, ca, desk_name } => with_session(cli, &no_progress, |ctx, s| {
            let ca_pem = ca
                .as_ref()
                .map(|p| {
                    std::fs::read_to_string(p)
                        .map_err(|e| ApiError::invalid(format!("cannot read {}: {e}", p.display())))
                })
                .transpose()?;
            let req = br_core::sync::SyncEnrolRequest {
                url: url.clone(),
                code: code.clone(),
                ca_pem,
                desk_name: desk_name.clone(),
            };
            let st = call(ctx, s, req)?;
            print(cli, &st, |st| {
                format!(
                    "enrolled with {} as desk {} of office {} ({}){}",
                    st.server.as_deref().unwrap_or(""),
                    st.desk_number.unwrap_or(1),
                    st.office_code,
                    st.office_name,
                    if st.headquarters { ", headquarters" } else { "" }
                )
            });
            Ok(())
        }),
        SyncCommand::Run => {
            cancel_on_ctrl_c();
            let tty = std::io::stderr().is_terminal();
            let printer = move |p: Progress| {
                if let (Progress::Sync(p), true) = (p, tty) {
                    eprint!("\r{:?}: {} of {}        ", p.phase, p.done, p.total);
                }
            };
            with_session(cli, &printer, |ctx, s| {
                let r = call(ctx, s, SyncRunRequest {})?;
                if tty {
                    eprintln!();
                }
                print(cli, &r, |r| {
                    format!(
                        "pushed {} ({} the server had, {} refused, {} conflicts); pulled {}: {} applied, {} unchanged, {} conflicts; at {} of {}",
                        r.pushed, r.push_duplicates, r.rejected, r.push_conflicts, r.pulled, r.applied, r.unchanged, r.conflicts, r.cursor, r.head
                    )
                });
                Ok(())
            })
        }
        SyncCommand::Status => with_session(cli, &no_progress, |ctx, s| {
            let st = call(ctx, s, SyncStatusRequest {})?;
            print(cli, &st, |st| {
                match &st.server {
                None => format!("not enrolled ({} ops waiting)", st.ops_waiting),
                Some(server) => format!(
                    "server {server}\noffice {} ({}), desk {}{}\nlast sync {}{}\nops waiting {}, pulled to {} of {}\nconflicts {}, refused {}",
                    st.office_code,
                    st.office_name,
                    st.desk_number.unwrap_or(1),
                    if st.headquarters { ", headquarters" } else { "" },
                    st.last_success_at.as_deref().unwrap_or("never"),
                    st.last_error.as_ref().map(|e| format!(" (last attempt failed: {e})")).unwrap_or_default(),
                    st.ops_waiting,
                    st.pulled_to,
                    st.server_head,
                    st.conflicts_open,
                    st.rejected
                ),
            }
            });
            Ok(())
        }),
        SyncCommand::Conflicts { all } => with_session(cli, &no_progress, |ctx, s| {
            let list = call(ctx, s, SyncConflictsRequest { include_resolved: *all })?;
            print(cli, &list, |list| {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}  {} {} ({})  here: {}  other side: {}{}",
                            c.id,
                            c.kind,
                            c.entity_id,
                            c.source,
                            c.local,
                            c.remote,
                            c.resolved_at.as_ref().map(|at| format!("  settled {at}")).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }),
        SyncCommand::Resolve { id, note } => with_session(cli, &no_progress, |ctx, s| {
            let c = call(ctx, s, SyncResolveRequest { id: *id, note: note.clone() })?;
            print(cli, &c, |c| format!("conflict {} settled; the current state is kept", c.id));
            Ok(())
        }),
        SyncCommand::Rejections => with_session(cli, &no_progress, |ctx, s| {
            let list = call(ctx, s, SyncRejectionsRequest {})?;
            print(cli, &list, |list| {
                list.iter()
                    .map(|r| format!("#{} {} {}: {}", r.seq, r.kind, r.code, r.reason))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }),
    }
}
