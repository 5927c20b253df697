//! Programs: create, edit, move through `draft -> active -> ended`, archive, list with their numbers, and
//! check or preview a rule. Every change is audited and written to the change log.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::model::{MembershipCounts, MembershipState, Program, ProgramFields, ProgramState, ProgramSummary};
use super::rules::{self, CompiledRule, RuleError, RuleKind, Verdict};
use super::select::{Scope, Selection};
use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::registry::model::RegistrantKind;
use crate::store::{Store, Tx};
use br_model::disbursement::DisbursementSettings;
use br_model::op::{Op, ProgramRecord};

const PROGRAM_COLUMNS: &str =
    "rowid, id, code, name, description, target, currency, state, archived, eligibility_rule, \
     pmt_expression, pmt_threshold, auto_enrol, created_at, updated_at, version, entitlement_rule, approval_stages, \
     recurrence";

/// A JSON column written by this code; a value it cannot read is treated as absent rather than failing
/// every read of the program.
fn json_column<T: serde::de::DeserializeOwned>(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<T>> {
    Ok(r.get::<_, Option<String>>(i)?.and_then(|s| serde_json::from_str(&s).ok()))
}

/// A program row with its rowid and version, as the write paths need it.
#[derive(Debug, Clone)]
pub struct StoredProgram {
    pub rowid: i64,
    pub version: i64,
    pub program: Program,
}

fn program_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredProgram> {
    Ok(StoredProgram {
        rowid: r.get(0)?,
        version: r.get(15)?,
        program: Program {
            id: r.get(1)?,
            code: r.get(2)?,
            name: r.get(3)?,
            description: r.get(4)?,
            target: RegistrantKind::parse(&r.get::<_, String>(5)?).unwrap_or(RegistrantKind::Individual),
            currency: r.get(6)?,
            state: ProgramState::parse(&r.get::<_, String>(7)?).unwrap_or(ProgramState::Draft),
            archived: r.get(8)?,
            eligibility_rule: r.get(9)?,
            pmt_expression: r.get(10)?,
            pmt_threshold: r.get(11)?,
            auto_enrol: r.get(12)?,
            disbursement: DisbursementSettings {
                entitlement: json_column(r, 16)?,
                stages: json_column(r, 17)?.unwrap_or_default(),
                recurrence: json_column(r, 18)?,
            },
            created_at: r.get(13)?,
            updated_at: r.get(14)?,
        },
    })
}

/// A program named by its id or its code.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProgramKey {
    Id(Uuid),
    Code(String),
}

pub fn resolve(conn: &Connection, key: &ProgramKey) -> Result<StoredProgram> {
    let found = match key {
        ProgramKey::Id(id) => conn
            .prepare_cached(&format!("SELECT {PROGRAM_COLUMNS} FROM programs WHERE id = ?1"))?
            .query_row([id], program_from_row)
            .optional()?,
        ProgramKey::Code(code) => conn
            .prepare_cached(&format!("SELECT {PROGRAM_COLUMNS} FROM programs WHERE code = ?1"))?
            .query_row([code], program_from_row)
            .optional()?,
    };
    found.ok_or_else(|| CoreError::not_found("program"))
}

pub(crate) fn custom_field_names(conn: &Connection) -> Result<Vec<String>> {
    Ok(crate::registry::service::read_custom_fields(conn)?.into_iter().map(|f| f.name).collect())
}

/// A program's rules, compiled. A stored rule was checked when saved; it can only fail here if a custom
/// field it names was removed since.
pub struct ProgramRules {
    pub target: RegistrantKind,
    pub eligibility: CompiledRule,
    pub score: Option<(CompiledRule, f64)>,
}

impl ProgramRules {
    /// Compiles an eligibility rule and, when it has one, a proxy-means score with its threshold.
    pub(crate) fn compile(
        conn: &Connection,
        target: RegistrantKind,
        eligibility_rule: &str,
        pmt_expression: Option<&str>,
        pmt_threshold: Option<f64>,
    ) -> Result<ProgramRules> {
        let custom = custom_field_names(conn)?;
        let invalid = |e| CoreError::RuleInvalid(Box::new(e));
        let eligibility = rules::compile(eligibility_rule, RuleKind::Condition, target, &custom).map_err(invalid)?;
        let score = match (pmt_expression, pmt_threshold) {
            (Some(expr), Some(threshold)) if !expr.trim().is_empty() => {
                Some((rules::compile(expr, RuleKind::Score, target, &custom).map_err(invalid)?, threshold))
            }
            _ => None,
        };
        Ok(ProgramRules { target, eligibility, score })
    }

