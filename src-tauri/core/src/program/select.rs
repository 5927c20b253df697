//! Reads registrants for a rule and evaluates it: the SQL part narrows the candidates, CEL decides each.
//! Only what the rule reads is loaded (IDs, household, members and programs each cost a query per
//! registrant, so a rule that does not mention them does not pay for them).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rusqlite::{params_from_iter, Connection};
use uuid::Uuid;

use super::rules::{CompiledRule, Evaluator, Facts, Prefilter, Subject, Verdict};
use crate::error::{CoreError, Result};
use crate::registry::model::RegistrantKind;

/// Which registrants a selection looks at, beyond the target kind and `status = 'active'`.
#[derive(Debug, Clone)]
pub enum Scope {
    Everyone,
    /// These rowids only (a person's selection, or newly created registrants).
    Rowids(Vec<i64>),
    /// Registrants last written by this import run.
    ImportRun(i64),
    /// Members of a program in one of these states.
    Members {
        program: i64,
        states: Vec<&'static str>,
    },
    /// The members of a disbursement cycle.
    Cycle(i64),
}

/// One evaluated registrant.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub rowid: i64,
    pub id: Uuid,
    pub reference: String,
    pub verdict: Verdict,
    pub score: Option<f64>,
}

const COLUMNS: &str = "r.rowid, r.id, r.reference, r.kind, r.given_name, r.family_name, r.group_name, r.sex, \
     r.birth_date, r.birth_date_approx, r.area, r.tags, r.status, r.registered_on, r.phone_norm IS NOT NULL, r.custom";

/// Candidates handed to the evaluator thread at a time, and batches queued for it: enough to keep both
/// threads busy, little enough to hold in memory.
const EVALUATION_BATCH: usize = 1024;
const EVALUATION_QUEUE: usize = 8;

/// What `registrant_facts` holds (migration 0012): a rule over everyone that reads only these (and ID types
/// or household size, which come from their own tables) is evaluated from that narrow table, which has a
/// fraction of the registrants table's pages to decrypt and the same rowid order.
const PROJECTED_FACTS: &[&str] =
    &["kind", "sex", "birth_date", "birth_date_approx", "age", "area", "status", "registered_on", "id_types", "size"];
/// `COLUMNS`' positions, with what `registrant_facts` lacks left out.
const PROJECTED_COLUMNS: &str = "r.rowid, NULL, NULL, r.kind, NULL, NULL, NULL, r.sex, \
     r.birth_date, r.birth_date_approx, r.area, NULL, r.status, r.registered_on, NULL, NULL";

fn facts_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Facts> {
    facts_from_row_for(r, None)
}

/// Decodes the fields in `only` (all when `None`), and the reference: a million registrants' names and
/// custom fields are not allocated for a rule that reads their age.
fn facts_from_row_for(r: &rusqlite::Row<'_>, only: Option<&BTreeSet<&'static str>>) -> rusqlite::Result<Facts> {
    let want = |f: &str| only.is_none_or(|o| o.contains(f));
    let mut f = Facts { reference: r.get::<_, Option<String>>(2)?.unwrap_or_default(), ..Facts::default() };
    if want("kind") {
        f.kind = r.get(3)?;
    }
    if want("given_name") {
        f.given_name = r.get(4)?;
    }
    if want("family_name") {
        f.family_name = r.get(5)?;
    }
    if want("group_name") {
        f.group_name = r.get(6)?;
    }
    if want("sex") {
        f.sex = r.get(7)?;
    }
    if want("birth_date") || want("age") {
        f.birth_date = r.get(8)?;
    }
    if want("birth_date_approx") {
        f.birth_date_approx = r.get(9)?;
    }
    if want("area") {
        f.area = r.get(10)?;
    }
    if want("tags") {
        f.tags = r.get::<_, Option<String>>(11)?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    }
    if want("status") {
        f.status = r.get(12)?;
    }
    if want("registered_on") {
        f.registered_on = r.get(13)?;
    }
    if want("has_phone") {
        f.has_phone = r.get::<_, Option<bool>>(14)?.unwrap_or_default();
    }
    if want("custom") {
        f.custom = r.get::<_, Option<String>>(15)?.and_then(|c| serde_json::from_str(&c).ok());
    }
    Ok(f)
}

