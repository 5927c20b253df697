#!/usr/bin/env node
// Prints the README's table of the million-row targets from `br bench --json` outputs, one column per run:
//   node scripts/bench-table.mjs run1.json run2.json
import { readFileSync } from "node:fs";

const runs = process.argv.slice(2).map((path) => JSON.parse(readFileSync(path, "utf8")));
if (runs.length === 0) {
  console.error("usage: node scripts/bench-table.mjs BENCH.json [BENCH.json ...]");
  process.exit(2);
}

const thousands = (n) => Math.round(n).toLocaleString("en-US");
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const rows = [
  ["floor (`floor_rows_per_s`)", (r) => `${thousands(r.floor_rows_per_s)} rows/s`, ""],
  ["import (`import_rows_per_s`)", (r) => `${thousands(r.import_rows_per_s)} rows/s (${r.import_s.toFixed(1)} s)`, ""],
  ["import / floor (`import_vs_floor`)", (r) => r.import_vs_floor.toFixed(3), "≥ 0.5"],
  ["import peak memory (`peak_rss_bytes`)", (r) => `${thousands(r.peak_rss_bytes / 1e6)} MB`, "< 500 MB"],
  [
    "preview, a rule the database cannot narrow (`programs.preview_full_scan_ms`)",
    (r) => seconds(r.programs.preview_full_scan_ms),
    "< 2 s",
  ],
  ["prepare payments (`disbursement.prepare_ms`)", (r) => seconds(r.disbursement.prepare_ms), "< 5 s"],
  [
    "reconciliation (`disbursement.reconcile_rows_per_s`)",
    (r) => `${thousands(r.disbursement.reconcile_rows_per_s)} rows/s`,
    "≥ 200,000 rows/s",
  ],
  ["dashboard counts (`ui_dashboard_ms`)", (r) => `${r.ui_dashboard_ms.toFixed(1)} ms`, "< 50 ms"],
  ["generate entitlements (`disbursement.generate_ms`)", (r) => seconds(r.disbursement.generate_ms), "< 8 s"],
];

const header = ["step at " + thousands(runs[0].individuals), ...runs.map((_, i) => `run ${i + 1}`), "target"];
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map(() => "---").join("|")}|`);
for (const [name, value, target] of rows) {
  console.log(`| ${[name, ...runs.map(value), target].join(" | ")} |`);
}
