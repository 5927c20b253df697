//! Pulling beneficiaries from a Social Registry (DCI SR client; docs/interop.md): the registry's records
//! are read page by page, mapped by a source's mapping file, checked by the registry's own validation, and
//! written as ops of the owning office's server writer, so they reach that office's desks at their next
//! sync. One pull runs at a time; each is recorded with its rejects.

pub mod client;
pub mod inbox;
pub mod ingest;
pub mod mapping;
pub mod records;
pub mod writer;

use std::collections::HashMap;

use br_model::privacy::DroppedFields;
use br_model::registry::{CustomField, ListName};
use br_model::validation::Settings;
use br_protocol::MAX_PAGE_OPS;
use deadpool_postgres::Pool;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::{Result, ServerError};
use crate::http::AppState;
use client::SrClient;
use ingest::Counts;
use mapping::Source;
use records::{Reader, Rejected, Unit};
use writer::Writer;

const SR_LOCK: i64 = 7201004;
/// A registry that keeps answering full pages past this many is not paging.
const MAX_PAGES: u32 = 100_000;

/// What a pull did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PullReport {
    pub pull: Uuid,
    pub pages: u32,
    pub records: u64,
    pub counts: Counts,
    /// Records whose fields the registry's privacy profile did not keep.
    pub dropped: DroppedFields,
    pub rejected: Vec<RejectLine>,
    /// Ops the server itself refused (none is expected: a pull checks ownership first).
    pub refused_ops: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RejectLine {
    pub external_id: String,
    pub reason: String,
}

/// The search a pull sends: the query file's criteria, or every record changed since `since` (or ever).
pub fn criteria(source: &Source, query: Option<Value>, since: Option<&str>) -> Value {
    if let Some(q) = query {
        return q;
    }
    json!({
        "query_type": "predicate",
        "query": [{ "seq_num": 1, "expression1": {
            "attribute_name": source.since_attribute, "operator": "ge",
            "attribute_value": since.unwrap_or("1900-01-01T00:00:00Z"),
        } }],
        "reg_record_type": if source.record_type == mapping::RecordType::Group { "Group" } else { "Person" },
    })
}

async fn settings(pool: &Pool, source: &Source) -> Result<Settings> {
    let client = pool.get().await?;
    let mut codes: Vec<(ListName, String)> = Vec::new();
    for r in client.query("SELECT list, code FROM registry_list_items WHERE active", &[]).await? {
        if let Some(list) = ListName::parse(r.get(0)) {
            codes.push((list, r.get(1)));
        }
    }
    // The mapping's targets are the registry's codes as the operator declared them.
    codes.extend(source.sex.values().map(|c| (ListName::Sex, c.clone())));
    codes.extend(source.relationship.values().map(|c| (ListName::MembershipKind, c.clone())));
    codes.extend(source.area.codes.values().map(|c| (ListName::Area, c.area.clone())));
    codes.extend(source.id_types.values().map(|c| (ListName::IdType, c.clone())));
    let mut custom: Vec<CustomField> = Vec::new();
    for r in client.query("SELECT definition FROM registry_custom_fields", &[]).await? {
        custom.push(serde_json::from_value(r.get(0))?);
    }
    Ok(Settings::new(codes, custom).with_privacy(crate::privacy::load(&client).await?))
}

/// Runs one pull to its end.
pub async fn pull(
    pool: &Pool,
    source: Source,
    criteria: Value,
    fetch: Fetch,
    progress: &dyn Fn(&PullReport),
) -> Result<PullReport> {
    one_at_a_time(pool, run(pool, source, criteria, fetch, progress)).await
}

/// Runs a pull's work while holding the pull lock: one pull at a time, whatever its kind.
pub(crate) async fn one_at_a_time<T>(pool: &Pool, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let lock = pool.get().await?;
    let got: bool = lock.query_one("SELECT pg_try_advisory_lock($1)", &[&SR_LOCK]).await?.get(0);
    if !got {
        return Err(ServerError::Command("another Social Registry pull is running; try again when it ends".into()));
    }
    let result = work.await;
    lock.execute("SELECT pg_advisory_unlock($1)", &[&SR_LOCK]).await?;
    result
}

/// How a pull gets its pages.
#[derive(Debug, Clone)]
pub enum Fetch {
    /// `/registry/sync/search`, page by page.
    Sync,
    /// `/registry/search` page by page, each answer delivered to our `/registry/on-search` at `callback`
    /// and waited for at most `wait`.
    Async { callback: String, wait: std::time::Duration },
}