/// Every registrant's ID types, walked in rowid order beside candidates read in rowid order: one pass over
/// the table instead of a search of it per registrant (a fifth of a preview over a million people).
struct IdTypesInOrder<'s> {
    rows: rusqlite::Rows<'s>,
    /// The first row read past the last registrant asked for.
    next: Option<(i64, String)>,
}

impl IdTypesInOrder<'_> {
    /// The ID types of `rowid`; rowids must be asked for in increasing order.
    fn of(&mut self, rowid: i64) -> Result<Vec<String>> {
        let mut types = Vec::new();
        loop {
            if self.next.is_none() {
                match self.rows.next()? {
                    Some(r) => self.next = Some((r.get(0)?, r.get(1)?)),
                    None => return Ok(types),
                }
            }
            match self.next.take() {
                Some((registrant, _)) if registrant < rowid => {}
                Some((registrant, id_type)) if registrant == rowid => types.push(id_type),
                later => {
                    self.next = later;
                    return Ok(types);
                }
            }
        }
    }
}

/// Loads the extra facts a rule needs for one registrant.
struct Extras<'c> {
    conn: &'c Connection,
    rule: &'c CompiledRule,
    /// The last household's size: registrants come in table order, where a household's members sit
    /// together, so this saves a count per person (a million counts at a million people).
    last_size: std::cell::Cell<Option<(i64, i64)>>,
}

impl<'c> Extras<'c> {
    fn new(conn: &'c Connection, rule: &'c CompiledRule) -> Self {
        Extras { conn, rule, last_size: std::cell::Cell::new(None) }
    }
}

impl Extras<'_> {
    fn id_types(&self, rowid: i64) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached("SELECT id_type FROM id_documents WHERE registrant = ?1")?;
        let rows = st.query_map([rowid], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn household_of(&self, individual: i64) -> Result<Option<i64>> {
        let mut st = self.conn.prepare_cached(
            "SELECT group_rowid FROM memberships WHERE individual_rowid = ?1 AND end_date IS NULL LIMIT 1",
        )?;
        let mut rows = st.query([individual])?;
        Ok(match rows.next()? {
            Some(r) => Some(r.get(0)?),
            None => None,
        })
    }

    fn size(&self, group: i64) -> Result<i64> {
        if let Some((g, n)) = self.last_size.get() {
            if g == group {
                return Ok(n);
            }
        }
        let n = self
            .conn
            .prepare_cached("SELECT count(*) FROM memberships WHERE group_rowid = ?1 AND end_date IS NULL")?
            .query_row([group], |r| r.get(0))?;
        self.last_size.set(Some((group, n)));
        Ok(n)
    }

    fn group_facts(&self, group: i64) -> Result<Facts> {
        let mut f = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM registrants r WHERE r.rowid = ?1"))?
            .query_row([group], facts_from_row)?;
        f.size = Some(self.size(group)?);
        if self.rule.needs.household.contains("id_types") {
            f.id_types = self.id_types(group)?;
        }
        Ok(f)
    }

    fn members(&self, group: i64) -> Result<Vec<Facts>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, m.kind, m.is_head FROM memberships m JOIN registrants r ON r.rowid = m.individual_rowid
             WHERE m.group_rowid = ?1 AND m.end_date IS NULL"
        ))?;
        let rows = st.query_map([group], |r| {
            let mut f = facts_from_row(r)?;
            f.relationship = r.get(16)?;
            f.is_head = r.get(17)?;
            Ok((r.get::<_, i64>(0)?, f))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (rowid, mut f) = row?;
            if self.rule.needs.members.contains("id_types") {
                f.id_types = self.id_types(rowid)?;
            }
            out.push(f);
        }
        Ok(out)
    }

    fn programs(&self, rowid: i64) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "SELECT p.code FROM program_memberships pm JOIN programs p ON p.rowid = pm.program
             WHERE pm.registrant = ?1 AND pm.state IN ('enrolled', 'paused')",
        )?;
        let rows = st.query_map([rowid], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// `ids_read`: the candidate query already brought the registrant's ID types.
    fn complete(&self, rowid: i64, target: RegistrantKind, me: Facts, ids_read: bool) -> Result<Subject> {
        let needs = &self.rule.needs;
        let mut s = Subject { me, ..Subject::default() };
        if needs.me.contains("id_types") && !ids_read {
            s.me.id_types = self.id_types(rowid)?;
        }
        let household = match target {
            RegistrantKind::Group => Some(rowid),
            RegistrantKind::Individual if needs.uses_household || needs.uses_members || needs.me.contains("size") => {
                match s.me.household {
                    Some(read) => read,
                    None => self.household_of(rowid)?,
                }
            }
            RegistrantKind::Individual => None,
        };
        if let Some(g) = household {
            if needs.me.contains("size") {
                s.me.size = Some(self.size(g)?);
            }
            if needs.uses_household {
                s.household = Some(if target == RegistrantKind::Group { s.me.clone() } else { self.group_facts(g)? });
            }
            if needs.uses_members {
                s.members = self.members(g)?;
            }
        }
        if needs.uses_programs {
            s.programs = self.programs(rowid)?;
        }
        Ok(s)
    }
}

