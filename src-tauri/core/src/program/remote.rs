//! The remote half of the programs' writers: programs and their memberships as ops from another desk
//! change them (replay rules: docs/sync-ops.md).

use br_model::op::{Op, OpRecord, ProgramRecord};
use br_model::program::{MembershipState, ProgramState};
use rusqlite::{params, OptionalExtension};

use super::membership::{existing, upsert_row};
use crate::applied::{rowid_of, Effect};
use crate::error::{CoreError, Result};
use crate::store::Tx;

pub(crate) fn apply(tx: &mut Tx<'_>, rec: &OpRecord) -> Result<Effect> {
    match &rec.op {
        Op::ProgramCreated { program } | Op::ProgramChanged { program } => saved(tx, rec, program),
        Op::ProgramMembershipMoved(mv) => {
            let program = rowid_of(tx, "programs", mv.program)?;
            let registrant = rowid_of(tx, "registrants", mv.registrant)?;
            let current = existing(tx.conn(), program, registrant)?;
            let allowed = match &current {
                None => {
                    matches!(mv.to, MembershipState::Draft | MembershipState::Enrolled | MembershipState::NotEligible)
                }
                Some(e) if e.state == mv.to => return Ok(Effect::Unchanged),
                Some(e) => e.state.may_become(mv.to),
            };
            if !allowed {
                let state = current.map(|e| e.state.as_str()).unwrap_or("draft");
                return Ok(Effect::Conflict { local: serde_json::json!({ "state": state }) });
            }
            // The hold remembers the state it interrupted here, which may differ from the other desk's.
            let from = current.map(|e| e.state).unwrap_or(MembershipState::Draft);
            upsert_row(tx, program, registrant, &br_model::op::MembershipMove { from, ..mv.clone() }, rec.hlc)?;
            Ok(Effect::Applied)
        }
        Op::ProgramMembershipTransferred { program, from, to, state, .. } => {
            let program = rowid_of(tx, "programs", *program)?;
            let (from, to) = (rowid_of(tx, "registrants", *from)?, rowid_of(tx, "registrants", *to)?);
            if let Some(e) = existing(tx.conn(), program, to)? {
                return Ok(Effect::Conflict { local: serde_json::json!({ "state": e.state.as_str() }) });
            }
            let n = tx.conn().execute(
                "UPDATE program_memberships SET registrant = ?1, state = ?2, state_before_duplicate = NULL, version = ?3,
                     updated_at = ?4
                 WHERE program = ?5 AND registrant = ?6",
                params![to, state.as_str(), rec.hlc, rec.at, program, from],
            )?;
            Ok(Effect::of_rows(n))
        }
        other => Err(CoreError::Internal(format!("{} is not a program op", other.kind()))),
    }
}

fn rank(state: ProgramState) -> u8 {
    match state {
        ProgramState::Draft => 0,
        ProgramState::Active => 1,
        ProgramState::Ended => 2,
    }
}

/// A program's whole content: inserted if new; otherwise taken if the op is later than what this registry
/// holds, with the state moving only forward.
fn saved(tx: &mut Tx<'_>, rec: &OpRecord, p: &ProgramRecord) -> Result<Effect> {
    let local: Option<(i64, i64, String)> = tx
        .conn()
        .prepare_cached("SELECT rowid, version, state FROM programs WHERE id = ?1")?
        .query_row([p.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let settings = &p.disbursement;
    let entitlement = settings.entitlement.as_ref().map(serde_json::to_string).transpose()?;
    let stages = serde_json::to_string(&settings.stages)?;
    let recurrence = settings.recurrence.as_ref().map(serde_json::to_string).transpose()?;
    let Some((rowid, version, state)) = local else {
        tx.conn().execute(
            "INSERT INTO programs (id, code, name, description, target, currency, state, archived, eligibility_rule,
                 pmt_expression, pmt_threshold, auto_enrol, office_id, version, created_at, updated_at, entitlement_rule,
                 approval_stages, recurrence)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            params![
                p.id,
                p.code,
                p.name,
                p.description,
                p.target.as_str(),
                p.currency,
                p.state.as_str(),
                p.archived,
                p.eligibility_rule,
                p.pmt_expression,
                p.pmt_threshold,
                p.auto_enrol,
                rec.owner_office,
                rec.hlc,
                p.created_at,
                rec.at,
                entitlement,
                stages,
                recurrence
            ],
        )?;
        return Ok(Effect::Applied);
    };
    if rec.hlc <= version {
        return Ok(Effect::Unchanged);
    }
    let ours = ProgramState::parse(&state).unwrap_or(ProgramState::Draft);
    let state = if rank(p.state) >= rank(ours) { p.state } else { ours };
    tx.conn().execute(
        "UPDATE programs SET code = ?2, name = ?3, description = ?4, target = ?5, currency = ?6, state = ?7, archived = ?8,
             eligibility_rule = ?9, pmt_expression = ?10, pmt_threshold = ?11, auto_enrol = ?12, version = ?13,
             updated_at = ?14, entitlement_rule = ?15, approval_stages = ?16, recurrence = ?17
         WHERE rowid = ?1",
        params![
            rowid,
            p.code,
            p.name,
            p.description,
            p.target.as_str(),
            p.currency,
            state.as_str(),
            p.archived,
            p.eligibility_rule,
            p.pmt_expression,
            p.pmt_threshold,
            p.auto_enrol,
            rec.hlc,
            rec.at,
            entitlement,
            stages,
            recurrence
        ],
    )?;
    Ok(Effect::Applied)
}