    /// The personal fields the rules compare exactly (see br-model's `rules::privacy`).
    pub(crate) fn personal_fields(&self, conn: &Connection) -> Result<Vec<String>> {
        let personal_custom: Vec<String> = crate::registry::service::read_custom_fields(conn)?
            .into_iter()
            .filter(|f| f.personal)
            .map(|f| f.name)
            .collect();
        let mut fields = self.eligibility.personal_fields(&personal_custom);
        if let Some((score, _)) = &self.score {
            fields.extend(score.personal_fields(&personal_custom));
        }
        Ok(fields.into_iter().collect())
    }

    pub(crate) fn of(conn: &Connection, p: &Program) -> Result<ProgramRules> {
        Self::compile(conn, p.target, &p.eligibility_rule, p.pmt_expression.as_deref(), p.pmt_threshold)
    }

    /// The registrants of `scope` these rules decide on.
    pub(crate) fn selection(&self, scope: Scope) -> Selection<'_> {
        Selection {
            rule: &self.eligibility,
            score: self.score.as_ref().map(|(r, t)| (r, *t)),
            target: self.target,
            scope,
        }
    }
}

fn validate(conn: &Connection, f: &mut ProgramFields) -> Result<()> {
    f.code = f.code.trim().to_uppercase();
    f.name = f.name.trim().to_string();
    f.currency = f.currency.trim().to_uppercase();
    let code_ok = (2..=16).contains(&f.code.len()) && f.code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !code_ok {
        return Err(CoreError::InvalidInput("a program code has 2 to 16 letters, digits or hyphens".into()));
    }
    if f.name.is_empty() {
        return Err(CoreError::InvalidInput("a program needs a name".into()));
    }
    if f.currency.len() != 3 || !f.currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(CoreError::InvalidInput("the currency is a three-letter ISO 4217 code, e.g. ETB".into()));
    }
    match (&f.pmt_expression, f.pmt_threshold) {
        (Some(e), None) if !e.trim().is_empty() => {
            return Err(CoreError::InvalidInput("a proxy-means-test score needs a threshold".into()))
        }
        (_, Some(t)) if !t.is_finite() => return Err(CoreError::InvalidInput("the threshold must be a number".into())),
        _ => {}
    }
    if f.pmt_expression.as_deref().map(|e| e.trim().is_empty()).unwrap_or(false) {
        f.pmt_expression = None;
        f.pmt_threshold = None;
    }
    ProgramRules::compile(conn, f.target, &f.eligibility_rule, f.pmt_expression.as_deref(), f.pmt_threshold)?;
    Ok(())
}

/// Appends the program's change-log op (its whole synced content) and stamps its version.
pub(crate) fn write_op(tx: &mut Tx<'_>, p: &StoredProgram, created: bool) -> Result<i64> {
    let program = record(&p.program);
    let op = if created { Op::ProgramCreated { program } } else { Op::ProgramChanged { program } };
    let version = tx.append_op(&op, Some(p.version))?;
    tx.conn().execute("UPDATE programs SET version = ?1 WHERE rowid = ?2", params![version, p.rowid])?;
    Ok(version)
}

pub fn create(store: &Store, session: &Session, mut fields: ProgramFields) -> Result<ProgramSummary> {
    require(store, session, Permission::ProgramManage, "program.create")?;
    store.write_as(session.username(), |tx| {
        validate(tx.conn(), &mut fields)?;
        let exists: bool =
            tx.conn()
                .query_row("SELECT EXISTS (SELECT 1 FROM programs WHERE code = ?1)", [&fields.code], |r| r.get(0))?;
        if exists {
            return Err(CoreError::AlreadyExists { what: format!("program {}", fields.code) });
        }
        let now = now_rfc3339();
        let id = Uuid::now_v7();
        tx.conn().execute(
            "INSERT INTO programs (id, code, name, description, target, currency, eligibility_rule, pmt_expression,
                 pmt_threshold, auto_enrol, office_id, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?12)",
            params![
                id,
                fields.code,
                fields.name,
                fields.description,
                fields.target.as_str(),
                fields.currency,
                fields.eligibility_rule.trim(),
                fields.pmt_expression,
                fields.pmt_threshold,
                fields.auto_enrol,
                tx.store().office().office_id,
                now
            ],
        )?;
        let stored = resolve(tx.conn(), &ProgramKey::Id(id))?;
        write_op(tx, &stored, true)?;
        tx.audit(
            AuditEvent::new(session, "program.create")
                .on("program", id.to_string())
                .details(serde_json::to_value(&fields)?),
        )?;
        summary(tx.conn(), &ProgramKey::Id(id))
    })
}

