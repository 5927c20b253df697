//! Each subcommand: parse arguments, open and log in, call the API, print.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use br_api::files::{InputFile, LocalFiles, OutputFile};
use br_api::ops::*;
use br_api::{call, lifecycle, ApiError, Context, Progress};
use br_core::auth::{Role, Session, UserChange};
use br_core::io::export::ExportOptions;
use br_core::io::import::{ImportOptions, ImportPhase, ImportStatus};
use br_core::io::mapping::ColumnMapping;
use br_core::registry::model::{ListItem, ListName, RegistrantKind, RegistrantStatus, RegistrantSummary};
use br_core::registry::service::RegistrantKey;
use br_core::search::{Filters, MatchedBy, SearchRequest, SearchResponse, SortKey};
use br_core::{CreateRegistry, Registry};
use clap::Args;

use crate::credentials;
use crate::output::{note, print};
use crate::paging::{print_pages, Page, PageArgs, Text};
use crate::{AuditCommand, Cli, Command, ListCommand, UserCommand};

#[derive(Args)]
pub struct SearchArgs {
    /// A reference number, an ID value, a phone number or a name (prefixes match).
    query: Option<String>,
    #[arg(long)]
    area: Option<String>,
    #[arg(long)]
    sex: Option<String>,
    #[arg(long)]
    age_min: Option<u32>,
    #[arg(long)]
    age_max: Option<u32>,
    #[arg(long)]
    tag: Option<String>,
    /// active or disabled
    #[arg(long)]
    status: Option<String>,
    /// individual or group
    #[arg(long)]
    kind: Option<String>,
    /// reference, name or birth_date
    #[arg(long, default_value = "reference")]
    sort: String,
    #[arg(long)]
    desc: bool,
    #[arg(long, default_value_t = 20)]
    limit: u32,
    #[command(flatten)]
    page: PageArgs,
    /// Show names and birth dates unmasked (needs the permission; audited).
    #[arg(long)]
    reveal: bool,
}

pub(crate) fn no_progress(_: Progress) {}

/// Set by Ctrl-C during an import: the import stops after its current batch.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// The first Ctrl-C cancels the import cleanly; a second one exits at once (the open transaction rolls
/// back, and list indexes an import had set aside are rebuilt at the next start).
pub(crate) fn cancel_on_ctrl_c() {
    let installed = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ncancelling after the current batch (whole households only are kept); Ctrl-C again to stop now");
    });
    if let Err(e) = installed {
        note(&format!("Ctrl-C will stop the import without a clean cancel ({e})"));
    }
}

fn io_err(context: &str, e: std::io::Error) -> ApiError {
    ApiError::from(br_core::CoreError::io(context, e))
}

fn open(cli: &Cli) -> Result<Registry, ApiError> {
    let unlock = credentials::unlock();
    let registry = lifecycle::open_registry(&cli.registry, &unlock)?;
    if unlock.use_credential_store {
        if let Some(why) = registry.store().credential_store_note() {
            note(&format!("{why}; opened with the recovery passphrase"));
        }
    }
    Ok(registry)
}

fn login(registry: &Registry) -> Result<Session, ApiError> {
    let user = credentials::username()?;
    let password = credentials::password()?;
    lifecycle::login(registry, &user, &password)
}

