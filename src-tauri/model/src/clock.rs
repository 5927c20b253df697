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

/// Milliseconds since the Unix epoch as RFC 3339 UTC (the wall time of an HLC stamp).
pub fn rfc3339_of_ms(ms: u64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn today() -> time::Date {
    now_utc().date()
}

/// The same day `years` earlier: the last birth date of someone who is `years` old on `date`. On 29 February,
/// in a year without one, that is the 28th: a person born on 1 March has not had that birthday yet.
/// Beyond the calendar's first year (any age above about 12,000 years) it is that first day.
/// A `YYYY-MM-DD` date, or none.
pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

pub fn years_before(date: time::Date, years: u32) -> time::Date {
    let year = i64::from(date.year()) - i64::from(years);
    let Ok(year) = i32::try_from(year) else { return time::Date::MIN };
    time::Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| time::Date::from_calendar_date(year, date.month(), 28))
        .unwrap_or(time::Date::MIN)
}

/// A hybrid logical clock stamp: wall milliseconds, and a counter for changes within the same
/// millisecond (or while the wall clock is behind the last stamp). Stored as one integer,
/// `wall_ms << 20 | counter`, so integer order is stamp order; ties between offices are broken by the
/// office id stored beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HlcStamp {
    pub wall_ms: u64,
    pub counter: u32,
}

const COUNTER_BITS: u32 = 20;

impl HlcStamp {
    pub fn to_i64(self) -> i64 {
        ((self.wall_ms << COUNTER_BITS) | self.counter as u64) as i64
    }

    pub fn from_i64(v: i64) -> Self {
        let v = v as u64;
        HlcStamp { wall_ms: v >> COUNTER_BITS, counter: (v & ((1 << COUNTER_BITS) - 1)) as u32 }
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
        let next = if wall > last.wall_ms || last.counter + 1 >= 1 << COUNTER_BITS {
            // A full counter borrows the next millisecond rather than overflow into the wall time.
            HlcStamp { wall_ms: wall.max(last.wall_ms + 1), counter: 0 }
        } else {
            HlcStamp { wall_ms: last.wall_ms, counter: last.counter + 1 }
        };
        *last = next;
        next
    }

    /// Moves the clock past a stamp seen from another desk, so this desk's later stamps order after it.
    pub fn observe(&self, seen: HlcStamp) {
        let mut last = self.last.lock().expect("clock lock");
        if seen > *last {
            *last = seen;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn years_before_a_leap_day_is_the_28th_of_february() {
        use time::macros::date;
        assert_eq!(super::years_before(date!(2028 - 02 - 29), 18), date!(2010 - 02 - 28));
        assert_eq!(super::years_before(date!(2028 - 02 - 29), 4), date!(2024 - 02 - 29));
        assert_eq!(super::years_before(date!(2026 - 11 - 22), 60), date!(1966 - 11 - 22));
        // `br search --age-min 20000` panicked here.
        assert_eq!(super::years_before(date!(2026 - 11 - 22), 20_000), time::Date::MIN);
        assert_eq!(super::years_before(date!(2026 - 11 - 22), u32::MAX), time::Date::MIN);
    }

    use super::*;

    #[test]
    fn stamps_are_strictly_increasing_and_sort_as_integers() {
        // A clock far ahead of the wall (a laptop whose clock was wrong) still only moves forward.
        let future = HlcStamp { wall_ms: 4_000_000_000_000, counter: 5 };
        let hlc = Hlc::new(future);
        let a = hlc.tick();
        let b = hlc.tick();
        assert!(a > future && b > a);
        assert!(a.to_i64() < b.to_i64());
        assert_eq!(HlcStamp::from_i64(b.to_i64()), b);
        let full = Hlc::new(HlcStamp { wall_ms: future.wall_ms, counter: (1 << 20) - 1 });
        let c = full.tick();
        assert_eq!((c.wall_ms, c.counter), (future.wall_ms + 1, 0));
    }
}
