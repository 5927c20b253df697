-- Sync with a central server (docs/sync.md): this desk's enrolment, what the server acknowledged and
-- how far this desk has pulled, and the desk's own ops the server refused.

-- The prefix of references this desk hands out: the office code, and for an office's second and later
-- desks `CODE.N`, so two desks of one office never give the same reference.
ALTER TABLE office ADD COLUMN reference_prefix TEXT;

CREATE TABLE sync_server (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    url             TEXT NOT NULL,
    -- A CA certificate (PEM) to trust for this server, besides the usual roots.
    ca_pem          TEXT,
    -- Ed25519 (PKCS#8): signs every request. It never leaves this encrypted registry.
    device_key      BLOB NOT NULL,
    office_code     TEXT NOT NULL,
    office_name     TEXT NOT NULL,
    headquarters    INTEGER NOT NULL,
    desk_number     INTEGER NOT NULL,
    enrolled_at     TEXT NOT NULL,
    -- The highest sequence of this desk's change log the server holds.
    pushed_seq      INTEGER NOT NULL DEFAULT 0,
    -- The server cursor this desk has applied up to (moved in the same transaction as the ops).
    pull_cursor     INTEGER NOT NULL DEFAULT 0,
    server_head     INTEGER NOT NULL DEFAULT 0,
    last_success_at TEXT,
    last_attempt_at TEXT,
    last_error      TEXT
);

-- This desk's ops the server refused (another office's row, a shared setting): they stay applied here and
-- are listed for a person to see.
CREATE TABLE sync_rejections (
    op_id  BLOB PRIMARY KEY,
    seq    INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    code   TEXT NOT NULL,
    reason TEXT NOT NULL,
    at     TEXT NOT NULL
) WITHOUT ROWID;

-- Who settled a conflict; and whether it was found replaying another desk's op or in the server's answer
-- to one of this desk's.
ALTER TABLE sync_conflicts ADD COLUMN resolved_by TEXT;
ALTER TABLE sync_conflicts ADD COLUMN source TEXT NOT NULL DEFAULT 'replay';