async fn run(
    pool: &Pool,
    source: Source,
    criteria: Value,
    fetch: Fetch,
    progress: &dyn Fn(&PullReport),
) -> Result<PullReport> {
    let mut intake = Intake::start(pool, &source).await?;
    let transaction = intake.report.pull.to_string();
    let mut sr = Some(SrClient::new(source.clone())?);
    for page in 1..=MAX_PAGES {
        let mut client = sr.take().expect("the client comes back from each page");
        let (t, c, f) = (transaction.clone(), criteria.clone(), fetch.clone());
        let (client, sent) = tokio::task::spawn_blocking(move || {
            let sent = match &f {
                Fetch::Sync => client.search_page(&t, &c, page).map(Some),
                Fetch::Async { callback, .. } => client.search_async(&t, &c, page, callback).map(|_| None),
            };
            (client, sent)
        })
        .await
        .map_err(|e| ServerError::Command(format!("the search stopped: {e}")))?;
        sr = Some(client);
        let fetched = match (sent?, &fetch) {
            (Some(page), _) => page,
            (None, Fetch::Async { wait, .. }) => inbox::answer(pool, &source, &transaction, page, *wait).await?,
            (None, Fetch::Sync) => unreachable!("a synchronous search answers with its page"),
        };
        if fetched.records.is_empty() {
            break;
        }
        intake.report.pages = page;
        let first = (page as usize - 1) * source.page_size as usize + 1;
        intake.take(&fetched.records, first).await?;
        progress(&intake.report);
        let done = fetched.total.is_some_and(|t| intake.report.records as i64 >= t);
        if done || (fetched.records.len() as u32) < source.page_size {
            break;
        }
    }
    intake.finish().await
}

/// The records of one pull as they come: read, checked, written, counted.
pub struct Intake<'a> {
    pool: &'a Pool,
    source: &'a Source,
    state: AppState,
    offices: HashMap<String, br_protocol::wire::OfficeView>,
    settings: Settings,
    writers: HashMap<String, Writer>,
    seen: std::collections::HashSet<String>,
    pub report: PullReport,
}

impl<'a> Intake<'a> {
    pub async fn start(pool: &'a Pool, source: &'a Source) -> Result<Intake<'a>> {
        let report = PullReport { pull: Uuid::now_v7(), ..PullReport::default() };
        let client = pool.get().await?;
        client.execute("INSERT INTO sr_pulls (id, source) VALUES ($1, $2)", &[&report.pull, &source.name]).await?;
        drop(client);
        Ok(Intake {
            pool,
            source,
            state: AppState::writer(pool),
            offices: writer::offices(pool).await?,
            settings: settings(pool, source).await?,
            writers: HashMap::new(),
            seen: std::collections::HashSet::new(),
            report,
        })
    }

    /// Takes a page of records, `first` being the position of the first in the answer.
    pub async fn take(&mut self, records: &[Value], first: usize) -> Result<()> {
        self.report.records += records.len() as u64;
        let reader = Reader { source: self.source, settings: &self.settings };
        let mut units: Vec<Unit> = Vec::new();
        for (n, record) in records.iter().enumerate() {
            match reader.unit(record, first + n) {
                Ok(unit) => {
                    let keys: Vec<String> = unit
                        .group
                        .iter()
                        .map(|g| g.external_id.clone())
                        .chain(unit.members.iter().map(|m| m.person.external_id.clone()))
                        .collect();
                    if let Some(k) = keys.iter().find(|k| self.seen.contains(*k)) {
                        self.report.rejected.push(RejectLine {
                            external_id: unit.key().into(),
                            reason: format!("{k} appears twice in the registry's answer"),
                        });
                        continue;
                    }
                    self.seen.extend(keys);
                    for c in unit.group.iter().chain(unit.members.iter().map(|m| &m.person)) {
                        self.report.dropped.add(&c.dropped);
                    }
                    units.push(unit);
                }
                Err(r) => self.report.rejected.push(RejectLine { external_id: r.external_id, reason: r.reason }),
            }
        }
        write_units(
            self.pool,
            &self.state,
            &self.offices,
            &mut self.writers,
            &self.source.name,
            units,
            &mut self.report,
        )
        .await
    }

    /// Brings the view up to date and records the pull with its rejects.
    pub async fn finish(self) -> Result<PullReport> {
        let report = self.report;
        crate::projection::catch_up(self.pool).await?;
        let client = self.pool.get().await?;
        for r in &report.rejected {
            client
                .execute(
                    "INSERT INTO sr_rejects (pull, external_id, reason) VALUES ($1, $2, $3)",
                    &[&report.pull, &r.external_id, &r.reason],
                )
                .await?;
        }
        let summary = json!({ "pages": report.pages, "records": report.records, "counts": report.counts,
            "rejected": report.rejected.len(), "refused_ops": report.refused_ops.len() });
        client
            .execute("UPDATE sr_pulls SET finished_at = now(), summary = $2 WHERE id = $1", &[&report.pull, &summary])
            .await?;
        crate::db::audit(&client, &format!("sr:{}", self.source.name), "sr.pull", "ok", summary).await?;
        Ok(report)
    }
}

