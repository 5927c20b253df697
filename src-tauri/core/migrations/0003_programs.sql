-- Programs, program memberships and deduplication (design §4, §7).

CREATE TABLE programs (
    rowid            INTEGER PRIMARY KEY,
    id               BLOB NOT NULL UNIQUE,
    code             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    target           TEXT NOT NULL CHECK (target IN ('individual', 'group')),
    currency         TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'active', 'ended')),
    archived         INTEGER NOT NULL DEFAULT 0,
    -- CEL source; empty means everyone of the target kind who is active.
    eligibility_rule TEXT NOT NULL DEFAULT '',
    -- Proxy-means test: a CEL score and the threshold a registrant must reach (score >= threshold).
    pmt_expression   TEXT,
    pmt_threshold    REAL,
    -- New registrants who match the rule are enrolled as they are imported or created.
    auto_enrol       INTEGER NOT NULL DEFAULT 0,
    office_id        BLOB NOT NULL,
    version          INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

-- No foreign key to registrants: registrants are never deleted, and checking one per insert reads the
-- registrant's page, which made enrolling half a million people re-read (and decrypt) most of the
-- registry: 19 s instead of a few.
CREATE TABLE program_memberships (
    program          INTEGER NOT NULL REFERENCES programs (rowid),
    registrant       INTEGER NOT NULL,
    id               BLOB NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('draft', 'enrolled', 'not_eligible', 'paused', 'exited', 'duplicated')),
    -- The state a `duplicated` membership returns to when a person decides the group is not duplicates.
    state_before_duplicate TEXT,
    enrolled_on      TEXT,
    exited_on        TEXT,
    reason           TEXT,
    pmt_score        REAL,
    version          INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (program, registrant)
) WITHOUT ROWID;
CREATE INDEX program_memberships_registrant ON program_memberships (registrant);
CREATE INDEX program_memberships_state ON program_memberships (program, state, registrant);

-- A registrant merged into another is kept (disabled) and points at the record that survived.
ALTER TABLE registrants ADD COLUMN merged_into INTEGER REFERENCES registrants (rowid);

-- Duplicate groups found by a dedup run. Open groups are replaced by the next run of the same scope;
-- decided ones stay as the record of a person's decision.
CREATE TABLE duplicate_groups (
    rowid       INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    -- 0 for registry-wide, else the program's rowid.
    scope       INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('individual', 'group')),
    score       REAL NOT NULL,
    reasons     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'duplicates', 'not_duplicates', 'merged')),
    found_at    TEXT NOT NULL,
    decided_by  TEXT,
    decided_at  TEXT,
    comment     TEXT
);
CREATE INDEX duplicate_groups_status ON duplicate_groups (scope, status, score);

CREATE TABLE duplicate_members (
    group_rowid INTEGER NOT NULL REFERENCES duplicate_groups (rowid) ON DELETE CASCADE,
    registrant  INTEGER NOT NULL,
    PRIMARY KEY (group_rowid, registrant)
) WITHOUT ROWID;
CREATE INDEX duplicate_members_registrant ON duplicate_members (registrant);

-- Pairs a person declared not to be duplicates: later runs do not propose them again.
CREATE TABLE not_duplicates (
    low  INTEGER NOT NULL,
    high INTEGER NOT NULL,
    PRIMARY KEY (low, high)
) WITHOUT ROWID;
