-- The fields most eligibility rules read, one narrow row per registrant kept by the registrant writer
-- (registry/write.rs) in the same transaction as the row (program/select.rs reads it):
-- a rule over everyone that reads only these is evaluated from here, a fraction of the registrants table's
-- pages to decrypt. A table rather than a covering index, which the planner also chose for list pages and
-- then sorted a million rows.
CREATE TABLE registrant_facts (
    rowid             INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL,
    sex               TEXT,
    birth_date        TEXT,
    birth_date_approx INTEGER NOT NULL,
    area              TEXT,
    registered_on     TEXT NOT NULL
);

INSERT INTO registrant_facts (rowid, kind, status, sex, birth_date, birth_date_approx, area, registered_on)
    SELECT rowid, kind, status, sex, birth_date, birth_date_approx, area, registered_on FROM registrants;