/// Opens the registry, logs in and runs `f` with a context whose progress goes to `progress`.
pub(crate) fn with_session<T>(
    cli: &Cli,
    progress: &(dyn Fn(Progress) + Sync),
    f: impl FnOnce(&Context<'_>, &Session) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let registry = open(cli)?;
    let session = login(&registry)?;
    let ctx = Context { registry: &registry, files: &LocalFiles, progress, cancel: &CANCEL };
    f(&ctx, &session)
}

/// A command-line word as one of the API's snake_case enums.
fn parse_choice<T: serde::de::DeserializeOwned>(v: &Option<String>, err: &str) -> Result<Option<T>, ApiError> {
    v.as_ref()
        .map(|x| serde_json::from_value(serde_json::Value::String(x.clone())).map_err(|_| ApiError::invalid(err)))
        .transpose()
}

fn parse_list(s: &str) -> Result<ListName, ApiError> {
    parse_choice(&Some(s.to_string()), "lists are id_type, sex, membership_kind, area, tag").map(|l| l.expect("given"))
}

pub fn load_areas_file(ctx: &Context<'_>, session: &Session, path: &Path) -> Result<usize, ApiError> {
    let mut r =
        csv::Reader::from_path(path).map_err(|e| ApiError::invalid(format!("reading {}: {e}", path.display())))?;
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.map_err(|e| ApiError::invalid(format!("reading {}: {e}", path.display())))?;
        let (Some(code), Some(label)) = (rec.get(0), rec.get(1)) else { continue };
        let item = ListItem { code: code.to_string(), label: label.to_string(), parent: None, active: true };
        call(ctx, session, UpsertListItemRequest { list: ListName::Area, item })?;
        n += 1;
    }
    Ok(n)
}

fn import_progress_printer() -> impl Fn(Progress) + Sync {
    let tty = std::io::stderr().is_terminal();
    move |p: Progress| {
        let Progress::Import(p) = p else { return };
        if tty {
            let pct = (p.bytes_done * 100).checked_div(p.bytes_total).unwrap_or(0);
            match p.phase {
                ImportPhase::Writing => {
                    eprint!("\rimporting {pct:>3}%  {} rows read, {} rejected   ", p.rows_read, p.rejected)
                }
                ImportPhase::Indexing => eprint!("\rbuilding list indexes...                              "),
            }
        }
    }
}

