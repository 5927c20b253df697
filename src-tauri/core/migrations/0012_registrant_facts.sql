-- The fields most eligibility rules read, one narrow row per registrant kept by triggers (program/select.rs):
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

CREATE TRIGGER registrant_facts_insert AFTER INSERT ON registrants BEGIN
    INSERT INTO registrant_facts (rowid, kind, status, sex, birth_date, birth_date_approx, area, registered_on)
        VALUES (new.rowid, new.kind, new.status, new.sex, new.birth_date, new.birth_date_approx, new.area,
                new.registered_on);
END;

CREATE TRIGGER registrant_facts_delete AFTER DELETE ON registrants BEGIN
    DELETE FROM registrant_facts WHERE rowid = old.rowid;
END;

CREATE TRIGGER registrant_facts_update
AFTER UPDATE OF kind, status, sex, birth_date, birth_date_approx, area, registered_on ON registrants BEGIN
    UPDATE registrant_facts SET kind = new.kind, status = new.status, sex = new.sex, birth_date = new.birth_date,
        birth_date_approx = new.birth_date_approx, area = new.area, registered_on = new.registered_on
        WHERE rowid = new.rowid;
END;
