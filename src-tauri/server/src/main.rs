//! `br-server`: migrate the database, serve desks, and manage offices and devices (docs/sync.md).

use std::path::PathBuf;
use std::process::ExitCode;

use br_protocol::SNAPSHOT_CHUNK_OPS;
use br_server::config::{FileConfig, Listen, DEFAULT_CODE_HOURS, DEFAULT_POOL_SIZE};
use br_server::dci::oauth;
use br_server::error::{Result, ServerError};
use br_server::{admin, db, disburse, privacy, projection, retention, serve, sr};
use clap::{Parser, Subcommand};
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "br-server",
    version,
    about = "The Beneficiary Registry's central server: desks of many offices sync through it"
)]
struct Cli {
    /// A TOML file of settings (database_url, listen, tls_cert, tls_key, allow_plain_http, pool_size,
    /// enrolment_code_hours, snapshot_chunk_ops, sr_sources, disbursement_engine); variables and flags
    /// override it.
    #[arg(long, env = "BR_SERVER_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// PostgreSQL, as `postgres://user@host:port/db` or `host=… port=… dbname=…`.
    #[arg(long, env = "BR_SERVER_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates or upgrades the database's schema (safe to run again; two at once take turns).
    Migrate,
    /// Serves desks until Ctrl-C or SIGTERM.
    Serve {
        /// host:port; plain HTTP only on loopback unless --allow-plain-http.
        #[arg(long, env = "BR_SERVER_LISTEN")]
        listen: Option<String>,
        #[arg(long, env = "BR_SERVER_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        #[arg(long, env = "BR_SERVER_TLS_KEY")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP beyond loopback (only behind a proxy that terminates TLS).
        #[arg(long, env = "BR_SERVER_ALLOW_PLAIN_HTTP")]
        allow_plain_http: bool,
        /// Ops per snapshot chunk, 1 to 10,000 (the default): smaller chunks resume sooner on a poor line.
        #[arg(long, env = "BR_SERVER_SNAPSHOT_CHUNK_OPS")]
        snapshot_chunk_ops: Option<usize>,
    },
    /// Offices: the units that own registrants and programs.
    #[command(subcommand)]
    Office(OfficeCommand),
    /// Desks: enrolment codes, the list, revocation.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Systems that call the DCI endpoints with OAuth2 client credentials (docs/interop.md).
    #[command(subcommand)]
    Client(ClientCommand),
    /// The keys that sign access tokens.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The registry view the DCI answers read (docs/interop.md).
    #[command(subcommand)]
    View(ViewCommand),
    /// Payment batches through a disbursement engine (docs/interop.md).
    #[command(subcommand)]
    Disburse(DisburseCommand),
    /// Social Registry sources: pull their beneficiaries (docs/interop.md).
    #[command(subcommand)]
    Sr(SrCommand),
    /// Which personal fields the registry keeps (docs/privacy.md).
    #[command(subcommand)]
    Privacy(PrivacyCommand),
    /// Forgets IBR answers after 7 days, DCI transactions after 90 and taken Social Registry deliveries
    /// after 7 (serve does this every hour).
    Prune,
    /// Ops the server refused, newest first, with the reason.
    Rejected {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum OfficeCommand {
    /// Adds an office.
    Add {
        code: String,
        #[arg(long)]
        name: String,
        /// Headquarters sees every office's data.
        #[arg(long)]
        headquarters: bool,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Adds a client and prints its id and secret (shown this once).
    Add {
        name: String,
        /// `ibr` (memberships, entitlements, payments by ID) and `ibr.names` (adds names, sex, birth date).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// The only address asynchronous answers to this client are sent to.
        #[arg(long)]
        callback: Option<String>,
    },
    /// Lists the clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revokes a client: its tokens stop working at once.
    Revoke { name: String },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// A new key signs tokens from now; the old ones verify what they signed until it expires.
    Rotate,
}

#[derive(Subcommand)]
enum DisburseCommand {
    /// Sends a prepared batch's payments that the engine does not hold yet (safe to run again).
    Send {
        batch: Uuid,
        /// The engine's settings file (or `disbursement_engine` in the config file).
        #[arg(long)]
        engine: Option<PathBuf>,
    },
    /// Asks the engine for the batch's results, passes new ones on to the desks, and shows the batch.
    Status {
        batch: Uuid,
        #[arg(long)]
        engine: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SrCommand {
    /// Pulls records from a Social Registry: new people and households are created in the office their
    /// area names, changed ones updated, the rest left alone; rejected records are listed with the reason.
    Pull {
        /// A source named in the config file's `sr_sources`, or a mapping file's path.
        #[arg(long)]
        source: String,
        /// A JSON file with the search criteria (`query_type` and `query`) instead of "every record".
        #[arg(long)]
        query: Option<PathBuf>,
        /// Only records changed since this date or time (RFC 3339), by the source's `since_attribute`.
        #[arg(long)]
        since: Option<String>,
        /// Pull again every N minutes, each time since the last pull started (until Ctrl-C).
        #[arg(long)]
        every: Option<u64>,
        /// Ask asynchronously: answers come to our /registry/on-search at this address.
        #[arg(long = "async", value_name = "CALLBACK_URL")]
        callback: Option<String>,
        /// How long to wait for each asynchronous answer, in seconds.
        #[arg(long, default_value_t = 300)]
        wait: u64,
        /// Take the notifications the source delivered to /registry/notify instead of searching.
        #[arg(long, conflicts_with_all = ["query", "since", "callback"])]
        notified: bool,
    },
    /// Subscribes to a source's changes: it notifies our /registry/notify at CALLBACK_URL; take them with
    /// `sr pull --notified`.
    Subscribe {
        #[arg(long)]
        source: String,
        #[arg(long = "callback-url")]
        callback: String,
        #[arg(long)]
        query: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PrivacyCommand {
    /// Prints the fields the registry keeps.
    Show,
    /// Chooses them, before the first desk enrols: a comma-separated list of names, phone, birth_date or
    /// birth_year, id_numbers (without it, ID numbers are kept only as keyed hashes); `all` or `minimal`.
    Set {
        #[arg(long)]
        keep: String,
    },
}

#[derive(Subcommand)]
enum ViewCommand {
    /// Applies the ops accepted since the view was last brought up to date (serve does this itself).
    CatchUp,
    /// Empties the view and builds it again from the whole change log.
    Rebuild,
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Prints a one-time enrolment code for one desk of OFFICE.
    Code {
        office: String,
        /// How long the code stays valid.
        #[arg(long, env = "BR_SERVER_ENROLMENT_CODE_HOURS")]
        hours: Option<u32>,
    },
    /// Lists the enrolled desks.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revokes a desk: its next request is refused.
    Revoke { id: Uuid },
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_logs = matches!(cli.command, Command::Serve { .. });
    init_logs(json_logs);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A source named in the config file, or a mapping file's path.
fn source_file(file: &FileConfig, source: &str) -> Result<PathBuf> {
    match file.sr_sources.as_ref().and_then(|s| s.get(source)) {
        Some(p) => Ok(p.clone()),
        None if source.ends_with(".toml") => Ok(PathBuf::from(source)),
        None => Err(ServerError::Config(format!("no source {source} in the config file's sr_sources"))),
    }
}

fn read_query(path: Option<PathBuf>) -> Result<Option<serde_json::Value>> {
    Ok(match path {
        Some(q) => Some(serde_json::from_str(&std::fs::read_to_string(&q)?)?),
        None => None,
    })
}

fn print_pull(report: &sr::PullReport) {
    println!(
        "pull {}: {} records in {} pages; {} created, {} updated, {} unchanged; {} joined and {} left a household; {} rejected",
        report.pull,
        report.records,
        report.pages,
        report.counts.created,
        report.counts.updated,
        report.counts.unchanged,
        report.counts.joined,
        report.counts.left,
        report.rejected.len()
    );
    if let Some(cut) = report.dropped.describe() {
        println!("{cut}");
    }
    for r in &report.rejected {
        println!("rejected {}: {}", r.external_id, r.reason);
    }
    for r in &report.refused_ops {
        println!("refused op {r}");
    }
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BR_SERVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(if json { "info" } else { "warn" }));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> Result<()> {
    let file = FileConfig::read(cli.config.as_deref())?;
    let url = cli.database_url.or(file.database_url.clone()).ok_or_else(|| {
        ServerError::Config(
            "no database: give --database-url, BR_SERVER_DATABASE_URL or database_url in the config file".into(),
        )
    })?;
    let pool = db::pool(&url, file.pool_size.unwrap_or(DEFAULT_POOL_SIZE))?;
    match cli.command {
        Command::Migrate => {
            let applied = db::migrate(&pool).await?;
            if applied.is_empty() {
                println!("the schema is up to date (version {})", db::SCHEMA_VERSION);
            } else {
                println!("applied schema versions {applied:?}; now at {}", db::SCHEMA_VERSION);
            }
        }
        Command::Serve { listen, tls_cert, tls_key, allow_plain_http, snapshot_chunk_ops } => {
            let listen = Listen::resolve(
                listen.or(file.listen),
                tls_cert.or(file.tls_cert),
                tls_key.or(file.tls_key),
                allow_plain_http || file.allow_plain_http.unwrap_or(false),
            )?;
            let chunk_ops = snapshot_chunk_ops.or(file.snapshot_chunk_ops).unwrap_or(SNAPSHOT_CHUNK_OPS);
            if !(1..=SNAPSHOT_CHUNK_OPS).contains(&chunk_ops) {
                return Err(ServerError::Config(format!(
                    "snapshot chunks hold 1 to {SNAPSHOT_CHUNK_OPS} ops, not {chunk_ops}"
                )));
            }
            // Read at the start, so a wrong engine file stops the server instead of a desk's first send.
            let engine = match &file.disbursement_engine {
                Some(path) => Some(disburse::engine::EngineConfig::read(path)?),
                None => None,
            };
            serve::serve(pool, listen, chunk_ops, engine).await?;
        }
        Command::Office(OfficeCommand::Add { code, name, headquarters }) => {
            let id = admin::office_add(&pool, &code, &name, headquarters).await?;
            println!("office {code} added ({id}){}", if headquarters { ", headquarters" } else { "" });
        }
        Command::Device(DeviceCommand::Code { office, hours }) => {
            let hours = hours.or(file.enrolment_code_hours).unwrap_or(DEFAULT_CODE_HOURS);
            let code = admin::device_code(&pool, &office, hours).await?;
            println!("{}", code.code);
            eprintln!("one desk of office {} can enrol with this code until {}", code.office, code.expires_at);
        }
        Command::Device(DeviceCommand::List { json }) => {
            let devices = admin::device_list(&pool).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else {
                for d in devices {
                    println!(
                        "{}  {:<10} {:<24} acked {:>8}  pulled to {:>8}  rejected {:>4}  last seen {}{}",
                        d.id,
                        d.office,
                        d.name,
                        d.acked_seq,
                        d.pulled_to,
                        d.rejected_ops,
                        d.last_seen_at.as_deref().unwrap_or("never"),
                        d.revoked_at.map(|at| format!("  REVOKED {at}")).unwrap_or_default()
                    );
                }
            }
        }
        Command::Device(DeviceCommand::Revoke { id }) => {
            admin::device_revoke(&pool, id).await?;
            println!("device {id} revoked");
        }
        Command::Client(ClientCommand::Add { name, scopes, callback }) => {
            let made = oauth::client_add(&pool, &name, &scopes, callback.as_deref()).await?;
            println!("client_id     {}", made.client_id);
            println!("client_secret {}", made.client_secret);
            eprintln!("the secret is shown this once; the server keeps only its hash");
        }
        Command::Client(ClientCommand::List { json }) => {
            let clients = oauth::client_list(&pool).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&clients)?);
            } else {
                for c in clients {
                    println!(
                        "{:<24} {:<32} scopes {:<16} added {}{}",
                        c.name,
                        c.client_id,
                        c.scopes.join(","),
                        c.created_at,
                        c.revoked_at.map(|at| format!("  REVOKED {at}")).unwrap_or_default()
                    );
                }
            }
        }
        Command::Client(ClientCommand::Revoke { name }) => {
            oauth::client_revoke(&pool, &name).await?;
            println!("client {name} revoked");
        }
        Command::Key(KeyCommand::Rotate) => {
            let kid = oauth::rotate(&pool).await?;
            println!("key {kid} signs new tokens");
        }
        Command::Disburse(command) => {
            db::check_schema(&pool).await?;
            let engine_file = |given: Option<PathBuf>| {
                given.or(file.disbursement_engine.clone()).ok_or_else(|| {
                    ServerError::Config("give --engine FILE or disbursement_engine in the config file".into())
                })
            };
            match command {
                DisburseCommand::Send { batch, engine } => {
                    let config = disburse::engine::EngineConfig::read(&engine_file(engine)?)?;
                    let report = disburse::send(&pool, &config, batch, &|r| {
                        eprintln!("page {}: {} payments sent", r.pages, r.sent);
                    })
                    .await?;
                    println!(
                        "batch {batch}: {} payments sent in {} pages, {} already with the engine, {} restarts",
                        report.sent, report.pages, report.already_with_engine, report.restarts
                    );
                    if let Some(stuck) = report.stuck {
                        return Err(ServerError::Command(format!("batch {batch} is stuck: {stuck}")));
                    }
                }
                DisburseCommand::Status { batch, engine, json } => {
                    let config = disburse::engine::EngineConfig::read(&engine_file(engine)?)?;
                    let polled = disburse::poll(&pool, &config, batch).await?;
                    let status = disburse::status(&pool, batch).await?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&serde_json::json!({ "polled": polled, "status": status }))?
                        );
                    } else {
                        println!(
                            "engine: {} paid, {} failed, {} reversed, {} pending",
                            polled.paid, polled.failed, polled.reversed, polled.pending
                        );
                        for (state, n) in &status.counts {
                            println!("{state:<9} {n}");
                        }
                        for e in &status.events {
                            println!("{}  {:<20} {}", e.at, e.kind, e.message);
                        }
                    }
                }
            }
        }
        Command::Sr(SrCommand::Subscribe { source, callback, query }) => {
            db::check_schema(&pool).await?;
            let mapping = sr::mapping::Source::read(&source_file(&file, &source)?)?;
            let criteria = sr::criteria(&mapping, read_query(query)?, None);
            let code = tokio::task::spawn_blocking(move || {
                sr::client::SrClient::new(mapping.clone())?.subscribe(&criteria, &callback).map(|c| (mapping.name, c))
            })
            .await
            .map_err(|e| ServerError::Command(e.to_string()))??;
            let client = pool.get().await?;
            client
                .execute(
                    "INSERT INTO sr_subscriptions (source, code) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&code.0, &code.1],
                )
                .await?;
            println!("subscribed to {}: subscription {}", code.0, code.1);
        }
        Command::Sr(SrCommand::Pull { source, query, since, every, callback, wait, notified }) => {
            db::check_schema(&pool).await?;
            let mapping = sr::mapping::Source::read(&source_file(&file, &source)?)?;
            let query = read_query(query)?;
            let fetch = match callback {
                Some(callback) => sr::Fetch::Async { callback, wait: std::time::Duration::from_secs(wait) },
                None => sr::Fetch::Sync,
            };
            let mut since = since;
            loop {
                let started = br_model::clock::now_rfc3339();
                let report = if notified {
                    sr::inbox::take_notified(&pool, &mapping).await?
                } else {
                    let criteria = sr::criteria(&mapping, query.clone(), since.as_deref());
                    sr::pull(&pool, mapping.clone(), criteria, fetch.clone(), &|r| {
                        eprintln!(
                            "page {}: {} records, {} created, {} updated, {} rejected",
                            r.pages,
                            r.records,
                            r.counts.created,
                            r.counts.updated,
                            r.rejected.len()
                        );
                    })
                    .await?
                };
                print_pull(&report);
                let Some(minutes) = every else { break };
                since = Some(started);
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(minutes.max(1) * 60)) => {}
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
        }
        Command::Privacy(command) => {
            db::check_schema(&pool).await?;
            if let PrivacyCommand::Set { keep } = command {
                let profile = br_model::privacy::PrivacyProfile::parse_keep(&keep).map_err(ServerError::Command)?;
                privacy::choose(&pool, profile).await?;
            }
            let client = pool.get().await?;
            let profile = privacy::load(&client).await?.profile();
            println!("personal data kept: {}", profile.keep_list());
        }
        Command::View(command) => {
            db::check_schema(&pool).await?;
            let caught = match command {
                ViewCommand::CatchUp => projection::catch_up(&pool).await?,
                ViewCommand::Rebuild => projection::rebuild(&pool).await?,
            };
            println!(
                "the registry view holds the change log up to cursor {} ({} ops applied)",
                caught.cursor, caught.applied
            );
        }
        Command::Prune => {
            db::check_schema(&pool).await?;
            let p = retention::prune(&pool).await?;
            println!(
                "forgot {} IBR answers, {} DCI transactions, {} Social Registry deliveries",
                p.answers, p.transactions, p.deliveries
            );
        }
        Command::Rejected { limit } => {
            for r in admin::rejected(&pool, limit.clamp(1, 10_000)).await? {
                println!("#{} device {} op {} {}: {} ({})", r.cursor, r.device, r.seq, r.kind, r.code, r.reason);
            }
        }
    }
    Ok(())
}
