//! The single path by which registrant rows change: the row, its IDs, tags, name index entry and the
//! change-log op are written together. Single edits and imports both come through here.

use br_model::op::{Op, RegistrantField};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use super::model::{RegistrantFields, RegistrantKind, RegistrantStatus};
use crate::clock::{now_rfc3339, today};
use crate::error::{CoreError, Result};
use crate::normalize::{normalize_id_value, normalize_phone, sort_name};
use crate::store::counts::Counted;
use crate::store::Tx;

/// A registrant row as the write path needs it.
#[derive(Debug, Clone)]
pub struct StoredRow {
    pub rowid: i64,
    pub id: Uuid,
    pub reference: String,
    pub kind: RegistrantKind,
    pub version: i64,
    pub content_hash: Vec<u8>,
    pub registered_on: String,
    pub status: RegistrantStatus,
    pub import_run: Option<i64>,
}

pub fn content_hash(kind: RegistrantKind, fields: &RegistrantFields) -> Result<Vec<u8>> {
    let bytes = serde_json::to_vec(&(kind.as_str(), fields))?;
    Ok(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref().to_vec())
}

const STORED_COLUMNS: &str = "rowid, id, reference, kind, version, content_hash, registered_on, status, import_run";

fn stored_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow {
        rowid: r.get(0)?,
        id: r.get(1)?,
        reference: r.get(2)?,
        kind: RegistrantKind::parse(&r.get::<_, String>(3)?).unwrap_or(RegistrantKind::Individual),
        version: r.get(4)?,
        content_hash: r.get(5)?,
        registered_on: r.get(6)?,
        status: RegistrantStatus::parse(&r.get::<_, String>(7)?).unwrap_or(RegistrantStatus::Active),
        import_run: r.get(8)?,
    })
}

pub fn find_by_external_id(conn: &rusqlite::Connection, external_id: &str) -> Result<Option<StoredRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {STORED_COLUMNS} FROM registrants WHERE external_id = ?1"))?
        .query_row([external_id], stored_from_row)
        .optional()?)
}

pub fn find_by_id(conn: &rusqlite::Connection, id: Uuid) -> Result<Option<StoredRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {STORED_COLUMNS} FROM registrants WHERE id = ?1"))?
        .query_row([id], stored_from_row)
        .optional()?)
}

pub fn find_by_reference(conn: &rusqlite::Connection, reference: &str) -> Result<Option<StoredRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {STORED_COLUMNS} FROM registrants WHERE reference = ?1"))?
        .query_row([reference], stored_from_row)
        .optional()?)
}

impl Tx<'_> {
    /// The next human reference: this desk's prefix (its office code, `CODE.N` for an office's later
    /// desks) and a sequence, e.g. `ADD-0000042`.
    fn next_reference(&mut self) -> Result<String> {
        let n = match self.reference_next {
            Some(n) => n,
            None => self
                .conn()
                .prepare_cached("SELECT next_reference FROM office WHERE singleton = 1")?
                .query_row([], |r| r.get(0))?,
        };
        self.reference_next = Some(n + 1);
        Ok(format!("{}-{n:07}", self.store().office().reference_prefix))
    }
}

impl Tx<'_> {
    /// After replaying a registrant of this office made on another desk, the counter moves past its
    /// reference, so this desk never hands the same one out.
    pub(crate) fn keep_reference_ahead(&mut self, reference: &str) -> Result<()> {
        let number = self.store().with_office(|office| {
            reference.strip_prefix(office.reference_prefix.as_str())?.strip_prefix('-')?.parse::<i64>().ok()
        });
        let Some(n) = number else { return Ok(()) };
        let next = match self.reference_next {
            Some(next) => next,
            None => self
                .conn()
                .prepare_cached("SELECT next_reference FROM office WHERE singleton = 1")?
                .query_row([], |r| r.get(0))?,
        };
        self.reference_next = Some(next.max(n + 1));
        Ok(())
    }
}

fn sort_key(kind: RegistrantKind, f: &RegistrantFields) -> String {
    match kind {
        RegistrantKind::Individual => sort_name(f.given_name.as_deref(), f.family_name.as_deref()),
        RegistrantKind::Group => sort_name(None, f.group_name.as_deref()),
    }
}

