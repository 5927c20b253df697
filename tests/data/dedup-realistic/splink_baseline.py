"""Splink 5 on the realistic deduplication set, as the comparison issue 14 asks for: a sensible unsupervised
configuration (names, birth date, national ID, phone, sex, area; u by random sampling, m by EM), trained without the
truth labels, scored against truth.csv and confusers.csv at several thresholds.

    python3 -m venv /tmp/splink && /tmp/splink/bin/pip install splink pandas
    /tmp/splink/bin/python tests/data/dedup-realistic/splink_baseline.py tests/data/dedup-realistic
"""
import csv, sys, os
import pandas as pd
from splink import Linker, SettingsCreator, DuckDBAPI, block_on
import splink.comparison_library as cl

HERE = sys.argv[1]
df = pd.read_csv(os.path.join(HERE, "people.csv"), dtype=str).fillna("")
df = df.rename(columns={"id:national_id": "national_id"})
df["unique_id"] = df["external_id"]
for c in ["given_name", "family_name"]:
    df[c] = df[c].str.lower()
df = df.replace({"": None})
db = DuckDBAPI()
sdf = db.register(df)
settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        cl.NameComparison("given_name"),
        cl.NameComparison("family_name"),
        cl.DateOfBirthComparison("birth_date", input_is_string=True),
        cl.ExactMatch("national_id"),
        cl.ExactMatch("phone"),
        cl.ExactMatch("sex"),
        cl.ExactMatch("area"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("given_name", "birth_date"),
        block_on("family_name", "birth_date"),
        block_on("national_id"),
        block_on("phone"),
        block_on("given_name", "family_name"),
        block_on("area", "substr(birth_date, 1, 4)"),
    ],
)
linker = Linker(sdf, settings)
linker.training.estimate_probability_two_random_records_match([block_on("national_id")], recall=0.6)
linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "family_name"))
pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
truth = {}
with open(os.path.join(HERE, "truth.csv")) as f:
    for r in csv.DictReader(f):
        truth[frozenset((r["original_external_id"], r["duplicate_external_id"]))] = r["variation"]
conf = {}
with open(os.path.join(HERE, "confusers.csv")) as f:
    for r in csv.DictReader(f):
        conf[frozenset((r["a_external_id"], r["b_external_id"]))] = r["kind"]
for threshold in (0.5, 0.8, 0.9, 0.95, 0.99):
    found = {frozenset((a, b)) for a, b, p in zip(pred.unique_id_l, pred.unique_id_r, pred.match_probability) if p >= threshold}
    tp = len(found & truth.keys())
    precision = tp / len(found) if found else 0
    recall = tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0
    kinds = {}
    for k, kind in conf.items():
        kinds.setdefault(kind, [0, 0])
        kinds[kind][1] += 1
        if k in found:
            kinds[kind][0] += 1
    print(f"threshold {threshold}: proposed {len(found)}, precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}; confusers proposed: " + ", ".join(f"{k} {a}/{n}" for k, (a, n) in sorted(kinds.items())))
