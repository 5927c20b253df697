//! The raw-insert baseline that `br bench` compares the import with: the same rows of a generated file
//! into the same encrypted schema (row, name index, ID documents) with plain prepared INSERTs, in the same
//! batch size, and nothing else: no mapping, validation, households, change log or audit.

use std::path::Path;

use rusqlite::params;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::normalize::{fold_name, normalize_id_value, normalize_phone, sort_name};
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
            let mut fts = conn.prepare_cached("INSERT INTO name_index (rowid, name) VALUES (?1, ?2)")?;
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
                fts.execute(params![rowid, fold_name(&format!("{} {}", g.unwrap_or(""), f.unwrap_or("")))])?;
                if let Some(v) = get(nid) {
                    ids.execute(params![rowid, v, normalize_id_value(v)])?;
                }
            }
            Ok(())
        })?;
    }
    Ok(n)
}