fn write_children(tx: &mut Tx<'_>, rowid: i64, kind: RegistrantKind, f: &RegistrantFields) -> Result<()> {
    let entry = crate::store::name_index::entry_for(
        kind == RegistrantKind::Group,
        f.given_name.as_deref(),
        f.family_name.as_deref(),
        f.group_name.as_deref(),
    );
    tx.name_index.push((rowid, Some(entry)));
    let conn = tx.conn();
    let mut ids = conn.prepare_cached(
        "INSERT INTO id_documents (registrant, id_type, value, value_norm, expiry) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for d in &f.ids {
        ids.execute(params![rowid, d.id_type, d.value, normalize_id_value(&d.value), d.expiry])?;
    }
    let mut tags = conn.prepare_cached("INSERT INTO registrant_tags (registrant, tag) VALUES (?1, ?2)")?;
    for t in &f.tags {
        tags.execute(params![rowid, t])?;
    }
    Ok(())
}

fn clear_children(tx: &mut Tx<'_>, rowid: i64) -> Result<()> {
    tx.name_index.push((rowid, None));
    let conn = tx.conn();
    conn.prepare_cached("DELETE FROM id_documents WHERE registrant = ?1")?.execute([rowid])?;
    conn.prepare_cached("DELETE FROM registrant_tags WHERE registrant = ?1")?.execute([rowid])?;
    Ok(())
}

fn json_or_null<T: Serialize>(v: &T, empty: bool) -> Result<Option<String>> {
    Ok(if empty { None } else { Some(serde_json::to_string(v)?) })
}

/// Inserts a validated registrant and its change-log op.
pub fn insert(
    tx: &mut Tx<'_>,
    kind: RegistrantKind,
    f: &RegistrantFields,
    import_run: Option<i64>,
) -> Result<StoredRow> {
    let id = Uuid::now_v7();
    let reference = tx.next_reference()?;
    let registered_on = today().to_string();
    let hash = content_hash(kind, f)?;
    let version = tx.append_op(
        &Op::RegistrantCreated {
            id,
            kind,
            reference: reference.clone(),
            registered_on: registered_on.clone(),
            fields: f.clone(),
        },
        None,
    )?;
    let office = tx.store().office().office_id;
    let new = NewRow {
        id,
        kind,
        reference: &reference,
        registered_on: &registered_on,
        office,
        version,
        import_run,
        content_hash: &hash,
    };
    let rowid = insert_row(tx, &new, f)?;
    Ok(StoredRow {
        rowid,
        id,
        reference,
        kind,
        version,
        content_hash: hash,
        registered_on,
        status: RegistrantStatus::Active,
        import_run,
    })
}

/// Replaces a registrant's fields. Returns false (and writes nothing but the import mark) when the
/// content is unchanged, so re-importing the same file is a no-op.
pub fn update(tx: &mut Tx<'_>, row: &StoredRow, f: &RegistrantFields, import_run: Option<i64>) -> Result<bool> {
    let hash = content_hash(row.kind, f)?;
    if hash == row.content_hash {
        if import_run.is_some() {
            tx.conn()
                .prepare_cached("UPDATE registrants SET import_run = ?2 WHERE rowid = ?1")?
                .execute(params![row.rowid, import_run])?;
        }
        return Ok(false);
    }
    let before = super::read::load(tx.conn(), row.rowid)?.ok_or_else(|| CoreError::not_found("registrant"))?.fields;
    let changed = RegistrantField::changed(&before, f);
    let changed_fields = changed.clone();
    let version = tx.append_op(&Op::RegistrantUpdated { id: row.id, changed, fields: f.clone() }, Some(row.version))?;
    let stamps = stamp_fields(read_stamps(tx, row.rowid)?, &changed_fields, version, tx.store().device_id())?;
    update_row(tx, row, f, &hash, version, import_run, &stamps)?;
    Ok(true)
}

/// Disables a registrant with a reason: registrants are never deleted.
pub fn set_disabled(tx: &mut Tx<'_>, row: &StoredRow, reason: &str) -> Result<i64> {
    let version =
        tx.append_op(&Op::RegistrantDisabled { id: row.id, reason: reason.to_string() }, Some(row.version))?;
    disable_row(tx, row.rowid, reason, version)?;
    Ok(version)
}

/// The registrant row's columns for a new registrant; the content comes beside it.
pub(crate) struct NewRow<'a> {
    pub id: Uuid,
    pub kind: RegistrantKind,
    pub reference: &'a str,
    pub registered_on: &'a str,
    pub office: Uuid,
    pub version: i64,
    pub import_run: Option<i64>,
    pub content_hash: &'a [u8],
}

