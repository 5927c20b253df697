-- The same CHECK constraints, written without IN lists. SQLite checks `x IN (a, b, c)` (a constant list of
-- more than two) by building a temporary B-tree of the list, and it builds it again for every statement that
-- checks the constraint: every insert into these tables and every update of the column. A reconciliation
-- built two for each row it applied, and generation two for each entitlement. An OR of equalities accepts
-- and refuses exactly the same values (NULL included) and needs no table.
--
-- A CHECK constraint lives only in the table's text in sqlite_schema; changing that text is SQLite's own
-- documented way to change one (https://sqlite.org/lang_altertable.html, "Making Other Kinds Of Table
-- Schema Changes"): rows on disk are not touched. Each replace names the exact text its migration wrote.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (field_type IN (''text'', ''integer'', ''decimal'', ''date'', ''boolean'', ''choice''))',
    'CHECK (field_type = ''text'' OR field_type = ''integer'' OR field_type = ''decimal'' OR field_type = ''date'' OR field_type = ''boolean'' OR field_type = ''choice'')')
    WHERE type = 'table' AND name = 'custom_fields';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''draft'', ''active'', ''ended''))',
    'CHECK (state = ''draft'' OR state = ''active'' OR state = ''ended'')')
    WHERE type = 'table' AND name = 'programs';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''draft'', ''enrolled'', ''not_eligible'', ''paused'', ''exited'', ''duplicated''))',
    'CHECK (state = ''draft'' OR state = ''enrolled'' OR state = ''not_eligible'' OR state = ''paused'' OR state = ''exited'' OR state = ''duplicated'')')
    WHERE type = 'table' AND name = 'program_memberships';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (status IN (''open'', ''duplicates'', ''not_duplicates'', ''merged''))',
    'CHECK (status = ''open'' OR status = ''duplicates'' OR status = ''not_duplicates'' OR status = ''merged'')')
    WHERE type = 'table' AND name = 'duplicate_groups';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''draft'', ''to_approve'', ''approved'', ''distributing'', ''ended'', ''cancelled''))',
    'CHECK (state = ''draft'' OR state = ''to_approve'' OR state = ''approved'' OR state = ''distributing'' OR state = ''ended'' OR state = ''cancelled'')')
    WHERE type = 'table' AND name = 'cycles';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''cash'', ''in_kind'', ''voucher''))',
    'CHECK (kind = ''cash'' OR kind = ''in_kind'' OR kind = ''voucher'')')
    WHERE type = 'table' AND name = 'entitlements';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN
                 (''draft'', ''pending'', ''approved'', ''in_payment'', ''paid'', ''failed'', ''rejected'', ''cancelled'', ''expired''))',
    'CHECK (state = ''draft'' OR state = ''pending'' OR state = ''approved'' OR state = ''in_payment'' OR state = ''paid'' OR state = ''failed'' OR state = ''rejected'' OR state = ''cancelled'' OR state = ''expired'')')
    WHERE type = 'table' AND name = 'entitlements';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''draft'', ''posted'', ''cancelled''))',
    'CHECK (state = ''draft'' OR state = ''posted'' OR state = ''cancelled'')')
    WHERE type = 'table' AND name = 'funds';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''queued'', ''sent'', ''paid'', ''failed'', ''reversed''))',
    'CHECK (state = ''queued'' OR state = ''sent'' OR state = ''paid'' OR state = ''failed'' OR state = ''reversed'')')
    WHERE type = 'table' AND name = 'payments';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (outcome IN (''applied'', ''unchanged'', ''conflict''))',
    'CHECK (outcome = ''applied'' OR outcome = ''unchanged'' OR outcome = ''conflict'')')
    WHERE type = 'table' AND name = 'applied_ops';
-- Parses the new text (a typo fails here and rolls the migration back), then bumps the schema cookie with a
-- real change so that every other connection reads the tables again.
PRAGMA writable_schema = RESET;
CREATE TABLE schema_reload (x);
DROP TABLE schema_reload;
