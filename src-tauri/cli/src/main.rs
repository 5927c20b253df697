//! `br`: the Beneficiary Registry command line. A transport over the `br-api` dispatcher: every command
//! that touches a registry goes through `br_api::call`, like the desktop app and `br serve`.

mod audit_files;
mod bench;
mod bench_disbursement;
mod bench_programs;
mod commands;
mod credentials;
mod cycles;
mod dedup;
mod http_guard;
mod outbox;
mod output;
mod paging;
mod programs;
mod serve;
mod sync;
mod tls;

use std::path::PathBuf;
use std::process::ExitCode;

use br_core::registry::privacy::PrivacyProfile;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "br", version, about = "Beneficiary Registry: an encrypted, offline registry of beneficiaries")]
#[command(after_help = "Environment for scripts: BR_REGISTRY (registry folder), BR_USER and BR_PASSWORD (login), \
BR_PASSPHRASE (recovery passphrase), BR_KEYRING=off (skip the OS credential store), BR_NEW_PASSWORD (password for `user add`).")]
pub struct Cli {
    /// The registry folder (holds registry.db and registry.key).
    #[arg(long, global = true, env = "BR_REGISTRY", default_value = "registry")]
    pub registry: PathBuf,
    /// Print results as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a new registry: office, first admin account (BR_USER/BR_PASSWORD) and recovery passphrase.
    Init {
        #[arg(long)]
        office_code: String,
        #[arg(long)]
        office_name: String,
        /// Admin's display name.
        #[arg(long, default_value = "Administrator")]
        admin_name: String,
        /// A CSV of areas (columns code,label) to load into the area list.
        #[arg(long)]
        areas: Option<PathBuf>,
        /// The personal fields the registry keeps, fixed for its life (docs/privacy.md): a comma-separated
        /// list of names, phone, birth_date or birth_year, id_numbers (without it, ID numbers are kept only
        /// as keyed hashes); `all` keeps everything, `minimal` only the birth year and hashed ID numbers.
        #[arg(long, default_value = "all", value_parser = parse_keep)]
        keep: PrivacyProfile,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the configurable lists (id_type, sex, membership_kind, area, tag).
    List {
        #[command(subcommand)]
        command: ListCommand,
    },
    /// Import individuals (with household columns) from a CSV file, an .xlsx or .ods workbook (KoboToolbox's
    /// export among them) or ODK Central's zip of CSV files; see docs/import-format.md.
    Import {
        file: PathBuf,
        /// A column-mapping JSON file for another system's export.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// The workbook's sheet, or the zip's CSV file, to read (default: a form's repeat group of people
        /// when there is one, joined to its submissions; otherwise the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Where to write rejected rows (default: <file>.rejects.csv beside the input).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Rows per transaction.
        #[arg(long)]
        batch_rows: Option<usize>,
    },
    /// Export individuals to CSV in the import format; personal columns are masked unless --personal.
    Export {
        file: PathBuf,
        /// Write personal data unmasked (needs the permission; audited).
        #[arg(long)]
        personal: bool,
        #[arg(long)]
        include_disabled: bool,
        /// Replace FILE if it exists (otherwise an existing file is refused).
        #[arg(long)]
        overwrite: bool,
    },
    /// Find registrants by reference, ID value, phone or name, with filters.
    Search(commands::SearchArgs),
    /// Show one registrant by reference number or id.
    Show {
        reference: String,
        /// Show personal fields unmasked (needs the permission; audited).
        #[arg(long)]
        reveal: bool,
    },
    /// The change log as a file: export it from one registry, replay it into another.
    Outbox {
        #[command(subcommand)]
        command: outbox::OutboxCommand,
    },
    /// Sync with a central server: enrol this desk, run, status, conflicts.
    Sync {
        #[command(subcommand)]
        command: sync::SyncCommand,
    },
    /// Programs: create, rules, preview, enrol, verify, pause, resume, exit.
    Program {
        #[command(subcommand)]
        command: programs::ProgramCommand,
    },
    /// Disbursement cycles: entitlement rule and schedule, create, generate, submit, approve, export.
    Cycle {
        #[command(subcommand)]
        command: cycles::CycleCommand,
    },
    /// Funds posted to programs.
    Fund {
        #[command(subcommand)]
        command: cycles::FundCommand,
    },
    /// Payment batches: prepare, export the payment file, mark sent, reconcile.
    Payment {
        #[command(subcommand)]
        command: cycles::PaymentCommand,
    },
    /// Deduplication: find, review, decide, merge.
    Dedup {
        #[command(subcommand)]
        command: dedup::DedupCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Verify the registry's invariants: the file's integrity, the audit chain, a gapless change log, and
    /// that no row contradicts another (memberships, entitlements, payments, counters). Fails when any breaks.
    Check,
    /// Write a consistent copy of the encrypted database and its key file into a new folder.
    Backup { destination: PathBuf },
    /// Restore a backup folder into --registry (which must not hold a registry); needs the recovery passphrase.
    Restore { backup: PathBuf },
    /// Write a realistic synthetic registry (CSV in the import format, plus a truth file of planted duplicates).
    Gen {
        #[arg(long, default_value_t = 10_000)]
        individuals: u64,
        #[arg(long)]
        out: PathBuf,
        /// Share of rows that are planted duplicates.
        #[arg(long, default_value_t = 0.02)]
        duplicate_rate: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Put before every external id and household reference, to load several generated files side by side.
        #[arg(long)]
        id_prefix: Option<String>,
    },
    /// Serve the UI and the API over HTTP, so the registry works in a browser. Logging in is required; the
    /// registry opens with the credential store or BR_PASSPHRASE, or the browser asks for the passphrase.
    /// Beyond this computer it serves HTTPS only: give --tls-cert, --tls-key and the --server-name that
    /// browsers will use.
    Serve {
        /// Address to listen on. Port 0 picks a free port. A non-loopback address needs --tls-cert/--tls-key.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The TLS certificate chain (PEM) to serve HTTPS with.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// A name browsers reach this server by (as in the certificate), e.g. registry.district.example;
        /// repeat for more. Requests naming anything else are refused.
        #[arg(long = "server-name")]
        server_names: Vec<String>,
        /// The built UI (`npm run build` writes it to ui/dist).
        #[arg(long, env = "BR_UI_DIR", default_value = "ui/dist")]
        ui: PathBuf,
    },
    /// Measure import, lookup, search and list speed on a generated registry (use a release build).
    Bench {
        #[arg(long, default_value_t = 1_000_000)]
        individuals: u64,
        /// Work folder (default: a temporary folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password comes from BR_NEW_PASSWORD or a prompt.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// List users.
    List,
    /// Change a user's role, name or access, or set a new password (from BR_NEW_PASSWORD or a prompt).
    /// Any change but the name ends the user's open sessions.
    Update {
        username: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// Refuse the user's logins from now on (nothing they did is removed).
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
        #[arg(long)]
        reset_password: bool,
    },
}

#[derive(Subcommand)]
pub enum ListCommand {
    /// Add or change a list item.
    Add { list: String, code: String, label: String },
    /// Show a list.
    Show { list: String },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the HMAC chain; reports the first broken entry. With --against, also that the log still holds
    /// an anchor taken earlier (a backup's manifest.json, or a file written by `br audit head`): a log
    /// rewritten or cut before it, or an older database restored, is found.
    Verify {
        #[arg(long)]
        against: Option<PathBuf>,
    },
    /// Print the audit log's signed head, to keep somewhere this computer's users cannot change.
    Head,
}

/// `--keep`'s parser: br-model's keep list.
fn parse_keep(list: &str) -> Result<PrivacyProfile, String> {
    PrivacyProfile::parse_keep(list)
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("BR_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match commands::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&cli, &e);
            ExitCode::FAILURE
        }
    }
}
