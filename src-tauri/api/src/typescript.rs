//! Generates `ui/src/api/bindings.ts` from the Rust types: every request, response and the types they
//! use, the operation map the UI's client is typed by, and the error codes.

use std::collections::BTreeMap;

use ts_rs::{TypeVisitor, TS};

use crate::ops::Operation;

/// ts-rs writes 64-bit integers as `bigint`, but serde_json sends them as JSON numbers; every count,
/// sequence and size here stays far below 2^53, so `number` is the truthful type, wherever it appears
/// (a field, an array's element, a tuple, an operation's response).
fn number_for_bigint(ts: &str) -> String {
    ts.replace("bigint", "number")
}

#[derive(Default)]
pub struct Collector {
    decls: BTreeMap<String, String>,
    /// Which Rust type each TypeScript name came from: two types of one name would share one declaration.
    origins: BTreeMap<String, &'static str>,
    collisions: Vec<String>,
    ops: Vec<(String, String, String)>,
}

/// A Rust type's path without its generic arguments (`Delivered<A>` and `Delivered<B>` are one TS type);
/// ts-rs's stand-in for `serde_json::Value` is that type.
fn origin<T: ?Sized>() -> &'static str {
    let name = std::any::type_name::<T>();
    match name.split('<').next().unwrap_or(name) {
        "ts_rs::serde_json::TsJsonValue" => "serde_json::value::Value",
        path => path,
    }
}

impl TypeVisitor for Collector {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // A generic's arguments (`Delivered<PaymentFile>`, `Vec<SyncConflict>`) are types the UI uses too,
        // whichever instance of the generic comes first.
        T::visit_generics(self);
        if T::output_path().is_none() {
            return;
        }
        let name = T::ident();
        if let Some(first) = self.origins.get(&name) {
            if *first != origin::<T>() {
                self.collisions.push(format!("{name}: {first} and {}", origin::<T>()));
            }
            return;
        }
        self.origins.insert(name.clone(), origin::<T>());
        let decl = number_for_bigint(&T::decl());
        self.decls.insert(name, format!("export {decl}"));
        T::visit_dependencies(self);
    }
}

impl Collector {
    pub(crate) fn operation<O: Operation>(&mut self) {
        self.visit::<O>();
        self.visit::<O::Response>();
        self.ops.push((
            O::NAME.to_string(),
            number_for_bigint(&O::name()),
            number_for_bigint(&<O::Response as TS>::name()),
        ));
    }
}

pub fn bindings() -> String {
    let mut c = Collector::default();
    crate::operation_table(&mut c);
    c.visit::<crate::ApiError>();
    c.visit::<crate::Progress>();
    c.visit::<crate::app::AppRequest>();
    c.visit::<crate::app::AppStatus>();
    c.visit::<crate::app::AppEvent>();
    c.visit::<crate::app::LoginResponse>();
    assert!(c.collisions.is_empty(), "Rust types that would share a TypeScript name: {:?}", c.collisions);
    let mut out = String::from(
        "// Generated from the Rust types (src-tauri/api). Do not edit: run `BR_UPDATE_BINDINGS=1 cargo test -p br-api --test bindings`.\n\n",
    );
    for decl in c.decls.values() {
        out.push_str(decl);
        out.push_str("\n\n");
    }
    out.push_str("/** Every API operation: name -> [request, response]. */\nexport type Operations = {\n");
    for (name, req, res) in &c.ops {
        out.push_str(&format!("  \"{name}\": [{req}, {res}];\n"));
    }
    out.push_str("};\n\n/** The closed list of error codes. */\nexport const ERROR_CODES: ErrorCode[] = [\n");
    for code in br_core::ErrorCode::ALL {
        out.push_str(&format!("  \"{}\",\n", code.as_str()));
    }
    out.push_str(
        "];\n\n/** The import format's own columns (docs/import-format.md). */\nexport const IMPORT_COLUMNS = [\n",
    );
    for (name, _) in br_core::io::mapping::FIXED_COLUMNS {
        out.push_str(&format!("  \"{name}\",\n"));
    }
    out.push_str("] as const;\n");
    out
}