/// What a selection reports as it goes.
pub struct Selection<'a> {
    pub rule: &'a CompiledRule,
    pub score: Option<(&'a CompiledRule, f64)>,
    pub target: RegistrantKind,
    pub scope: Scope,
}

impl Selection<'_> {
    /// The candidate query: the target, active registrants, the rule's SQL part and the scope.
    fn query(&self, projected: bool) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value as V;
        // A rule with no SQL part reads everyone: in table order, not through an index that would fetch
        // each row at random.
        let prefilter = Prefilter::of(self.rule);
        let everyone = self.reads_everyone(&prefilter);
        // The registrant's ID types in the same statement: a query per registrant from here costs more
        // than the rule. When everyone is read, in rowid order, `IdTypesInOrder` walks them alongside instead.
        let ids = if self.ids_in_query() {
            ", (SELECT group_concat(id_type, char(31)) FROM id_documents d WHERE d.registrant = r.rowid)"
        } else {
            ""
        };
        // An individual's household in the same statement when the rule reads it: a lookup per person from
        // here costs a statement step each (1.5 s at a million).
        let household = if self.reads_household() {
            ", (SELECT m.group_rowid FROM memberships m WHERE m.individual_rowid = r.rowid AND m.end_date IS NULL LIMIT 1)"
        } else {
            ""
        };
        let from = match self.scope {
            _ if everyone && projected => "registrant_facts r",
            // The cycle's members in registrant order drive the join (CROSS JOIN fixes the order): with
            // statistics the planner may otherwise walk registrants through an index and fetch each row at
            // random, which took 90 s instead of 5 at a million.
            Scope::Cycle(_) => "cycle_members cm CROSS JOIN registrants r ON r.rowid = cm.registrant",
            _ if everyone => "registrants r NOT INDEXED",
            _ => "registrants r",
        };
        let columns = if everyone && projected { PROJECTED_COLUMNS } else { COLUMNS };
        let mut sql = format!("SELECT {columns}{ids}{household} FROM {from}");
        let mut conds = vec![format!("r.kind = '{}'", self.target.as_str()), "r.status = 'active'".to_string()];
        let mut params: Vec<V> = Vec::new();
        match &self.scope {
            Scope::Everyone => {}
            Scope::Rowids(ids) => {
                // A person's selection: bounded by what a screen can select, and rarray is not compiled in.
                conds
                    .push(format!("r.rowid IN ({})", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")));
            }
            Scope::ImportRun(run) => {
                conds.push("r.import_run = ?".into());
                params.push(V::Integer(*run));
            }
            Scope::Members { program, states } => {
                sql.push_str(" JOIN program_memberships pm ON pm.registrant = r.rowid");
                conds.push("pm.program = ?".into());
                params.push(V::Integer(*program));
                conds.push(format!(
                    "pm.state IN ({})",
                    states.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
                ));
            }
            Scope::Cycle(cycle) => {
                conds.push("cm.cycle = ?".into());
                params.push(V::Integer(*cycle));
            }
        }
        conds.extend(prefilter.sql);
        params.extend(prefilter.params);
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
        if everyone {
            // What the table scan gives anyway, said so that `IdTypesInOrder` may rely on it.
            sql.push_str(" ORDER BY r.rowid");
        }
        (sql, params)
    }

    /// Whether the candidate query brings each registrant's ID types itself.
    fn ids_in_query(&self) -> bool {
        self.rule.needs.me.contains("id_types") && !self.reads_everyone(&Prefilter::of(self.rule))
    }

    fn reads_household(&self) -> bool {
        let needs = &self.rule.needs;
        self.target == RegistrantKind::Individual
            && (needs.uses_household || needs.uses_members || needs.me.contains("size"))
    }

    /// Whether the candidates can be read from `registrant_facts`: everyone is read, and only fields it holds.
    fn projectable(&self, only: Option<&BTreeSet<&'static str>>) -> bool {
        self.reads_everyone(&Prefilter::of(self.rule))
            && only.is_some_and(|o| o.iter().all(|f| PROJECTED_FACTS.contains(f)))
    }

    /// Whether every registrant of the target kind is a candidate: the rule has no SQL part, the scope no limit.
    fn reads_everyone(&self, prefilter: &Prefilter) -> bool {
        prefilter.sql.is_empty() && matches!(self.scope, Scope::Everyone)
    }

    /// Reads every candidate, decoding the fields in `only` (all when `None`) and the ID types when the
    /// rule reads them; the id only when `projected` is false. Checks `cancel` as it goes.
    fn each_row(
        &self,
        conn: &Connection,
        cancel: &AtomicBool,
        only: Option<&BTreeSet<&'static str>>,
        projected: bool,
        mut each: impl FnMut(i64, Option<Uuid>, Facts) -> Result<()>,
    ) -> Result<()> {
        let (sql, params) = self.query(projected);
        let ids_in_query = self.ids_in_query();
        let household_read = self.reads_household();
        let mut ids_st = if self.rule.needs.me.contains("id_types") && !ids_in_query {
            Some(conn.prepare("SELECT registrant, id_type FROM id_documents ORDER BY registrant")?)
        } else {
            None
        };
        let mut ids_walk = match &mut ids_st {
            Some(st) => Some(IdTypesInOrder { rows: st.query([])?, next: None }),
            None => None,
        };
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(params_from_iter(params))?;
        let mut n = 0u64;
        while let Some(row) = rows.next()? {
            n += 1;
            if n.is_multiple_of(4096) && cancel.load(Ordering::Relaxed) {
                return Err(CoreError::Cancelled);
            }
            let mut me = facts_from_row_for(row, only)?;
            if ids_in_query {
                let joined: Option<String> = row.get(16)?;
                me.id_types = joined.map(|j| j.split('\u{1f}').map(str::to_string).collect()).unwrap_or_default();
            } else if let Some(walk) = &mut ids_walk {
                me.id_types = walk.of(row.get(0)?)?;
            }
            if household_read {
                me.household = Some(row.get(if ids_in_query { 17 } else { 16 })?);
            }
            each(row.get(0)?, row.get(1)?, me)?;
        }
        Ok(())
    }

    /// Hands every candidate to `each` with what the rule reads about it (its reference, rowid and id
    /// beside), without evaluating: for expressions that give amounts rather than a verdict.
    pub fn subjects(
        &self,
        conn: &Connection,
        cancel: &AtomicBool,
        mut each: impl FnMut(i64, Uuid, String, Subject) -> Result<()>,
    ) -> Result<()> {
        let extras = Extras::new(conn, self.rule);
        let ids_read = self.rule.needs.me.contains("id_types");
        let only = (!(self.target == RegistrantKind::Group && self.rule.needs.uses_household))
            .then(|| self.rule.needs.me.clone());
        self.each_row(conn, cancel, only.as_ref(), false, |rowid, id, me| {
            let reference = me.reference.clone();
            let subject = extras.complete(rowid, self.target, me, ids_read)?;
            each(rowid, id_read(id)?, reference, subject)
        })
    }

    /// Evaluates every candidate and hands each result to `each`. Checks `cancel` as it goes.
    pub fn run(
        &self,
        conn: &Connection,
        cancel: &AtomicBool,
        mut each: impl FnMut(Evaluated) -> Result<()>,
    ) -> Result<()> {
        self.evaluate(conn, cancel, false, |rowid, id, reference, verdict, score| {
            each(Evaluated { rowid, id: id_read(id)?, reference, verdict, score })
        })
    }

    /// Evaluates every candidate for a count, from `registrant_facts` when the rule allows: `each` gets
    /// the rowid and the verdict, and looks up the few references it shows.
    /// Without a score, reading and evaluating run on two threads, as reading and decrypting cost about
    /// what evaluating costs; verdicts come back in the order the candidates were read.
    pub fn count(
        &self,
        conn: &Connection,
        cancel: &AtomicBool,
        mut each: impl FnMut(i64, Verdict) -> Result<()>,
    ) -> Result<()> {
        let only = self.decoded_fields();
        let projected = self.projectable(only.as_ref());
        if self.score.is_some() {
            return self.evaluate(conn, cancel, projected, |rowid, _, _, verdict, _| each(rowid, verdict));
        }
        let extras = Extras::new(conn, self.rule);
        let ids_read = self.rule.needs.me.contains("id_types");
        let rule = self.rule;
        std::thread::scope(|scope| {
            let (to_evaluator, subjects) = mpsc::sync_channel::<Vec<(i64, Subject)>>(EVALUATION_QUEUE);
            let (to_reader, verdicts) = mpsc::channel::<Vec<(i64, Verdict)>>();
            let evaluator = scope.spawn(move || {
                let evaluator = Evaluator::new(rule);
                for batch in subjects {
                    let done = batch.into_iter().map(|(rowid, s)| (rowid, evaluator.verdict(&s))).collect();
                    if to_reader.send(done).is_err() {
                        return;
                    }
                }
            });
            let mut batch = Vec::with_capacity(EVALUATION_BATCH);
            let mut handed = |done: Vec<(i64, Verdict)>| done.into_iter().try_for_each(|(rowid, v)| each(rowid, v));
            let read = self.each_row(conn, cancel, only.as_ref(), projected, |rowid, _, me| {
                batch.push((rowid, extras.complete(rowid, self.target, me, ids_read)?));
                if batch.len() == EVALUATION_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(EVALUATION_BATCH));
                    to_evaluator.send(full).map_err(|_| evaluator_stopped())?;
                    verdicts.try_iter().try_for_each(&mut handed)?;
                }
                Ok(())
            });
            let sent = read.and_then(|()| to_evaluator.send(batch).map_err(|_| evaluator_stopped()));
            drop(to_evaluator);
            let handed_all = sent.and_then(|()| verdicts.iter().try_for_each(&mut handed));
            // On an error the evaluator sees its queue close, or its answers dropped, and stops.
            drop(verdicts);
            evaluator.join().map_err(|_| evaluator_stopped())?;
            handed_all
        })
    }

    /// The fields decoded for each candidate: only what the rule reads, unless a score (with its own needs)
    /// or a household program's `household` (the registrant itself) needs the rest.
    fn decoded_fields(&self) -> Option<BTreeSet<&'static str>> {
        (self.score.is_none() && !(self.target == RegistrantKind::Group && self.rule.needs.uses_household))
            .then(|| self.rule.needs.me.clone())
    }

    fn evaluate(
        &self,
        conn: &Connection,
        cancel: &AtomicBool,
        projected: bool,
        mut each: impl FnMut(i64, Option<Uuid>, String, Verdict, Option<f64>) -> Result<()>,
    ) -> Result<()> {
        let evaluator = Evaluator::new(self.rule);
        let scorer = self.score.map(|(rule, threshold)| (Evaluator::new(rule), threshold));
        let extras = Extras::new(conn, self.rule);
        let score_extras = self.score.map(|(rule, _)| Extras::new(conn, rule));
        let ids_read = self.rule.needs.me.contains("id_types");
        let only = self.decoded_fields();
        self.each_row(conn, cancel, only.as_ref(), projected, |rowid, id, me| {
            let reference = me.reference.clone();
            // The score's rule may read other fields: it gets its own copy, only when there is a score.
            let for_score = scorer.as_ref().map(|_| me.clone());
            let subject = extras.complete(rowid, self.target, me, ids_read)?;
            let mut verdict = evaluator.verdict(&subject);
            let mut score = None;
            if let (Verdict::Match, Some((scorer, threshold)), Some(sx), Some(me)) =
                (&verdict, &scorer, &score_extras, for_score)
            {
                let subject = sx.complete(rowid, self.target, me, ids_read && sx.rule.needs.me.contains("id_types"))?;
                match scorer.score(&subject) {
                    Ok(s) => {
                        score = Some(s);
                        // A proxy-means test predicts welfare: those at or below the threshold qualify.
                        if s > *threshold {
                            verdict = Verdict::NoMatch;
                        }
                    }
                    Err(e) => verdict = Verdict::Error(format!("score: {e}")),
                }
            }
            each(rowid, id, reference, verdict, score)
        })
    }
}

fn evaluator_stopped() -> CoreError {
    CoreError::Internal("the rule's evaluator stopped on an unexpected error".into())
}

/// The id of a candidate read from the table, where it always is.
fn id_read(id: Option<Uuid>) -> Result<Uuid> {
    id.ok_or_else(|| CoreError::Internal("a registrant was read without its id".into()))
}