pub fn update(store: &Store, session: &Session, key: &ProgramKey, mut fields: ProgramFields) -> Result<ProgramSummary> {
    require(store, session, Permission::ProgramManage, "program.update")?;
    store.write_as(session.username(), |tx| {
        let before = resolve(tx.conn(), key)?;
        if before.program.state == ProgramState::Ended {
            return Err(CoreError::InvalidInput(format!("program {} has ended and cannot change", before.program.code)));
        }
        validate(tx.conn(), &mut fields)?;
        if fields.target != before.program.target {
            let members: i64 = tx
                .conn()
                .query_row("SELECT count(*) FROM program_memberships WHERE program = ?1", [before.rowid], |r| r.get(0))?;
            if members > 0 {
                return Err(CoreError::InvalidInput("the target cannot change once a program has members".into()));
            }
        }
        tx.conn().execute(
            "UPDATE programs SET code = ?1, name = ?2, description = ?3, target = ?4, currency = ?5, eligibility_rule = ?6,
                 pmt_expression = ?7, pmt_threshold = ?8, auto_enrol = ?9, updated_at = ?10 WHERE rowid = ?11",
            params![
                fields.code,
                fields.name,
                fields.description,
                fields.target.as_str(),
                fields.currency,
                fields.eligibility_rule.trim(),
                fields.pmt_expression,
                fields.pmt_threshold,
                fields.auto_enrol,
                now_rfc3339(),
                before.rowid
            ],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                CoreError::AlreadyExists { what: format!("program {}", fields.code) }
            }
            other => other.into(),
        })?;
        let after = resolve(tx.conn(), &ProgramKey::Id(before.program.id))?;
        write_op(tx, &after, false)?;
        tx.audit(
            AuditEvent::new(session, "program.update").on("program", before.program.id.to_string()).details(
                serde_json::json!({ "before": program_fields(&before.program), "after": program_fields(&after.program) }),
            ),
        )?;
        summary(tx.conn(), &ProgramKey::Id(before.program.id))
    })
}

fn program_fields(p: &Program) -> serde_json::Value {
    serde_json::json!({
        "code": p.code, "name": p.name, "description": p.description, "target": p.target, "currency": p.currency,
        "eligibility_rule": p.eligibility_rule, "pmt_expression": p.pmt_expression, "pmt_threshold": p.pmt_threshold,
        "auto_enrol": p.auto_enrol,
    })
}

pub fn set_state(store: &Store, session: &Session, key: &ProgramKey, state: ProgramState) -> Result<ProgramSummary> {
    require(store, session, Permission::ProgramManage, "program.state")?;
    store.write_as(session.username(), |tx| {
        let p = resolve(tx.conn(), key)?;
        if !p.program.state.may_become(state) {
            return Err(CoreError::TransitionNotAllowed {
                entity: "program".into(),
                from: p.program.state.as_str().into(),
                to: state.as_str().into(),
            });
        }
        tx.conn().execute(
            "UPDATE programs SET state = ?1, updated_at = ?2 WHERE rowid = ?3",
            params![state.as_str(), now_rfc3339(), p.rowid],
        )?;
        let after = resolve(tx.conn(), &ProgramKey::Id(p.program.id))?;
        write_op(tx, &after, false)?;
        tx.audit(
            AuditEvent::new(session, "program.state")
                .on("program", p.program.id.to_string())
                .details(serde_json::json!({ "from": p.program.state, "to": state })),
        )?;
        summary(tx.conn(), &ProgramKey::Id(p.program.id))
    })
}