pub fn run(cli: &Cli) -> Result<(), ApiError> {
    match &cli.command {
        Command::Init { office_code, office_name, admin_name, areas, keep } => {
            let admin_username = credentials::username()?;
            let admin_password = credentials::new_secret("BR_PASSWORD", "Admin password")?;
            let recovery_passphrase = credentials::new_secret("BR_PASSPHRASE", "Recovery passphrase")?;
            let (registry, session) = lifecycle::create_registry(
                &cli.registry,
                CreateRegistry {
                    office_code: office_code.clone(),
                    office_name: office_name.clone(),
                    admin_username,
                    admin_display_name: admin_name.clone(),
                    admin_password,
                    recovery_passphrase,
                    use_credential_store: credentials::use_credential_store(),
                    privacy: *keep,
                },
            )?;
            let info = registry.info()?;
            if let Some(why) = &info.credential_store_note {
                note(why);
            }
            let cancel = AtomicBool::new(false);
            let ctx = Context { registry: &registry, files: &LocalFiles, progress: &no_progress, cancel: &cancel };
            let areas_loaded = match areas {
                Some(p) => load_areas_file(&ctx, &session, p)?,
                None => 0,
            };
            print(cli, &info, |i| {
                format!(
                    "created registry for {} ({}) in {}\nkey kept in: {:?}; keep the recovery passphrase on paper: it is the only way to open a backup elsewhere\npersonal data kept: {}\n{}",
                    i.office_name,
                    i.office_code,
                    cli.registry.display(),
                    i.key_source,
                    i.privacy.keep_list(),
                    if areas_loaded > 0 { format!("{areas_loaded} areas loaded") } else { String::new() }
                )
                .trim_end()
                .to_string()
            });
            Ok(())
        }
        Command::User { command: UserCommand::Add { username, role, name } } => {
            with_session(cli, &no_progress, |ctx, s| {
                let role = Role::parse(role)?;
                let password = credentials::new_secret("BR_NEW_PASSWORD", "New user's password")?;
                let user = call(
                    ctx,
                    s,
                    AddUserRequest {
                        username: username.clone(),
                        display_name: name.clone().unwrap_or_else(|| username.clone()),
                        role,
                        password,
                    },
                )?;
                print(cli, &user, |u| format!("added {} ({})", u.username, u.role.as_str()));
                Ok(())
            })
        }
        Command::User { command: UserCommand::Update { username, role, name, disable, enable, reset_password } } => {
            with_session(cli, &no_progress, |ctx, s| {
                let change = UserChange {
                    display_name: name.clone(),
                    role: role.as_deref().map(Role::parse).transpose()?,
                    disabled: if *disable {
                        Some(true)
                    } else if *enable {
                        Some(false)
                    } else {
                        None
                    },
                    password: if *reset_password {
                        Some(credentials::new_secret("BR_NEW_PASSWORD", "New password")?)
                    } else {
                        None
                    },
                };
                let user = call(ctx, s, UpdateUserRequest { username: username.clone(), change })?;
                print(cli, &user, |u| {
                    format!("{} is now {}{}", u.username, u.role.as_str(), if u.disabled { ", disabled" } else { "" })
                });
                Ok(())
            })
        }
        Command::User { command: UserCommand::List } => with_session(cli, &no_progress, |ctx, s| {
            let users = call(ctx, s, ListUsersRequest {})?;
            print(cli, &users, |u| {
                u.users
                    .iter()
                    .map(|u| {
                        format!(
                            "{:<20} {:<16} {}{}",
                            u.username,
                            u.role.as_str(),
                            u.display_name,
                            if u.disabled { " (disabled)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }),
        Command::List { command: ListCommand::Add { list, code, label } } => {
            with_session(cli, &no_progress, |ctx, s| {
                let item = ListItem { code: code.clone(), label: label.clone(), parent: None, active: true };
                let done = call(ctx, s, UpsertListItemRequest { list: parse_list(list)?, item })?;
                print(cli, &done, |_| format!("{list}: {code} = {label}"));
                Ok(())
            })
        }
        Command::List { command: ListCommand::Show { list } } => with_session(cli, &no_progress, |ctx, s| {
            let items = call(ctx, s, GetListRequest { list: parse_list(list)? })?;
            print(cli, &items, |l| {
                l.items.iter().map(|i| format!("{:<16} {}", i.code, i.label)).collect::<Vec<_>>().join("\n")
            });
            Ok(())
        }),
        Command::Import { file, mapping, sheet, rejects, batch_rows } => {
            let mapping = match mapping {
                Some(p) => {
                    let text =
                        std::fs::read_to_string(p).map_err(|e| io_err(&format!("reading {}", p.display()), e))?;
                    Some(ColumnMapping::from_json(&text)?)
                }
                None => None,
            };
            let printer = import_progress_printer();
            cancel_on_ctrl_c();
            with_session(cli, &printer, |ctx, s| {
                let summary = call(
                    ctx,
                    s,
                    ImportRequest {
                        file: InputFile::Path { path: file.display().to_string() },
                        options: ImportOptions {
                            mapping,
                            sheet: sheet.clone(),
                            batch_rows: *batch_rows,
                            rejects_path: rejects.as_ref().map(|p| p.display().to_string()),
                            defer_list_indexes: None,
                        },
                    },
                )?
                .result;
                if std::io::stderr().is_terminal() {
                    eprintln!();
                }
                print(cli, &summary, |s| {
                    let mut t = format!(
                        "{}{} rows read in {:.1} s: {} inserted, {} updated, {} unchanged, {} rejected; {} households created",
                        if s.status == ImportStatus::Cancelled {
                            "CANCELLED (import the file again to finish; nothing is duplicated): "
                        } else {
                            ""
                        },
                        s.rows_read,
                        s.elapsed_ms as f64 / 1000.0,
                        s.inserted,
                        s.updated,
                        s.unchanged,
                        s.rejected,
                        s.households_created
                    );
                    if let Some(r) = &s.rejects_file {
                        t.push_str(&format!("\nrejected rows, with line, column and reason: {r}"));
                    }
                    if !s.unmapped_columns.is_empty() {
                        t.push_str(&format!("\nnot stored (no field mapped): {}", s.unmapped_columns.join(", ")));
                    }
                    if let Some(cut) = s.dropped.describe() {
                        t.push_str(&format!("\n{cut}"));
                    }
                    t
                });
                Ok(())
            })
        }
        Command::Export { file, personal, include_disabled, overwrite } => with_session(cli, &no_progress, |ctx, s| {
            let summary = call(
                ctx,
                s,
                ExportRequest {
                    to: OutputFile::Path { path: file.display().to_string(), overwrite: *overwrite },
                    options: ExportOptions { include_personal: *personal, include_disabled: *include_disabled },
                },
            )?
            .result;
            print(cli, &summary, |s| {
                format!(
                    "exported {} individuals to {}; personal data: {}",
                    s.rows,
                    s.path,
                    if s.contains_personal_data { "YES, unmasked: keep this file safe" } else { "masked" }
                )
            });
            Ok(())
        }),
        Command::Search(a) => with_session(cli, &no_progress, |ctx, s| {
            let status: Option<RegistrantStatus> = parse_choice(&a.status, "status is active or disabled")?;
            let kind: Option<RegistrantKind> = parse_choice(&a.kind, "kind is individual or group")?;
            let sort: SortKey =
                parse_choice(&Some(a.sort.clone()), "sort is reference, name or birth_date")?.unwrap_or_default();
            let req = SearchRequest {
                query: a.query.clone(),
                filters: Filters {
                    area: a.area.clone(),
                    sex: a.sex.clone(),
                    age_min: a.age_min,
                    age_max: a.age_max,
                    tag: a.tag.clone(),
                    status,
                    kind,
                },
                sort,
                descending: a.desc,
                limit: Some(a.limit),
                cursor: None,
                reveal: a.reveal,
            };
            print_pages(
                cli,
                &a.page,
                |after| call(ctx, s, SearchRequest { cursor: after, ..req.clone() }),
                Text {
                    head: &|r: &SearchResponse| {
                        (r.matched_by != MatchedBy::List).then(|| format!("matched by {:?}", r.matched_by))
                    },
                    item: &|i: &RegistrantSummary| {
                        format!(
                            "{:<14} {:<32} {:<7} {:<11} {:<6} {}",
                            i.reference,
                            i.display_name,
                            i.sex.as_deref().unwrap_or("-"),
                            i.birth_date.as_deref().unwrap_or("-"),
                            i.area.as_deref().unwrap_or("-"),
                            i.status.as_str()
                        )
                    },
                    empty: "no registrant matches",
                    mark: "(similar spelling or another script)",
                },
            )
        }),
        Command::Show { reference, reveal } => with_session(cli, &no_progress, |ctx, s| {
            let key = match uuid::Uuid::parse_str(reference) {
                Ok(id) => RegistrantKey::Id(id),
                Err(_) => RegistrantKey::Reference(reference.to_uppercase()),
            };
            let d = call(ctx, s, GetRegistrantRequest { key, reveal: *reveal })?;
            print(cli, &d, |d| {
                let r = &d.registrant;
                let f = &r.fields;
                let mut t = vec![
                    format!("{} ({}, {})", r.reference, r.kind.as_str(), r.status.as_str()),
                    format!("  id:            {}", r.id),
                ];
                let mut put = |label: &str, v: Option<&str>| {
                    if let Some(v) = v {
                        t.push(format!("  {label:<14} {v}"));
                    }
                };
                put("external id:", f.external_id.as_deref());
                put("name:", f.group_name.as_deref());
                put("given name:", f.given_name.as_deref());
                put("family name:", f.family_name.as_deref());
                put("sex:", f.sex.as_deref());
                put("birth date:", f.birth_date.as_deref());
                put("phone:", f.phone.as_deref());
                put("area:", f.area.as_deref());
                put("disabled:", r.disabled_reason.as_deref());
                for doc in &f.ids {
                    t.push(format!("  {:<14} {}", format!("{}:", doc.id_type), doc.value));
                }
                for (k, v) in &f.custom {
                    t.push(format!("  {:<14} {v}", format!("{k}:")));
                }
                for g in &d.groups {
                    t.push(format!(
                        "  household:     {} {} ({})",
                        g.registrant.reference, g.registrant.display_name, g.kind
                    ));
                }
                if !d.members.is_empty() {
                    t.push("  members:".into());
                    for m in &d.members {
                        t.push(format!("    {} {} ({})", m.registrant.reference, m.registrant.display_name, m.kind));
                    }
                }
                if r.masked {
                    t.push("  (personal fields masked; --reveal to show them, which is audited)".into());
                }
                if d.programs.is_empty() {
                    t.push("  programs:      none".into());
                } else {
                    t.push("  programs:".into());
                    for p in &d.programs {
                        let mut line = format!("    {:<10} {:<13}", p.program_code, p.state.as_str());
                        if let Some(on) = &p.enrolled_on {
                            line.push_str(&format!(" enrolled {on}"));
                        }
                        if let Some(on) = &p.exited_on {
                            line.push_str(&format!(" exited {on}"));
                        }
                        if let Some(why) = &p.reason {
                            line.push_str(&format!(" ({why})"));
                        }
                        t.push(line);
                    }
                }
                if d.entitlements.is_empty() {
                    t.push("  entitlements:  none".into());
                } else {
                    t.push("  entitlements:".into());
                    for e in &d.entitlements {
                        let what = match (e.quantity, &e.unit) {
                            (Some(q), Some(u)) => format!("{q} {u} {}", e.product.as_deref().unwrap_or("")),
                            _ => format!(
                                "{} {}",
                                br_core::money::format(e.amount, &e.currency),
                                e.voucher_code.as_deref().unwrap_or("")
                            ),
                        };
                        let approvals: Vec<String> = e
                            .approvals
                            .iter()
                            .map(|a| format!("stage {} {} by {} {}", a.stage, a.decision, a.actor, &a.at[..10]))
                            .collect();
                        t.push(format!(
                            "    {:<10} {:<12} {:<11} {}{}",
                            e.program_code,
                            e.cycle_name,
                            e.state.as_str(),
                            what.trim(),
                            if approvals.is_empty() { String::new() } else { format!(" ({})", approvals.join("; ")) }
                        ));
                    }
                }
                if !d.payments.is_empty() {
                    t.push("  payments:".into());
                    for p in &d.payments {
                        t.push(format!(
                            "    {:<10} {:<12} {:<9} {} batch {} {}{}",
                            p.program_code,
                            p.cycle_name,
                            p.state.as_str(),
                            br_core::money::format(p.amount, &p.currency),
                            p.batch_sequence,
                            p.external_ref.as_deref().map(|r| format!("ref {r}")).unwrap_or_default(),
                            p.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
                        ));
                    }
                }
                t.join("\n")
            });
            Ok(())
        }),
        Command::Audit { command: AuditCommand::Verify { against } } => with_session(cli, &no_progress, |ctx, s| {
            let Some(file) = against else {
                let report = call(ctx, s, AuditVerifyRequest {})?;
                print(cli, &report, |r| {
                    if r.ok {
                        format!("audit chain intact: {} entries verified", r.entries_checked)
                    } else {
                        format!(
                            "AUDIT CHAIN BROKEN at entry {}: {} ({} entries verified before it)",
                            r.first_broken_seq.unwrap_or(0),
                            r.reason.as_deref().unwrap_or(""),
                            r.entries_checked
                        )
                    }
                });
                return if report.ok {
                    Ok(())
                } else {
                    Err(ApiError::from(br_core::CoreError::AuditChainBroken {
                        seq: report.first_broken_seq.unwrap_or(0),
                        reason: report.reason.unwrap_or_default(),
                    }))
                };
            };
            let anchor = crate::audit_files::read_anchor(file)?;
            let report = call(ctx, s, AuditVerifyAnchorRequest { anchor })?;
            print(cli, &report, |r| {
                if r.ok {
                    format!(
                        "audit log holds the anchor of {} (entry {}); {} entries now, chain intact",
                        r.anchored_at, r.anchored_seq, r.entries_now
                    )
                } else {
                    format!("AUDIT LOG DOES NOT MATCH THE ANCHOR: {}", r.reason.as_deref().unwrap_or(""))
                }
            });
            if report.ok {
                Ok(())
            } else {
                Err(ApiError::from(br_core::CoreError::AuditChainBroken {
                    seq: report.anchored_seq,
                    reason: report.reason.unwrap_or_default(),
                }))
            }
        }),
        Command::Audit { command: AuditCommand::Head } => with_session(cli, &no_progress, |ctx, s| {
            let head = call(ctx, s, AuditHeadRequest {})?;
            crate::output::stdout_json(&head);
            Ok(())
        }),
        Command::Check => with_session(cli, &no_progress, |ctx, s| {
            let report = call(ctx, s, RegistryCheckRequest {})?;
            print(cli, &report, |r| {
                r.checks
                    .iter()
                    .map(|c| format!("{} {}: {}", if c.problems == 0 { "ok  " } else { "FAIL" }, c.name, c.description))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            let broken: Vec<String> = report
                .checks
                .iter()
                .filter(|c| c.problems > 0)
                .map(|c| format!("{} ({})", c.name, c.problems))
                .collect();
            if broken.is_empty() {
                Ok(())
            } else {
                Err(ApiError::from(br_core::CoreError::InvariantsBroken { checks: broken }))
            }
        }),
        Command::Backup { destination } => with_session(cli, &no_progress, |ctx, s| {
            let b = call(ctx, s, BackupRequest { destination: destination.display().to_string() })?;
            print(cli, &b, |b| {
                format!("backup written to {} ({} bytes of encrypted database)", b.path, b.database_bytes)
            });
            Ok(())
        }),
        Command::Restore { backup } => {
            let registry = lifecycle::restore_backup(backup, &cli.registry, &credentials::unlock())?;
            let info = registry.info()?;
            print(cli, &info, |i| {
                format!("restored {} ({}) into {}", i.office_name, i.office_code, cli.registry.display())
            });
            Ok(())
        }
        Command::Gen { individuals, out, duplicate_rate, seed, id_prefix } => {
            let summary = br_core::synth::generate(
                out,
                &br_core::synth::GenOptions {
                    individuals: *individuals,
                    duplicate_rate: *duplicate_rate,
                    seed: *seed,
                    id_prefix: id_prefix.clone(),
                },
            )?;
            print(cli, &summary, |s| {
                format!(
                    "{} individuals in {} households ({} planted duplicates)\n  {}\n  {}\n  {}",
                    s.individuals, s.households, s.planted_duplicates, s.registrants_file, s.truth_file, s.areas_file
                )
            });
            Ok(())
        }
        Command::Serve { listen, ui, tls_cert, tls_key, server_names } => {
            crate::serve::serve(crate::serve::ServeOptions {
                registry: cli.registry.clone(),
                listen: *listen,
                ui: ui.clone(),
                tls: tls_cert
                    .clone()
                    .zip(tls_key.clone())
                    .map(|(certificate, key)| crate::tls::TlsFiles { certificate, key }),
                server_names: server_names.clone(),
            })
        }
        Command::Outbox { command } => crate::outbox::run_outbox(cli, command),
        Command::Sync { command } => crate::sync::run_sync(cli, command),
        Command::Program { command } => crate::programs::run_program(cli, command),
        Command::Dedup { command } => crate::dedup::run_dedup(cli, command),
        Command::Cycle { command } => crate::cycles::run_cycle(cli, command),
        Command::Fund { command } => crate::cycles::run_fund(cli, command),
        Command::Payment { command } => crate::cycles::run_payment(cli, command),
        Command::Bench { individuals, dir } => crate::bench::run(cli, *individuals, dir.as_deref()),
    }
}

impl Page for SearchResponse {
    type Item = RegistrantSummary;
    fn items(&self) -> &[RegistrantSummary] {
        &self.items
    }
    fn next(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
    fn marked(&self, index: usize) -> bool {
        self.similar_from.is_some_and(|from| index >= from as usize)
    }
}
