//! Beneficiary records as the IBR answers carry them, read from the registry view: IDs and program data
//! for every caller; names, sex and birth date only for a caller holding `ibr.names`. Nothing else of a
//! person (phone, financial address, custom fields) ever leaves through these answers.

use std::collections::HashMap;

use br_model::privacy::is_hashed;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::db::rows;
use crate::error::Result;

/// The id type under which a caller may name a person by our registry's id.
pub const REGISTRY_ID: &str = "br_id";

/// Registrants who hold `value` under `id_type` (our own id under [`REGISTRY_ID`]); merged duplicates
/// answer as the record kept. Under a privacy profile that keeps ID numbers as keyed hashes, the number
/// asked for is hashed with the registry's key and compared.
pub async fn by_id(client: &impl GenericClient, id_type: &str, value: &str) -> Result<Vec<Uuid>> {
    let rows = if id_type.eq_ignore_ascii_case(REGISTRY_ID) {
        let Ok(id) = value.parse::<Uuid>() else { return Ok(Vec::new()) };
        rows(client, "SELECT coalesce(merged_into, id) FROM registry_registrants WHERE id = $1", &[&id]).await?
    } else {
        rows(client,
                "SELECT DISTINCT coalesce(r.merged_into, r.id) FROM registry_ids i JOIN registry_registrants r ON r.id = i.registrant
                 WHERE lower(i.id_type) = lower($1) AND i.value = $2",
                &[&id_type, &crate::privacy::load(client).await?.id_value(value)],
            )
            .await?
    };
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The records of `people`, in the order given.
pub async fn records(client: &impl GenericClient, people: &[Uuid], names: bool) -> Result<Vec<serde_json::Value>> {
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: HashMap<Uuid, Vec<serde_json::Value>> = HashMap::new();
    for r in rows(
        client,
        "SELECT registrant, id_type, value FROM registry_ids WHERE registrant = ANY($1) ORDER BY id_type",
        &[&people],
    )
    .await?
    {
        let value: String = r.get(2);
        // A keyed hash says nothing to the caller and is not handed out.
        if is_hashed(&value) {
            continue;
        }
        ids.entry(r.get(0)).or_default().push(serde_json::json!({
            "identifier_type": r.get::<_, String>(1), "identifier_value": value
        }));
    }
    let mut households: HashMap<Uuid, Uuid> = HashMap::new();
    for r in rows(
        client,
        "SELECT individual, grp FROM registry_household_members WHERE individual = ANY($1) AND end_date IS NULL",
        &[&people],
    )
    .await?
    {
        households.insert(r.get(0), r.get(1));
    }
    let mut programmes = programmes(client, people).await?;
    let rows = rows(
        client,
        "SELECT id, kind, registered_on, status, fields FROM registry_registrants WHERE id = ANY($1)",
        &[&people],
    )
    .await?;
    let mut by_person: HashMap<Uuid, serde_json::Value> = HashMap::new();
    for r in rows {
        let id: Uuid = r.get(0);
        let kind: String = r.get(1);
        let fields: serde_json::Value = r.get(4);
        let mut identifiers =
            vec![serde_json::json!({ "identifier_type": REGISTRY_ID, "identifier_value": id.to_string() })];
        identifiers.extend(ids.remove(&id).unwrap_or_default());
        let mut record = serde_json::json!({
            "@type": if kind == "group" { "Group" } else { "Person" },
            "identifier": identifiers,
            "registration_date": r.get::<_, String>(2),
            "registration_status": r.get::<_, String>(3),
            "household_identifier": households.get(&id).map(|g| g.to_string()),
            "programmes": programmes.remove(&id).unwrap_or_default(),
        });
        if names {
            let text = |k: &str| fields.get(k).cloned().unwrap_or(serde_json::Value::Null);
            record["name"] = if kind == "group" {
                serde_json::json!({ "group_name": text("group_name") })
            } else {
                serde_json::json!({ "given_name": text("given_name"), "surname": text("family_name") })
            };
            record["sex"] = text("sex");
            record["birth_date"] = text("birth_date");
        }
        by_person.insert(id, record);
    }
    Ok(people.iter().filter_map(|p| by_person.remove(p)).collect())
}

/// Each person's program memberships with their entitlements and the payment of each.
async fn programmes(client: &impl GenericClient, people: &[Uuid]) -> Result<HashMap<Uuid, Vec<serde_json::Value>>> {
    let mut benefits: HashMap<(Uuid, Uuid), Vec<serde_json::Value>> = HashMap::new();
    for r in rows(client,
            "SELECT e.registrant, c.program, c.sequence, c.name, e.kind, e.amount, e.currency, e.state, e.valid_from,
                    e.valid_until, p.state, p.external_ref, p.reason, p.changed_at
             FROM registry_entitlements e JOIN registry_cycles c ON c.id = e.cycle
             LEFT JOIN LATERAL (SELECT * FROM registry_payments WHERE entitlement = e.id ORDER BY id DESC LIMIT 1) p ON true
             WHERE e.registrant = ANY($1) ORDER BY c.sequence",
            &[&people],
        )
        .await?
    {
        let amount: i64 = r.get(5);
        let currency: String = r.get(6);
        let decimal = br_model::money::format(amount, &currency);
        benefits.entry((r.get(0), r.get(1))).or_default().push(serde_json::json!({
            "cycle_sequence": r.get::<_, i64>(2),
            "cycle_name": r.get::<_, String>(3),
            "benefit_type": r.get::<_, String>(4),
            "benefit_value": decimal.split(' ').next().unwrap_or_default(),
            "amount_minor": amount,
            "currency": currency,
            "entitlement_status": r.get::<_, String>(7),
            "valid_from": r.get::<_, String>(8),
            "valid_until": r.get::<_, String>(9),
            "payment_status": r.get::<_, Option<String>>(10),
            "payment_reference": r.get::<_, Option<String>>(11),
            "payment_failure_reason": r.get::<_, Option<String>>(12),
            "payment_status_date": r.get::<_, Option<String>>(13),
        }));
    }
    let mut out: HashMap<Uuid, Vec<serde_json::Value>> = HashMap::new();
    for r in rows(
        client,
        "SELECT m.registrant, p.id, p.code, p.name, m.state, m.enrolled_on, m.exited_on, m.changed_at
             FROM registry_memberships m JOIN registry_programs p ON p.id = m.program
             WHERE m.registrant = ANY($1) ORDER BY p.code",
        &[&people],
    )
    .await?
    {
        let person: Uuid = r.get(0);
        let program: Uuid = r.get(1);
        out.entry(person).or_default().push(serde_json::json!({
            "programme_identifier": r.get::<_, String>(2),
            "programme_name": r.get::<_, String>(3),
            "enrolment_status": r.get::<_, String>(4),
            "enrolment_date": r.get::<_, Option<String>>(5),
            "exit_date": r.get::<_, Option<String>>(6),
            "status_date": r.get::<_, String>(7),
            "benefits": benefits.remove(&(person, program)).unwrap_or_default(),
        }));
    }
    Ok(out)
}
