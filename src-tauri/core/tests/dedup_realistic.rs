//! Deduplication on the realistic set in `tests/data/dedup-realistic` (built by its own generator, not by
//! `br gen`): 2,971 registrations in Latin, Arabic and Ethiopic script, household phones, estimated birth
//! dates, people and households registered again, and look-alikes that must stay apart. The targets are
//! those of docs/programs.md ("How good it is").

mod common;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use br_core::dedup::quality::{quality, DedupQuality};
use br_core::dedup::review::{self, DedupRequest};
use br_core::io::import::ImportOptions;
use common::Fixture;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/dedup-realistic").join(name)
}

fn realistic() -> (Fixture, DedupQuality) {
    let fx = Fixture::new();
    // The import writes its rejects beside the file: a copy keeps the repository clean.
    let people = fx.file("people.csv", &std::fs::read(data("people.csv")).unwrap());
    let imported = fx.import(&fx.admin, &people, &ImportOptions::default()).unwrap();
    assert_eq!((imported.rows_read, imported.rejected), (2_971, 0));
    let everything = DedupRequest { program: None, exact: true, fuzzy: true, households: true };
    review::run(fx.registry.store(), &fx.admin, &everything, &AtomicBool::new(false)).unwrap();
    let q = quality(fx.registry.store(), &data("truth.csv"), Some(&data("confusers.csv"))).unwrap();
    (fx, q)
}

#[test]
fn realistic_duplicates_are_found_and_look_alikes_kept_apart() {
    let (_fx, q) = realistic();
    println!("precision {:.3} recall {:.3} F1 {:.3}", q.precision, q.recall, q.f1);
    for k in q.by_kind.iter().chain(&q.lookalikes) {
        println!("{:<28} {:>4} of {:>4}  {:.3}", k.kind, k.proposed, k.pairs, k.share);
    }
    assert_eq!((q.truth_pairs, q.truth_pairs_missing), (574, 0));
    assert!(q.recall >= 0.90, "recall {q:?}");
    assert!(q.precision >= 0.80, "precision {q:?}");
    assert_eq!(q.lookalikes.len(), 5, "every look-alike kind is in the registry");
    for kind in &q.lookalikes {
        assert!(kind.share <= 0.10, "{} look-alikes proposed: {kind:?}", kind.kind);
    }
}
