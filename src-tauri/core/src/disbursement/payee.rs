//! Who a cash entitlement is paid to.

/// SQL for the payee's financial address of the registrant aliased `r`: their own, else their household
/// head's (a child's grant goes to the caregiver; a household's to its head). NULL when neither has one.
/// Payment preparation copies it onto each payment, and the cycle's list of those it cannot pay uses it,
/// so both count the same people.
pub(crate) const PAYEE_ADDRESS: &str = "coalesce(r.financial_address, (
    SELECT h.financial_address FROM memberships mh JOIN registrants h ON h.rowid = mh.individual_rowid
    WHERE mh.is_head = 1 AND mh.end_date IS NULL AND mh.group_rowid = CASE WHEN r.kind = 'group'
        THEN r.rowid
        ELSE (SELECT m.group_rowid FROM memberships m WHERE m.individual_rowid = r.rowid AND m.end_date IS NULL LIMIT 1)
    END))";