/// Writes a new registrant's row, IDs, tags and name-index entry (its op is the caller's). Returns the rowid.
pub(crate) fn insert_row(tx: &mut Tx<'_>, n: &NewRow<'_>, f: &RegistrantFields) -> Result<i64> {
    // The rowid is read back rather than returned: SQLite gathers a `RETURNING` clause's rows in a
    // temporary B-tree it opens and closes for every statement.
    tx.conn()
        .prepare_cached(
            "INSERT INTO registrants (id, kind, reference, external_id, given_name, family_name, group_name, sort_name,
                sex, birth_date, birth_date_approx, phone, phone_norm, area, tags, custom, registered_on, office_id,
                version, content_hash, import_run, updated_at, financial_address)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
        )?
        .execute(params![
            n.id,
            n.kind.as_str(),
            n.reference,
            f.external_id,
            f.given_name,
            f.family_name,
            f.group_name,
            sort_key(n.kind, f),
            f.sex,
            f.birth_date,
            f.birth_date_approx,
            f.phone,
            f.phone.as_deref().and_then(normalize_phone),
            f.area,
            json_or_null(&f.tags, f.tags.is_empty())?,
            json_or_null(&f.custom, f.custom.is_empty())?,
            n.registered_on,
            n.office,
            n.version,
            n.content_hash,
            n.import_run,
            now_rfc3339(),
            f.financial_address,
        ])
        .map_err(|e| unique_violation(e, "a registrant with this external id"))?;
    let rowid = tx.conn().last_insert_rowid();
    let kind = n.kind.as_str();
    tx.counts.add(&counted(kind, "active", f), 1);
    tx.conn()
        .prepare_cached(
            "INSERT INTO registrant_facts (rowid, kind, status, sex, birth_date, birth_date_approx, area, registered_on)
             VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![rowid, kind, f.sex, f.birth_date, f.birth_date_approx, f.area, n.registered_on])?;
    write_children(tx, rowid, n.kind, f)?;
    Ok(rowid)
}

fn counted<'a>(kind: &'a str, status: &'a str, f: &'a RegistrantFields) -> Counted<'a> {
    Counted { kind, status, area: f.area.as_deref(), sex: f.sex.as_deref(), birth_date: f.birth_date.as_deref() }
}

/// What a stored registrant is counted by, as it is now.
struct CountedNow {
    kind: String,
    status: String,
    area: Option<String>,
    sex: Option<String>,
    birth_date: Option<String>,
}

impl CountedNow {
    fn counted(&self) -> Counted<'_> {
        Counted {
            kind: &self.kind,
            status: &self.status,
            area: self.area.as_deref(),
            sex: self.sex.as_deref(),
            birth_date: self.birth_date.as_deref(),
        }
    }
}

/// Takes a registrant out of the dashboard's counts as it is now, and says what it was counted by.
fn uncount(tx: &mut Tx<'_>, rowid: i64) -> Result<CountedNow> {
    let was = tx
        .conn()
        .prepare_cached("SELECT kind, status, area, sex, birth_date FROM registrants WHERE rowid = ?1")?
        .query_row([rowid], |r| {
            Ok(CountedNow {
                kind: r.get(0)?,
                status: r.get(1)?,
                area: r.get(2)?,
                sex: r.get(3)?,
                birth_date: r.get(4)?,
            })
        })?;
    tx.counts.add(&was.counted(), -1);
    Ok(was)
}

/// Who changed each field last, as `{field: [hlc, device]}` (fields never changed since creation have no
/// stamp): replay takes a field only from a later writer.
pub(crate) type FieldStamps = std::collections::BTreeMap<String, serde_json::Value>;

