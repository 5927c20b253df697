//! Counters for `GET /metrics` in Prometheus' text format. They describe this process only: state that
//! matters lives in PostgreSQL, and a scraper adds the processes up.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    pub ops_applied: AtomicU64,
    pub ops_duplicate: AtomicU64,
    pub ops_rejected: AtomicU64,
    pub ops_conflict: AtomicU64,
    pub ops_pulled: AtomicU64,
    /// Ops between the cursor of the last page served and the head, at that moment.
    pub pull_lag: AtomicI64,
    pub refusals: AtomicU64,
    /// Bytes of snapshot chunks served.
    pub snapshot_bytes: AtomicU64,
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((route.to_string(), status)).or_default() += 1;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP br_server_requests_total HTTP requests served, by route and status.\n");
        out.push_str("# TYPE br_server_requests_total counter\n");
        for ((route, status), n) in self.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "br_server_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let counters = [
            ("br_server_ops_total{outcome=\"applied\"}", &self.ops_applied),
            ("br_server_ops_total{outcome=\"duplicate\"}", &self.ops_duplicate),
            ("br_server_ops_total{outcome=\"rejected\"}", &self.ops_rejected),
            ("br_server_ops_total{outcome=\"conflict\"}", &self.ops_conflict),
        ];
        out.push_str("# HELP br_server_ops_total Pushed ops, by what the server did with them.\n");
        out.push_str("# TYPE br_server_ops_total counter\n");
        for (name, value) in counters {
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        let _ = write!(
            out,
            "# HELP br_server_ops_pulled_total Ops served to desks by pull.\n# TYPE br_server_ops_pulled_total counter\n\
             br_server_ops_pulled_total {}\n\
             # HELP br_server_pull_lag_ops Ops between the last pull page served and the server's head.\n\
             # TYPE br_server_pull_lag_ops gauge\nbr_server_pull_lag_ops {}\n\
             # HELP br_server_refusals_total Requests refused (signature, nonce, timestamp, device, code, size).\n\
             # TYPE br_server_refusals_total counter\nbr_server_refusals_total {}\n\
             # HELP br_server_snapshot_bytes_total Bytes of snapshot chunks served to desks.\n\
             # TYPE br_server_snapshot_bytes_total counter\nbr_server_snapshot_bytes_total {}\n",
            self.ops_pulled.load(Ordering::Relaxed),
            self.pull_lag.load(Ordering::Relaxed),
            self.refusals.load(Ordering::Relaxed),
            self.snapshot_bytes.load(Ordering::Relaxed),
        );
        out
    }
}
