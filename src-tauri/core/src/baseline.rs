//! What `br bench` compares the import with, both on the same rows of a generated file, in the same batch
//! size, in an encrypted registry with the same cipher settings and cache:
//! - the raw-insert baseline: the same schema (row, name index, ID documents) with plain prepared INSERTs,
//!   and nothing else: no mapping, validation, households, change log or audit;
//! - the floor: every cell of each row into one table with only its primary key, by one prepared INSERT:
//!   the least writing these rows can cost on this machine, which the import's target is a ratio of.

use std::path::Path;

use rusqlite::params;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::normalize::{normalize_id_value, normalize_phone, sort_name};
use crate::store::Store;

pub fn raw_insert_csv(store: &Store, path: &Path, batch_rows: usize) -> Result<u64> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| CoreError::ImportFileInvalid(e.to_string()))?;
    let headers = reader.headers().map_err(|e| CoreError::ImportFileInvalid(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (ext, given, family, sex, birth, phone, area, nid) = (
        col("external_id"),
        col("given_name"),
        col("family_name"),
        col("sex"),
        col("birth_date"),
        col("phone"),
        col("area"),
        col("id:national_id"),
    );
    let office = store.office().office_id;
    let code = store.office().code.clone();
    let today = crate::clock::today().to_string();
    let mut records = reader.into_records();
    let mut n = 0u64;
    let mut done = false;
    while !done {
        store.write(|tx| {
            let conn = tx.conn();
            let mut ins = conn.prepare_cached(
                "INSERT INTO registrants (id, kind, reference, external_id, given_name, family_name, sort_name, sex,
                    birth_date, phone, phone_norm, area, registered_on, office_id, version, content_hash, updated_at)
                 VALUES (?1, 'individual', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, '', x'', ?12)",
            )?;
            let mut ids = conn.prepare_cached(
                "INSERT INTO id_documents (registrant, id_type, value, value_norm) VALUES (?1, 'national_id', ?2, ?3)",
            )?;
            for _ in 0..batch_rows {
                let Some(rec) = records.next() else {
                    done = true;
                    break;
                };
                let rec = rec.map_err(|e| CoreError::ImportFileInvalid(e.to_string()))?;
                let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
                n += 1;
                let (g, f) = (get(given), get(family));
                ins.execute(params![
                    Uuid::now_v7(),
                    format!("{code}-{n:07}"),
                    get(ext),
                    g,
                    f,
                    sort_name(g, f),
                    get(sex),
                    get(birth),
                    get(phone),
                    get(phone).and_then(normalize_phone),
                    get(area),
                    today,
                    office,
                ])?;
                let rowid = conn.last_insert_rowid();
                crate::store::name_index::add(conn, rowid, &crate::store::name_index::entry_for(false, g, f, None))?;
                if let Some(v) = get(nid) {
                    ids.execute(params![rowid, v, normalize_id_value(v)])?;
                }
            }
            Ok(())
        })?;
    }
    Ok(n)
}

/// Writes every row of `path` into a table of its own (`bench_floor`: an integer key and one text column
/// per CSV column) and returns the rows written.
pub fn floor_insert_csv(store: &Store, path: &Path, batch_rows: usize) -> Result<u64> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| CoreError::ImportFileInvalid(e.to_string()))?;
    let width = reader.headers().map_err(|e| CoreError::ImportFileInvalid(e.to_string()))?.len();
    let columns: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
    let insert = format!(
        "INSERT INTO bench_floor ({}) VALUES ({})",
        columns.join(", "),
        (1..=width).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
    );
    store.write(|tx| {
        let typed: Vec<String> = columns.iter().map(|c| format!("{c} TEXT")).collect();
        tx.conn().execute_batch(&format!("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, {})", typed.join(", ")))?;
        Ok(())
    })?;
    let mut records = reader.into_records();
    let mut n = 0u64;
    let mut done = false;
    while !done {
        store.write(|tx| {
            let mut ins = tx.conn().prepare_cached(&insert)?;
            for _ in 0..batch_rows {
                let Some(rec) = records.next() else {
                    done = true;
                    break;
                };
                let rec = rec.map_err(|e| CoreError::ImportFileInvalid(e.to_string()))?;
                ins.execute(rusqlite::params_from_iter((0..width).map(|i| rec.get(i).filter(|s| !s.is_empty()))))?;
                n += 1;
            }
            Ok(())
        })?;
    }
    Ok(n)
}
