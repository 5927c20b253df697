-- The home dashboard's counts, kept by the registrant writer (registry/write.rs, through which the editor,
-- the import, replay and the snapshot all write) in the same transaction as the rows, so they are exact and
-- current without scanning a million encrypted rows. '' stands for "none" in the keys: a unique key treats
-- NULLs as distinct.
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
