//! Snapshots for a desk's first sync (docs/sync.md, "Snapshot"): the office's scope up to one cursor, read
//! in one query and cut into zstd chunks of bounded size, each hashed into the manifest. The
//! chunks are kept in PostgreSQL, so any server process serves them and a broken download resumes at the
//! first chunk the desk has not verified. Memory holds one chunk at a time, whatever the office's size.

use std::sync::atomic::Ordering;

use br_protocol::codes::SyncErrorCode;
use br_protocol::wire::{SnapshotChunk, SnapshotManifest};
use br_protocol::SNAPSHOT_CHUNK_BYTES;
use uuid::Uuid;

use crate::db::audit;
use crate::error::{Result, ServerError};
use crate::http::{AppState, Device};

/// A snapshot made within this many seconds is handed to the office's next desk too (pull covers what came
/// after).
const REUSE_SECONDS: f64 = 30.0 * 60.0;
/// Snapshots are deleted after this many seconds: a desk that comes back later asks for a new one.
const KEEP_SECONDS: f64 = 24.0 * 3600.0;
/// zstd's level: fast, and about as small as deflate's best on JSON.
const ZSTD_LEVEL: i32 = 3;
/// Rows fetched from the scope query at a time.
const FETCH_ROWS: i32 = 2_000;

pub async fn snapshot(state: &AppState, device: &Device) -> Result<SnapshotManifest> {
    let mut client = state.pool.get().await?;
    // Read committed, so that a desk that waited for the lock sees the snapshot the other desk built. The
    // build is still consistent: ops are never changed once written and commit in cursor order (push.rs),
    // so every op up to the head read below is committed and stays as the scope query reads it.
    let tx = client.transaction().await?;
    // One desk of an office builds at a time; the others then take what it built.
    tx.execute("SELECT pg_advisory_xact_lock(7201003, hashtext(($1::uuid)::text))", &[&device.office.id]).await?;
    tx.execute("DELETE FROM snapshots WHERE created_at < now() - make_interval(secs => $1)", &[&KEEP_SECONDS]).await?;
    let recent = tx
        .query_opt(
            "SELECT id FROM snapshots WHERE office = $1 AND created_at > now() - make_interval(secs => $2)
             ORDER BY created_at DESC LIMIT 1",
            &[&device.office.id, &REUSE_SECONDS],
        )
        .await?;
    let id = match recent {
        Some(row) => row.get(0),
        None => build(&tx, device, state.snapshot_chunk_ops).await?,
    };
    let manifest = manifest(&tx, id).await?;
    tx.commit().await?;
    audit(
        &client,
        &format!("device:{}", device.id),
        "sync.snapshot",
        "ok",
        serde_json::json!({ "snapshot": id, "cursor": manifest.cursor, "ops": manifest.ops, "chunks": manifest.chunks.len() }),
    )
    .await?;
    Ok(manifest)
}

/// Reads the scope in cursor order and writes it as chunks in the caller's transaction.
async fn build(tx: &tokio_postgres::Transaction<'_>, device: &Device, chunk_ops: usize) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let head: i64 = tx.query_one("SELECT coalesce(max(cursor), 0) FROM ops", &[]).await?.get(0);
    tx.execute(
        "INSERT INTO snapshots (id, office, cursor, ops, bytes) VALUES ($1, $2, $3, 0, 0)",
        &[&id, &device.office.id, &head],
    )
    .await?;
    let office = device.office.id;
    // The same scope as pull (pull.rs), read as text: the desk parses and checks every op it applies.
    let portal = if device.office.headquarters {
        let scope = tx
            .prepare("SELECT record::text FROM ops WHERE cursor <= $1 AND outcome <> 'rejected' ORDER BY cursor")
            .await?;
        tx.bind(&scope, &[&head]).await?
    } else {
        let scope = tx
            .prepare(
                "SELECT coalesce(s.record, o.record)::text FROM ops o
                 LEFT JOIN op_slices s ON s.cursor = o.cursor AND s.office = $2
                 WHERE o.cursor <= $1 AND o.outcome <> 'rejected'
                   AND (o.visibility = 'all' OR o.office = $2 OR s.office IS NOT NULL)
                 ORDER BY o.cursor",
            )
            .await?;
        tx.bind(&scope, &[&head, &office]).await?
    };
    // One chunk is compressed on a blocking thread while the next is read: PostgreSQL and zstd overlap.
    // Memory holds the chunk being filled and the one being compressed.
    let mut chunk = Chunk::default();
    let mut compressing: Option<Compressing> = None;
    let (mut n, mut total_ops, mut total_bytes) = (0_i32, 0_i64, 0_i64);
    loop {
        let rows = tx.query_portal(&portal, FETCH_ROWS).await?;
        let last_page = rows.len() < FETCH_ROWS as usize;
        for row in rows {
            chunk.push(row.get::<_, &str>(0));
            if chunk.ops >= chunk_ops || chunk.text.len() >= SNAPSHOT_CHUNK_BYTES {
                if let Some(previous) = compressing.take() {
                    total_bytes += previous.store(tx, id).await? as i64;
                }
                total_ops += chunk.ops as i64;
                compressing = Some(std::mem::take(&mut chunk).compress(n));
                n += 1;
            }
        }
        if last_page {
            break;
        }
    }
    if let Some(previous) = compressing.take() {
        total_bytes += previous.store(tx, id).await? as i64;
    }
    if chunk.ops > 0 {
        total_ops += chunk.ops as i64;
        total_bytes += chunk.compress(n).store(tx, id).await? as i64;
    }
    tx.execute("UPDATE snapshots SET ops = $2, bytes = $3 WHERE id = $1", &[&id, &total_ops, &total_bytes]).await?;
    Ok(id)
}