pub(crate) fn read_stamps(tx: &Tx<'_>, rowid: i64) -> Result<FieldStamps> {
    let current: Option<String> = tx
        .conn()
        .prepare_cached("SELECT field_stamps FROM registrants WHERE rowid = ?1")?
        .query_row([rowid], |r| r.get(0))?;
    Ok(current.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
}

/// `stamps` with `changed` now stamped `[hlc, device]`, as text in field-name order: the same stamps give
/// the same text whatever order they were written in.
pub(crate) fn stamp_fields(
    mut stamps: FieldStamps,
    changed: &[RegistrantField],
    hlc: i64,
    device: Uuid,
) -> Result<String> {
    for field in changed {
        if let serde_json::Value::String(name) = serde_json::to_value(field)? {
            stamps.insert(name, serde_json::json!([hlc, device]));
        }
    }
    Ok(serde_json::to_string(&stamps)?)
}

/// Replaces a registrant's content, children included, and its field stamps.
pub(crate) fn update_row(
    tx: &mut Tx<'_>,
    row: &StoredRow,
    f: &RegistrantFields,
    hash: &[u8],
    version: i64,
    import_run: Option<i64>,
    stamps: &str,
) -> Result<()> {
    let was = uncount(tx, row.rowid)?;
    tx.counts.add(&counted(&was.kind, &was.status, f), 1);
    tx.conn()
        .prepare_cached(
            "UPDATE registrant_facts SET sex = ?2, birth_date = ?3, birth_date_approx = ?4, area = ?5 WHERE rowid = ?1",
        )?
        .execute(params![row.rowid, f.sex, f.birth_date, f.birth_date_approx, f.area])?;
    tx.conn()
        .prepare_cached(
            "UPDATE registrants SET external_id = ?2, given_name = ?3, family_name = ?4, group_name = ?5, sort_name = ?6,
                sex = ?7, birth_date = ?8, birth_date_approx = ?9, phone = ?10, phone_norm = ?11, area = ?12, tags = ?13,
                custom = ?14, version = ?15, content_hash = ?16, import_run = coalesce(?17, import_run), updated_at = ?18,
                financial_address = ?19, field_stamps = ?20
             WHERE rowid = ?1",
        )?
        .execute(params![
            row.rowid,
            f.external_id,
            f.given_name,
            f.family_name,
            f.group_name,
            sort_key(row.kind, f),
            f.sex,
            f.birth_date,
            f.birth_date_approx,
            f.phone,
            f.phone.as_deref().and_then(normalize_phone),
            f.area,
            json_or_null(&f.tags, f.tags.is_empty())?,
            json_or_null(&f.custom, f.custom.is_empty())?,
            version,
            hash,
            import_run,
            now_rfc3339(),
            f.financial_address,
            stamps,
        ])
        .map_err(|e| unique_violation(e, "a registrant with this external id"))?;
    clear_children(tx, row.rowid)?;
    write_children(tx, row.rowid, row.kind, f)?;
    Ok(())
}

pub(crate) fn disable_row(tx: &mut Tx<'_>, rowid: i64, reason: &str, version: i64) -> Result<()> {
    let was = uncount(tx, rowid)?;
    tx.counts.add(&Counted { status: "disabled", ..was.counted() }, 1);
    tx.conn().prepare_cached("UPDATE registrant_facts SET status = 'disabled' WHERE rowid = ?1")?.execute([rowid])?;
    tx.conn().execute(
        "UPDATE registrants SET status = 'disabled', disabled_reason = ?2, version = ?3, updated_at = ?4 WHERE rowid = ?1",
        params![rowid, reason, version, now_rfc3339()],
    )?;
    Ok(())
}

/// Ends the member's active memberships of groups other than `keep`: an import names one household per
/// person, so moving someone to another household ends the old membership (kept, with its end date).
pub fn end_other_memberships(tx: &mut Tx<'_>, member: &StoredRow, keep: &StoredRow) -> Result<usize> {
    let others: Vec<(i64, Uuid)> = tx
        .conn()
        .prepare_cached(
            "SELECT m.group_rowid, g.id FROM memberships m
             JOIN registrants g ON g.rowid = m.group_rowid
             WHERE m.individual_rowid = ?1 AND m.group_rowid <> ?2 AND m.end_date IS NULL",
        )?
        .query_map(params![member.rowid, keep.rowid], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for &(group_rowid, group_id) in &others {
        end_membership(tx, (group_rowid, group_id), member)?;
    }
    Ok(others.len())
}

/// Ends one active household membership today (kept, with its end date and kind).
pub fn end_membership(tx: &mut Tx<'_>, (group_rowid, group_id): (i64, Uuid), member: &StoredRow) -> Result<()> {
    let end = today().to_string();
    tx.conn()
        .prepare_cached(
            "UPDATE memberships SET end_date = ?3 WHERE group_rowid = ?1 AND individual_rowid = ?2 AND end_date IS NULL",
        )?
        .execute(params![group_rowid, member.rowid, end])?;
    tx.append_op(&Op::HouseholdMemberLeft { group: group_id, individual: member.id, end_date: end }, None)?;
    Ok(())
}

/// Gives `from`'s active place in a household to `to` (a merge keeping `to`), with its kind, head flag
/// and start date.
pub fn replace_member(
    tx: &mut Tx<'_>,
    (group_rowid, group_id): (i64, Uuid),
    from: &StoredRow,
    to: &StoredRow,
) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "UPDATE memberships SET individual_rowid = ?3 WHERE group_rowid = ?1 AND individual_rowid = ?2 AND end_date IS NULL",
        )?
        .execute(params![group_rowid, from.rowid, to.rowid])?;
    tx.append_op(&Op::HouseholdMemberReplaced { group: group_id, from: from.id, to: to.id }, None)?;
    Ok(())
}

