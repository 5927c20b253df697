-- Registry schema, version 1. Ids are UUIDv7 stored as 16-byte blobs; each registrant also has an integer
-- rowid that the full-text index and the child tables point at (compact and fast to join).

CREATE TABLE office (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    office_id      BLOB NOT NULL,
    code           TEXT NOT NULL,
    name           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    next_reference INTEGER NOT NULL DEFAULT 1,
    -- Head of the audit chain: lets `audit verify` notice entries cut off the end.
    audit_head_seq INTEGER NOT NULL DEFAULT 0,
    audit_head_mac BLOB
);

CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

-- Configurable lists: id_type, sex, membership_kind, area, tag.
CREATE TABLE list_items (
    list   TEXT NOT NULL,
    code   TEXT NOT NULL,
    label  TEXT NOT NULL,
    parent TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (list, code)
) WITHOUT ROWID;

CREATE TABLE custom_fields (
    name       TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    field_type TEXT NOT NULL CHECK (field_type IN ('text', 'integer', 'decimal', 'date', 'boolean', 'choice')),
    choices    TEXT,
    required   INTEGER NOT NULL DEFAULT 0,
    personal   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE registrants (
    rowid             INTEGER PRIMARY KEY,
    id                BLOB NOT NULL UNIQUE,
    kind              TEXT NOT NULL CHECK (kind IN ('individual', 'group')),
    reference         TEXT NOT NULL UNIQUE,
    external_id       TEXT UNIQUE,
    given_name        TEXT,
    family_name       TEXT,
    group_name        TEXT,
    sort_name         TEXT NOT NULL,
    sex               TEXT,
    birth_date        TEXT,
    birth_date_approx INTEGER NOT NULL DEFAULT 0,
    phone             TEXT,
    phone_norm        TEXT,
    area              TEXT,
    tags              TEXT,
    custom            TEXT,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    disabled_reason   TEXT,
    registered_on     TEXT NOT NULL,
    office_id         BLOB NOT NULL,
    -- Hybrid-logical-clock stamp of the last change (see clock.rs): wall ms << 20 | counter.
    version           INTEGER NOT NULL,
    -- SHA-256 of the synced fields: a re-import of an unchanged row writes nothing.
    content_hash      BLOB NOT NULL,
    -- The import run that last wrote this row: finds duplicate external ids inside one file without
    -- holding the file's ids in memory.
    import_run        INTEGER,
    updated_at        TEXT NOT NULL
);
CREATE INDEX registrants_phone ON registrants (phone_norm) WHERE phone_norm IS NOT NULL;
CREATE INDEX registrants_sort_name ON registrants (sort_name, rowid);
-- Lists are filtered by area and sorted by name far more than anything else: one walk of this index.
CREATE INDEX registrants_area ON registrants (area, sort_name, rowid);
CREATE INDEX registrants_area_reference ON registrants (area, rowid);
CREATE INDEX registrants_birth_date ON registrants (ifnull(birth_date, ''), rowid);

CREATE TABLE registrant_tags (
    registrant INTEGER NOT NULL REFERENCES registrants (rowid),
    tag        TEXT NOT NULL,
    PRIMARY KEY (tag, registrant)
) WITHOUT ROWID;

CREATE TABLE memberships (
    group_rowid      INTEGER NOT NULL REFERENCES registrants (rowid),
    individual_rowid INTEGER NOT NULL REFERENCES registrants (rowid),
    kind             TEXT NOT NULL,
    is_head          INTEGER NOT NULL DEFAULT 0,
    start_date       TEXT NOT NULL,
    end_date         TEXT,
    PRIMARY KEY (group_rowid, individual_rowid)
) WITHOUT ROWID;
CREATE INDEX memberships_individual ON memberships (individual_rowid);
CREATE UNIQUE INDEX memberships_one_head ON memberships (group_rowid) WHERE is_head = 1 AND end_date IS NULL;

CREATE TABLE id_documents (
    registrant INTEGER NOT NULL REFERENCES registrants (rowid),
    id_type    TEXT NOT NULL,
    value      TEXT NOT NULL,
    value_norm TEXT NOT NULL,
    expiry     TEXT,
    status     TEXT NOT NULL DEFAULT 'valid',
    PRIMARY KEY (registrant, id_type)
) WITHOUT ROWID;
CREATE INDEX id_documents_value ON id_documents (value_norm);

-- Names, normalised (case, diacritics, Arabic letter variants folded) by core before indexing. Contentless:
-- the table keeps only the index; prefix indexes make `ab*` queries cheap.
CREATE VIRTUAL TABLE name_index USING fts5 (
    name,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- Append-only, HMAC-chained. Personal values are masked before they reach `details`.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   BLOB,
    username  TEXT,
    action    TEXT NOT NULL,
    entity    TEXT,
    entity_id TEXT,
    outcome   TEXT NOT NULL,
    details   TEXT NOT NULL,
    mac       BLOB NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity_id) WHERE entity_id IS NOT NULL;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Sync change log: one op per change to a synced entity, written in the same transaction as the change.
CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY,
    -- UUIDv7, unique by construction; the server keys ops on (office_id, seq).
    op_id          BLOB NOT NULL,
    office_id      BLOB NOT NULL,
    entity         TEXT NOT NULL,
    entity_id      BLOB NOT NULL,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    base_version   INTEGER,
    hlc            INTEGER NOT NULL,
    schema_version INTEGER NOT NULL
);

CREATE TABLE import_runs (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    file_name     TEXT NOT NULL,
    user_id       BLOB,
    status        TEXT NOT NULL,
    rows_read     INTEGER NOT NULL DEFAULT 0,
    inserted      INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    groups_formed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE saved_mappings (
    name    TEXT PRIMARY KEY,
    mapping TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO list_items (list, code, label) VALUES
    ('sex', 'female', 'Female'), ('sex', 'male', 'Male'), ('sex', 'other', 'Other'),
    ('membership_kind', 'head', 'Head'), ('membership_kind', 'spouse', 'Spouse'),
    ('membership_kind', 'child', 'Child'), ('membership_kind', 'parent', 'Parent'),
    ('membership_kind', 'sibling', 'Sibling'), ('membership_kind', 'grandchild', 'Grandchild'),
    ('membership_kind', 'other_relative', 'Other relative'), ('membership_kind', 'non_relative', 'Not related'),
    ('id_type', 'national_id', 'National ID'), ('id_type', 'voter_card', 'Voter card'),
    ('id_type', 'tax_number', 'Tax number'), ('id_type', 'passport', 'Passport');