pub fn set_archived(store: &Store, session: &Session, key: &ProgramKey, archived: bool) -> Result<ProgramSummary> {
    require(store, session, Permission::ProgramManage, "program.archive")?;
    store.write_as(session.username(), |tx| {
        let p = resolve(tx.conn(), key)?;
        if archived && p.program.state == ProgramState::Active {
            return Err(CoreError::InvalidInput(format!("end program {} before archiving it", p.program.code)));
        }
        tx.conn().execute(
            "UPDATE programs SET archived = ?1, updated_at = ?2 WHERE rowid = ?3",
            params![archived, now_rfc3339(), p.rowid],
        )?;
        let after = resolve(tx.conn(), &ProgramKey::Id(p.program.id))?;
        write_op(tx, &after, false)?;
        tx.audit(
            AuditEvent::new(session, if archived { "program.archive" } else { "program.unarchive" })
                .on("program", p.program.id.to_string()),
        )?;
        summary(tx.conn(), &ProgramKey::Id(p.program.id))
    })
}

fn counts(conn: &Connection, program: i64) -> Result<MembershipCounts> {
    let mut st =
        conn.prepare_cached("SELECT state, count(*) FROM program_memberships WHERE program = ?1 GROUP BY state")?;
    let mut c = MembershipCounts::default();
    let rows = st.query_map([program], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (state, n) = row?;
        if let Some(s) = MembershipState::parse(&state) {
            c.add(s, n as u64);
        }
    }
    Ok(c)
}

pub(crate) fn summary(conn: &Connection, key: &ProgramKey) -> Result<ProgramSummary> {
    let p = resolve(conn, key)?;
    Ok(ProgramSummary { counts: counts(conn, p.rowid)?, program: p.program })
}

pub fn get(store: &Store, session: &Session, key: &ProgramKey) -> Result<ProgramSummary> {
    require(store, session, Permission::RegistryRead, "program.view")?;
    store.read(|c| summary(c, key))
}

pub fn list(store: &Store, session: &Session, include_archived: bool) -> Result<Vec<ProgramSummary>> {
    require(store, session, Permission::RegistryRead, "program.list")?;
    store.read(|c| {
        let mut st = c.prepare(&format!(
            "SELECT {PROGRAM_COLUMNS} FROM programs WHERE archived = 0 OR ?1 ORDER BY state = 'ended', name"
        ))?;
        let programs =
            st.query_map([include_archived], program_from_row)?.collect::<rusqlite::Result<Vec<StoredProgram>>>()?;
        programs.into_iter().map(|p| Ok(ProgramSummary { counts: counts(c, p.rowid)?, program: p.program })).collect()
    })
}

/// The answer to "is this rule valid?", for the rule editor as a person types.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RuleCheck {
    pub ok: bool,
    pub error: Option<RuleError>,
    /// The parts of the rule the database narrows by before evaluating each registrant.
    pub indexed_conditions: usize,
    /// For a rule that is accepted but likely wrong: a value compared with a coded field that is none of its
    /// codes (it selects nobody), with the codes.
    pub warnings: Vec<String>,
}

pub fn check_rule(
    store: &Store,
    session: &Session,
    source: &str,
    kind: RuleKind,
    target: RegistrantKind,
) -> Result<RuleCheck> {
    require(store, session, Permission::RegistryRead, "program.rule_check")?;
    let (custom, lists) = store.read(|c| {
        let mut st = c.prepare_cached("SELECT list, code FROM list_items WHERE active = 1 ORDER BY list, code")?;
        let items = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok((custom_field_names(c)?, items.collect::<rusqlite::Result<Vec<_>>>()?))
    })?;
    let codes = |list: &str| -> Option<Vec<String>> {
        match list {
            "status" => Some(vec!["active".into(), "disabled".into()]),
            "kind" => Some(vec!["individual".into(), "group".into()]),
            _ => {
                let known: Vec<String> = lists.iter().filter(|(l, _)| l == list).map(|(_, c)| c.clone()).collect();
                // An office that lists no areas or tags allows any.
                (!known.is_empty()).then_some(known)
            }
        }
    };
    Ok(match rules::compile(source, kind, target, &custom) {
        Ok(rule) => RuleCheck {
            ok: true,
            error: None,
            indexed_conditions: rules::Prefilter::of(&rule).sql.len(),
            warnings: rules::hints::for_values(&rule, &codes),
        },
        Err(e) => RuleCheck { ok: false, error: Some(e), indexed_conditions: 0, warnings: Vec::new() },
    })
}

