//! What a Social Registry delivers to us: the answers to our asynchronous searches and the notifications
//! of a subscription, kept in `sr_deliveries` by the DCI endpoints (dci/inbox.rs) and taken here. A
//! delivery counts only from the API client the source's mapping names (`callback_client`).

use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use serde_json::Value;

use super::client::{read_page, Page};
use super::mapping::Source;
use super::{one_at_a_time, Intake, PullReport};
use crate::error::{Result, ServerError};

fn client_of(source: &Source) -> Result<&str> {
    source.callback_client.as_deref().ok_or_else(|| {
        ServerError::Config(format!("source {}: name the API client it calls back as (callback_client)", source.name))
    })
}

/// The answer to page `page` of our asynchronous search `transaction`, waited for at most `wait`.
pub async fn answer(pool: &Pool, source: &Source, transaction: &str, page: u32, wait: Duration) -> Result<Page> {
    let client_id = client_of(source)?;
    let reference = format!("{transaction}-{page}");
    let until = Instant::now() + wait;
    loop {
        let client = pool.get().await?;
        // Taken once, and its records forgotten as it is taken: what the registry keeps of them is what
        // the pull writes, cut to the privacy profile.
        let row = client
            .query_opt(
                "WITH taken AS (
                     SELECT d.id, d.body FROM sr_deliveries d JOIN api_clients c ON c.client_id = d.client_id
                     WHERE d.kind = 'on-search' AND d.transaction_id = $1 AND d.reference_id = $2
                       AND c.name = $3 AND d.processed_at IS NULL ORDER BY d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED),
                 done AS (UPDATE sr_deliveries s SET processed_at = now(), body = 'null' FROM taken WHERE s.id = taken.id)
                 SELECT body FROM taken",
                &[&transaction, &reference, &client_id],
            )
            .await?;
        if let Some(row) = row {
            let body: Value = row.get(0);
            return read_page(&source.name, &body);
        }
        if Instant::now() >= until {
            return Err(ServerError::Command(format!(
                "source {}: no answer to page {page} reached /registry/on-search within {} seconds",
                source.name,
                wait.as_secs()
            )));
        }
        drop(client);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The records a notification carries.
fn notified_records(body: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for event in body["message"]["notify_event"].as_array().into_iter().flatten() {
        match &event["data"]["reg_records"] {
            Value::Array(list) => out.extend(list.iter().cloned()),
            one @ Value::Object(_) => out.push(one.clone()),
            _ => {}
        }
    }
    out
}

/// Takes the notifications the source delivered since the last time, as one pull.
pub async fn take_notified(pool: &Pool, source: &Source) -> Result<PullReport> {
    let client_id = client_of(source)?.to_string();
    one_at_a_time(pool, async {
        let mut intake = Intake::start(pool, source).await?;
        let client = pool.get().await?;
        let rows = client
            .query(
                "SELECT d.id, d.body FROM sr_deliveries d JOIN api_clients c ON c.client_id = d.client_id
                 WHERE d.kind = 'notify' AND c.name = $1 AND d.processed_at IS NULL ORDER BY d.id",
                &[&client_id],
            )
            .await?;
        drop(client);
        for row in rows {
            let id: i64 = row.get(0);
            let records = notified_records(&row.get(1));
            intake.report.pages += 1;
            intake.take(&records, 1).await?;
            pool.get()
                .await?
                .execute("UPDATE sr_deliveries SET processed_at = now(), body = 'null' WHERE id = $1", &[&id])
                .await?;
        }
        intake.finish().await
    })
    .await
}
