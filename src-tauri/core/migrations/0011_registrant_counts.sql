-- The home dashboard's counts, kept by triggers in the same transaction as every write to registrants
-- (editor, import, replay, merge, snapshot), so they are exact and current without scanning a million
-- encrypted rows. '' stands for "none" in the keys: a unique key treats NULLs as distinct.
CREATE TABLE registrant_counts (
    kind   TEXT NOT NULL,
    status TEXT NOT NULL,
    area   TEXT NOT NULL,
    sex    TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (kind, status, area, sex)
) WITHOUT ROWID;

-- Individuals by birth date, for age bands: a band's edge falls on a day, so a year is not fine enough.
CREATE TABLE birth_date_counts (
    status     TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (status, birth_date)
) WITHOUT ROWID;

INSERT INTO registrant_counts (kind, status, area, sex, n)
    SELECT kind, status, ifnull(area, ''), ifnull(sex, ''), count(*) FROM registrants GROUP BY 1, 2, 3, 4;
INSERT INTO birth_date_counts (status, birth_date, n)
    SELECT status, ifnull(birth_date, ''), count(*) FROM registrants WHERE kind = 'individual' GROUP BY 1, 2;

CREATE TRIGGER registrant_counts_insert AFTER INSERT ON registrants BEGIN
    INSERT INTO registrant_counts (kind, status, area, sex, n)
        VALUES (new.kind, new.status, ifnull(new.area, ''), ifnull(new.sex, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO birth_date_counts (status, birth_date, n)
        SELECT new.status, ifnull(new.birth_date, ''), 1 WHERE new.kind = 'individual'
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER registrant_counts_delete AFTER DELETE ON registrants BEGIN
    UPDATE registrant_counts SET n = n - 1
        WHERE (kind, status, area, sex) = (old.kind, old.status, ifnull(old.area, ''), ifnull(old.sex, ''));
    UPDATE birth_date_counts SET n = n - 1
        WHERE old.kind = 'individual' AND (status, birth_date) = (old.status, ifnull(old.birth_date, ''));
END;

CREATE TRIGGER registrant_counts_update AFTER UPDATE OF kind, status, area, sex, birth_date ON registrants
WHEN old.kind IS NOT new.kind OR old.status IS NOT new.status OR old.area IS NOT new.area
    OR old.sex IS NOT new.sex OR old.birth_date IS NOT new.birth_date
BEGIN
    UPDATE registrant_counts SET n = n - 1
        WHERE (kind, status, area, sex) = (old.kind, old.status, ifnull(old.area, ''), ifnull(old.sex, ''));
    INSERT INTO registrant_counts (kind, status, area, sex, n)
        VALUES (new.kind, new.status, ifnull(new.area, ''), ifnull(new.sex, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    UPDATE birth_date_counts SET n = n - 1
        WHERE old.kind = 'individual' AND (status, birth_date) = (old.status, ifnull(old.birth_date, ''));
    INSERT INTO birth_date_counts (status, birth_date, n)
        SELECT new.status, ifnull(new.birth_date, ''), 1 WHERE new.kind = 'individual'
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