#[derive(Default)]
struct Chunk {
    text: Vec<u8>,
    ops: usize,
}

impl Chunk {
    fn push(&mut self, record: &str) {
        self.text.extend_from_slice(record.as_bytes());
        self.text.push(b'\n');
        self.ops += 1;
    }

    /// Starts compressing and hashing the chunk on a blocking thread.
    fn compress(self, n: i32) -> Compressing {
        let ops = self.ops as i32;
        let work = tokio::task::spawn_blocking(move || {
            let body = zstd::bulk::compress(&self.text, ZSTD_LEVEL)?;
            let sha256 = ring::digest::digest(&ring::digest::SHA256, &body).as_ref().to_vec();
            Ok((body, sha256))
        });
        Compressing { n, ops, work }
    }
}

/// A chunk being compressed; stored once it is done.
struct Compressing {
    n: i32,
    ops: i32,
    work: tokio::task::JoinHandle<std::io::Result<(Vec<u8>, Vec<u8>)>>,
}

impl Compressing {
    /// Waits for the compression and stores the chunk; returns its size.
    async fn store(self, tx: &tokio_postgres::Transaction<'_>, snapshot: Uuid) -> Result<usize> {
        let (body, sha256) = self.work.await.map_err(std::io::Error::other)??;
        tx.execute(
            "INSERT INTO snapshot_chunks (snapshot, n, ops, sha256, body) VALUES ($1, $2, $3, $4, $5)",
            &[&snapshot, &self.n, &self.ops, &sha256, &body],
        )
        .await?;
        Ok(body.len())
    }
}

async fn manifest(tx: &tokio_postgres::Transaction<'_>, id: Uuid) -> Result<SnapshotManifest> {
    let head = tx.query_one("SELECT cursor, ops FROM snapshots WHERE id = $1", &[&id]).await?;
    let chunks = tx
        .query("SELECT n, ops, length(body), sha256 FROM snapshot_chunks WHERE snapshot = $1 ORDER BY n", &[&id])
        .await?
        .iter()
        .map(|r| SnapshotChunk {
            n: r.get::<_, i32>(0) as u32,
            ops: r.get::<_, i32>(1) as u32,
            bytes: r.get::<_, i32>(2) as u64,
            sha256: hex::encode(r.get::<_, Vec<u8>>(3)),
        })
        .collect();
    Ok(SnapshotManifest { id, cursor: head.get(0), ops: head.get(1), chunks })
}

/// One chunk's bytes, for a desk of the snapshot's office.
pub async fn chunk(state: &AppState, device: &Device, id: Uuid, n: u32) -> Result<Vec<u8>> {
    let client = state.pool.get().await?;
    let body: Vec<u8> = client
        .query_opt(
            "SELECT c.body FROM snapshot_chunks c JOIN snapshots s ON s.id = c.snapshot
             WHERE c.snapshot = $1 AND c.n = $2 AND s.office = $3",
            &[&id, &(n.min(i32::MAX as u32) as i32), &device.office.id],
        )
        .await?
        .ok_or_else(|| {
            ServerError::refused(SyncErrorCode::SnapshotGone, "this snapshot is not kept any more: ask for a new one")
        })?
        .get(0);
    state.metrics.snapshot_bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    Ok(body)
}