/// Marks `duplicate` as merged into `survivor` (the duplicate is disabled first, by the caller).
pub fn mark_merged(tx: &mut Tx<'_>, duplicate: &StoredRow, survivor: &StoredRow) -> Result<()> {
    tx.conn()
        .prepare_cached("UPDATE registrants SET merged_into = ?1 WHERE rowid = ?2")?
        .execute(params![survivor.rowid, duplicate.rowid])?;
    tx.append_op(&Op::RegistrantMerged { id: duplicate.id, into: survivor.id }, None)?;
    Ok(())
}

/// Moves `from`'s ID documents of the types `to` lacks over to `to`; returns how many moved.
pub fn move_id_documents(tx: &mut Tx<'_>, from: &StoredRow, to: &StoredRow) -> Result<u64> {
    let types: Vec<String> = tx
        .conn()
        .prepare_cached(
            "SELECT id_type FROM id_documents WHERE registrant = ?1
               AND id_type NOT IN (SELECT id_type FROM id_documents WHERE registrant = ?2) ORDER BY id_type",
        )?
        .query_map(params![from.rowid, to.rowid], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id_type in &types {
        tx.conn()
            .prepare_cached("UPDATE id_documents SET registrant = ?1 WHERE registrant = ?2 AND id_type = ?3")?
            .execute(params![to.rowid, from.rowid, id_type])?;
        tx.append_op(&Op::IdDocumentMoved { from: from.id, to: to.id, id_type: id_type.clone() }, None)?;
    }
    Ok(types.len() as u64)
}

/// Adds or changes an individual's membership of a group. One head per group.
/// `member_is_new`: the member was inserted in this transaction, so it has no membership to look up.
pub fn upsert_membership(
    tx: &mut Tx<'_>,
    group: &StoredRow,
    member: &StoredRow,
    kind: &str,
    member_is_new: bool,
) -> Result<bool> {
    let is_head = kind == "head";
    let existing: Option<(String, bool)> = if member_is_new {
        None
    } else {
        tx.conn()
            .prepare_cached("SELECT kind, is_head FROM memberships WHERE group_rowid = ?1 AND individual_rowid = ?2 AND end_date IS NULL")?
            .query_row(params![group.rowid, member.rowid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
    };
    if existing.as_ref().map(|(k, h)| k == kind && *h == is_head).unwrap_or(false) {
        return Ok(false);
    }
    if is_head {
        let other_head: bool = tx
            .conn()
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM memberships WHERE group_rowid = ?1 AND is_head = 1 AND end_date IS NULL AND individual_rowid <> ?2)",
            )?
            .query_row(params![group.rowid, member.rowid], |r| r.get(0))?;
        if other_head {
            return Err(CoreError::InvalidInput(format!("household {} already has a head", group.reference)));
        }
    }
    let start = today().to_string();
    tx.conn()
        .prepare_cached(
            "INSERT INTO memberships (group_rowid, individual_rowid, kind, is_head, start_date) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (group_rowid, individual_rowid) DO UPDATE SET kind = excluded.kind, is_head = excluded.is_head,
                 start_date = CASE WHEN end_date IS NULL THEN start_date ELSE excluded.start_date END, end_date = NULL",
        )?
        .execute(params![group.rowid, member.rowid, kind, is_head, start])?;
    let op = if existing.is_some() {
        Op::HouseholdMemberChanged { group: group.id, individual: member.id, kind: kind.to_string(), is_head }
    } else {
        Op::HouseholdMemberJoined {
            group: group.id,
            individual: member.id,
            kind: kind.to_string(),
            is_head,
            start_date: start,
        }
    };
    tx.append_op(&op, None)?;
    Ok(true)
}

fn unique_violation(e: rusqlite::Error, what: &str) -> CoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation {
            return CoreError::AlreadyExists { what: what.to_string() };
        }
    }
    e.into()
}
