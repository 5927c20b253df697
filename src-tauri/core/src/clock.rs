//! UTC time and the hybrid logical clock that stamps every synced change.

use std::sync::Mutex;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn now_utc() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub fn now_rfc3339() -> String {
    now_utc().format(&Rfc3339).expect("UTC instants always format")
}

pub fn today() -> time::Date {
    now_utc().date()
}

/// A hybrid logical clock stamp: wall milliseconds, a counter for changes within the same millisecond
/// (or while the wall clock is behind the last stamp), and the office id that breaks ties.
/// Formatted so that string order is stamp order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HlcStamp {
    pub wall_ms: u64,
    pub counter: u32,
}

impl HlcStamp {
    pub fn format(&self, office: &uuid::Uuid) -> String {
        format!("{:015}-{:06}-{}", self.wall_ms, self.counter, office.simple())
    }

    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, '-');
        let wall_ms = parts.next()?.parse().ok()?;
        let counter = parts.next()?.parse().ok()?;
        Some(HlcStamp { wall_ms, counter })
    }
}

pub struct Hlc {
    last: Mutex<HlcStamp>,
}

impl Hlc {
    pub fn new(last: HlcStamp) -> Self {
        Hlc { last: Mutex::new(last) }
    }

    /// The next stamp: never earlier than any stamp given before, even if the wall clock steps back.
    pub fn tick(&self) -> HlcStamp {
        let wall = now_utc().unix_timestamp_nanos() as u64 / 1_000_000;
        let mut last = self.last.lock().expect("clock lock");
        let next = if wall > last.wall_ms {
            HlcStamp { wall_ms: wall, counter: 0 }
        } else {
            HlcStamp { wall_ms: last.wall_ms, counter: last.counter + 1 }
        };
        *last = next;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_strictly_increasing_and_sort_as_strings() {
        let office = uuid::Uuid::now_v7();
        let future = HlcStamp { wall_ms: u64::MAX / 2_000_000, counter: 5 };
        let hlc = Hlc::new(future);
        let a = hlc.tick();
        let b = hlc.tick();
        assert!(a > future && b > a);
        assert!(a.format(&office) < b.format(&office));
        assert_eq!(HlcStamp::parse(&b.format(&office)), Some(b));
    }
}