/// Writes a page's units, each office's through its writer, in pushes of at most a page of ops that never
/// split a unit.
async fn write_units(
    pool: &Pool,
    state: &AppState,
    offices: &HashMap<String, br_protocol::wire::OfficeView>,
    writers: &mut HashMap<String, Writer>,
    source: &str,
    units: Vec<Unit>,
    report: &mut PullReport,
) -> Result<()> {
    crate::projection::catch_up(pool).await?;
    let client = pool.get().await?;
    let (held, twice) = ingest::held(&client, &units).await?;
    let groups: Vec<Uuid> =
        units.iter().filter_map(|u| held.get(&u.group.as_ref()?.external_id).map(|h| h.id)).collect();
    let members_now = ingest::households(&client, &groups).await?;
    drop(client);
    let today = br_model::clock::today().to_string();
    let mut by_office: HashMap<String, Vec<Unit>> = HashMap::new();
    for unit in units {
        let office = unit.group.as_ref().unwrap_or(&unit.members[0].person).office.clone();
        by_office.entry(office).or_default().push(unit);
    }
    for (code, units) in by_office {
        let office = offices.get(&code).ok_or_else(|| writer::unknown_office(&code))?;
        if !writers.contains_key(&code) {
            writers.insert(code.clone(), Writer::of(pool, office, &format!("sr:{source}")).await?);
        }
        let writer = writers.get_mut(&code).expect("made above");
        let new = units
            .iter()
            .flat_map(|u| u.group.iter().chain(u.members.iter().map(|m| &m.person)))
            .filter(|c| !held.contains_key(&c.external_id))
            .count();
        let mut references = writer.references(pool, new).await?.into_iter();
        let mut page: Vec<br_model::op::Op> = Vec::new();
        for unit in &units {
            if let Some(k) =
                unit.group.iter().chain(unit.members.iter().map(|m| &m.person)).find(|c| twice.contains(&c.external_id))
            {
                report.rejected.push(RejectLine {
                    external_id: unit.key().into(),
                    reason: format!("{} is held by two registrants: merge them first", k.external_id),
                });
                continue;
            }
            let mut next_reference = || references.next().unwrap_or_default();
            match ingest::unit_ops(
                unit,
                office.id,
                &held,
                &members_now,
                &today,
                &mut next_reference,
                &mut report.counts,
            ) {
                Ok(ops) => {
                    if page.len() + ops.len() > MAX_PAGE_OPS {
                        flush(state, writer, std::mem::take(&mut page), report).await?;
                    }
                    page.extend(ops);
                }
                Err(Rejected { external_id, reason }) => report.rejected.push(RejectLine { external_id, reason }),
            }
        }
        flush(state, writer, page, report).await?;
    }
    Ok(())
}

async fn flush(
    state: &AppState,
    writer: &mut Writer,
    mut ops: Vec<br_model::op::Op>,
    report: &mut PullReport,
) -> Result<()> {
    if ops.is_empty() {
        return Ok(());
    }
    // Registrants first, then households' leavers, changes and joiners: each unit's own order, and long runs
    // of one kind that the view applies in one statement each. A page is one transaction either way.
    ops.sort_by_key(|op| match op {
        br_model::op::Op::HouseholdMemberLeft { .. } => 1,
        br_model::op::Op::HouseholdMemberChanged { .. } => 2,
        br_model::op::Op::HouseholdMemberJoined { .. } => 3,
        _ => 0,
    });
    let records = writer.records(ops);
    for (op, reason) in writer.push(state, records).await? {
        report.refused_ops.push(format!("{op}: {reason}"));
    }
    Ok(())
}