/// What a rule would select, before anyone is enrolled.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Preview {
    /// Registrants the rule selects.
    pub matches: u64,
    /// Registrants the rule was evaluated for (those the SQL part let through).
    pub evaluated: u64,
    /// Registrants for whom the rule failed (for example a missing birth date); they do not match.
    pub errors: u64,
    /// Up to 20 references that match.
    pub sample: Vec<String>,
    /// Up to 5 references the rule failed for, with why.
    pub error_examples: Vec<(String, String)>,
    pub elapsed_ms: u64,
}

/// Previews a rule: a program's saved rule, or a draft rule for the editor's live count.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct PreviewRequest {
    #[serde(default)]
    #[ts(optional)]
    pub program: Option<ProgramKey>,
    /// A rule to preview instead of the program's saved one.
    #[serde(default)]
    #[ts(optional)]
    pub rule: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub target: Option<RegistrantKind>,
    #[serde(default)]
    #[ts(optional)]
    pub pmt_expression: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub pmt_threshold: Option<f64>,
}

pub fn preview(
    store: &Store,
    session: &Session,
    req: &PreviewRequest,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Preview> {
    require(store, session, Permission::RegistryRead, "program.preview")?;
    let started = std::time::Instant::now();
    store.read(|c| {
        let base = match &req.program {
            Some(k) => Some(resolve(c, k)?.program),
            None => None,
        };
        let target = req.target.or(base.as_ref().map(|p| p.target)).unwrap_or(RegistrantKind::Individual);
        // The request's rule and score, or else the program's saved ones.
        let rule = req.rule.as_deref().or(base.as_ref().map(|p| p.eligibility_rule.as_str())).unwrap_or("");
        let (pmt_expression, pmt_threshold) = match (&req.pmt_expression, &base) {
            (Some(expr), _) => (Some(expr.as_str()), req.pmt_threshold),
            (None, Some(p)) => (p.pmt_expression.as_deref(), p.pmt_threshold),
            (None, None) => (None, None),
        };
        let rules = ProgramRules::compile(c, target, rule, pmt_expression, pmt_threshold)?;
        // Whether a rule matches answers a question about what it reads: comparing names or exact birth
        // dates is a reveal, so it needs the permission, and it is audited either way.
        let personal = rules.personal_fields(c)?;
        if !personal.is_empty() {
            require(store, session, Permission::PersonalDataReveal, "program.preview")?;
            store.write_as(session.username(), |tx| {
                tx.audit(
                    AuditEvent::new(session, "program.preview")
                        .details(serde_json::json!({ "reads_personal_fields": personal })),
                )
            })?;
        }
        let selection = rules.selection(Scope::Everyone);
        let mut out = Preview {
            matches: 0,
            evaluated: 0,
            errors: 0,
            sample: Vec::new(),
            error_examples: Vec::new(),
            elapsed_ms: 0,
        };
        // Rowids while counting; references only for the few shown.
        let (mut sample, mut failed) = (Vec::new(), Vec::new());
        selection.count(c, cancel, |rowid, verdict| {
            out.evaluated += 1;
            match verdict {
                Verdict::Match => {
                    out.matches += 1;
                    if sample.len() < 20 {
                        sample.push(rowid);
                    }
                }
                Verdict::NoMatch => {}
                Verdict::Error(why) => {
                    out.errors += 1;
                    if failed.len() < 5 {
                        failed.push((rowid, why));
                    }
                }
            }
            Ok(())
        })?;
        let mut reference = c.prepare_cached("SELECT reference FROM registrants WHERE rowid = ?1")?;
        for rowid in sample {
            out.sample.push(reference.query_row([rowid], |r| r.get(0))?);
        }
        for (rowid, why) in failed {
            out.error_examples.push((reference.query_row([rowid], |r| r.get(0))?, why));
        }
        out.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(out)
    })
}

fn record(p: &Program) -> ProgramRecord {
    ProgramRecord {
        id: p.id,
        code: p.code.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        target: p.target,
        currency: p.currency.clone(),
        state: p.state,
        archived: p.archived,
        eligibility_rule: p.eligibility_rule.clone(),
        pmt_expression: p.pmt_expression.clone(),
        pmt_threshold: p.pmt_threshold,
        auto_enrol: p.auto_enrol,
        disbursement: p.disbursement.clone(),
        created_at: p.created_at.clone(),
    }
}
