//! Money as integer minor units of an ISO 4217 currency, and how many decimals each currency has.

/// The largest amount (or quantity) one entitlement, fee, fund or payment may hold: 10^15 minor units, a
/// thousand times any real transfer, and far enough below `i64::MAX` that sums of many stay exact.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Adds amounts, or says the sum cannot be counted (rather than wrapping to a wrong total).
pub fn add(a: i64, b: i64) -> Result<i64, crate::ModelError> {
    a.checked_add(b).ok_or_else(|| crate::ModelError::InvalidInput("the total is too large to count".into()))
}

/// Decimals of a currency's minor unit: 2 unless ISO 4217 says otherwise.
pub fn decimals(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND" | "VUV"
        | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `12345` ETB as `123.45 ETB`; `-5` as `-0.05 ETB`; `1500` XOF as `1500 XOF`.
pub fn format(minor: i64, currency: &str) -> String {
    let d = decimals(currency);
    if d == 0 {
        return format!("{minor} {currency}");
    }
    let unit = 10i64.pow(d);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:0width$} {currency}", abs / unit as u64, abs % unit as u64, width = d as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(format(12_345, "ETB"), "123.45 ETB");
        assert_eq!(format(-5, "ETB"), "-0.05 ETB");
        assert_eq!(format(1_500, "XOF"), "1500 XOF");
        assert_eq!(format(1_234, "KWD"), "1.234 KWD");
    }
}
