//! The connection pool and the embedded migrations.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::error::{Result, ServerError};

const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_sync.sql")),
    (2, include_str!("../migrations/0002_snapshots.sql")),
    (3, include_str!("../migrations/0003_dci.sql")),
    (4, include_str!("../migrations/0004_privacy.sql")),
];

/// The schema this build needs.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// A pool over `url` (a `postgres://` URL or `host=… dbname=…`). The database is expected on this machine
/// or a private network: the pool speaks to it without TLS.
pub fn pool(url: &str, size: usize) -> Result<Pool> {
    let config: tokio_postgres::Config = url.parse().map_err(|e| ServerError::Config(format!("database URL: {e}")))?;
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager).max_size(size).build().map_err(|e| ServerError::Config(format!("database pool: {e}")))
}

/// Brings the schema up to this build's version; returns the versions applied. Two processes migrating at
/// once take turns on an advisory lock.
pub async fn migrate(pool: &Pool) -> Result<Vec<i32>> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(7201001)", &[]).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let current: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).await?.get(0);
    if current > SCHEMA_VERSION {
        return Err(ServerError::Config(format!(
            "the database's schema is version {current}, newer than this br-server ({SCHEMA_VERSION}): upgrade br-server"
        )));
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version]).await?;
        applied.push(*version);
    }
    tx.commit().await?;
    Ok(applied)
}

/// Refuses to serve a database whose schema is not this build's.
pub async fn check_schema(pool: &Pool) -> Result<()> {
    let client = pool.get().await?;
    let exists: bool = client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await?.get(0);
    let current: i32 = if exists {
        client.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).await?.get(0)
    } else {
        0
    };
    match current.cmp(&SCHEMA_VERSION) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(ServerError::Config(format!(
            "the database's schema is version {current}; this br-server needs {SCHEMA_VERSION}: run `br-server migrate`"
        ))),
        std::cmp::Ordering::Greater => Err(ServerError::Config(format!(
            "the database's schema is version {current}, newer than this br-server ({SCHEMA_VERSION}): upgrade br-server"
        ))),
    }
}

type Params<'a> = &'a [&'a (dyn tokio_postgres::types::ToSql + Sync)];

/// Rows of a statement prepared once per connection: the DCI answers run the same few statements for
/// every request, and preparing each anew costs a round trip.
pub async fn rows(
    client: &impl deadpool_postgres::GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<tokio_postgres::Row>> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query(&statement, params).await?)
}

/// The row, if any, of a statement prepared once per connection.
pub async fn row(
    client: &impl deadpool_postgres::GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<tokio_postgres::Row>> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_opt(&statement, params).await?)
}

/// Runs a statement prepared once per connection; the rows it changed.
pub async fn run(client: &impl deadpool_postgres::GenericClient, sql: &str, params: Params<'_>) -> Result<u64> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.execute(&statement, params).await?)
}

/// Appends to the server's audit log.
pub async fn audit(
    client: &impl deadpool_postgres::GenericClient,
    actor: &str,
    action: &str,
    outcome: &str,
    details: serde_json::Value,
) -> Result<()> {
    run(
        client,
        "INSERT INTO audit (actor, action, outcome, details) VALUES ($1, $2, $3, $4)",
        &[&actor, &action, &outcome, &details],
    )
    .await?;
    Ok(())
}
