-- The change log becomes typed (br-model's `Op`): each record names the desk that made it and by whom
-- (when is its HLC stamp's wall time). Records written before this version have `format` 0: their payloads are not a contract and are
-- never sent (docs/sync-ops.md).
ALTER TABLE office ADD COLUMN device_id BLOB;
ALTER TABLE outbox ADD COLUMN device_id BLOB;
ALTER TABLE outbox ADD COLUMN actor TEXT;
ALTER TABLE outbox ADD COLUMN format INTEGER NOT NULL DEFAULT 0;

-- Who changed each demographic field last, as {field: [hlc, device]}: replay takes a field only from a
-- later writer (docs/sync-ops.md). Fields never changed since the registrant was created have no stamp.
ALTER TABLE registrants ADD COLUMN field_stamps TEXT;

-- Ops from other desks this registry has replayed: replay is idempotent by op id.
CREATE TABLE applied_ops (
    op_id      BLOB PRIMARY KEY,
    device_id  BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    hlc        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('applied', 'unchanged', 'conflict')),
    applied_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX applied_ops_device ON applied_ops (device_id, seq);

-- Ops that arrived too late to apply (a workflow state they would move backwards): kept with both sides
-- for a person to settle.
CREATE TABLE sync_conflicts (
    rowid       INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    op_id       BLOB NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   BLOB NOT NULL,
    kind        TEXT NOT NULL,
    local       TEXT NOT NULL,
    remote      TEXT NOT NULL,
    found_at    TEXT NOT NULL,
    resolved_at TEXT,
    resolution  TEXT
);
