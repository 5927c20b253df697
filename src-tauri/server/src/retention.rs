//! How long the server keeps what other systems sent and were sent. An IBR answer is kept for `txn/status`
//! for a week: it can hold names (a caller with `ibr.names`), and a registry keeps personal data only as
//! long as a purpose needs it. The transaction's ids stay 90 days, long enough to refuse a repeated
//! `message_id`. A Social Registry's delivery loses its records when a pull takes them (sr/inbox.rs) and
//! its row a week later.

use deadpool_postgres::Pool;
use serde::Serialize;

use crate::error::Result;

pub const ANSWER_DAYS: i32 = 7;
pub const TRANSACTION_DAYS: i32 = 90;
pub const DELIVERY_DAYS: i32 = 7;

#[derive(Debug, Default, Serialize)]
pub struct Pruned {
    pub answers: u64,
    pub transactions: u64,
    pub deliveries: u64,
}

/// Forgets what is past its time.
pub async fn prune(pool: &Pool) -> Result<Pruned> {
    let client = pool.get().await?;
    let answers = client
        .execute(
            "UPDATE dci_transactions SET answer = NULL
             WHERE answer IS NOT NULL AND received_at < now() - make_interval(days => $1)",
            &[&ANSWER_DAYS],
        )
        .await?;
    let transactions = client
        .execute(
            "DELETE FROM dci_transactions WHERE received_at < now() - make_interval(days => $1)",
            &[&TRANSACTION_DAYS],
        )
        .await?;
    let deliveries = client
        .execute(
            "DELETE FROM sr_deliveries WHERE processed_at IS NOT NULL AND processed_at < now() - make_interval(days => $1)",
            &[&DELIVERY_DAYS],
        )
        .await?;
    Ok(Pruned { answers, transactions, deliveries })
}

/// Prunes now and every hour while the server runs; a failure is logged and tried again next time.
pub fn every_hour(pool: Pool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match prune(&pool).await {
                Ok(p) => tracing::info!(
                    answers = p.answers,
                    transactions = p.transactions,
                    deliveries = p.deliveries,
                    "pruned"
                ),
                Err(e) => tracing::error!(error = %e, "pruning failed"),
            }
        }
    });
}
