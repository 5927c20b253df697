//! Keyset paging by registrant rowid, as the program's members and a cycle's entitlements are listed: the
//! size a page request may ask for, the key it starts after, and the page cut from the `limit + 1` rows the
//! query returned.

use crate::error::{CoreError, Result};

/// Rows per page: 100 unless asked, at most 500.
pub(crate) fn limit(requested: Option<u32>) -> i64 {
    requested.unwrap_or(100).clamp(1, 500) as i64
}

/// The key a page starts after: the previous page's cursor, or 0 for the first page.
pub(crate) fn after(cursor: Option<&str>) -> Result<i64> {
    match cursor {
        Some(c) => c.parse().map_err(|_| CoreError::InvalidInput("invalid cursor".into())),
        None => Ok(0),
    }
}

/// At most `limit` items of `(item, key)` rows, and the cursor of the next page when there is one.
pub(crate) fn page<T>(mut rows: Vec<(T, i64)>, limit: i64) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let cursor = if more { rows.last().map(|(_, key)| key.to_string()) } else { None };
    (rows.into_iter().map(|(item, _)| item).collect(), cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_has_a_cursor_only_when_more_rows_follow() {
        assert_eq!(page(vec![("a", 3), ("b", 7), ("c", 9)], 2), (vec!["a", "b"], Some("7".to_string())));
        assert_eq!(page(vec![("a", 3), ("b", 7)], 2), (vec!["a", "b"], None));
        assert_eq!(after(Some("7")).unwrap(), 7);
        assert_eq!(after(None).unwrap(), 0);
        assert!(after(Some("x")).is_err());
        assert_eq!((limit(None), limit(Some(0)), limit(Some(9000))), (100, 1, 500));
    }
}
