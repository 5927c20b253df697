-- The change log becomes typed (br-model's `Op`): each record names the desk that made it, when and by
-- whom. Records written before this version have `format` 0: their payloads are not a contract and are
-- never sent (docs/sync-ops.md).
ALTER TABLE office ADD COLUMN device_id BLOB;
ALTER TABLE outbox ADD COLUMN device_id BLOB;
ALTER TABLE outbox ADD COLUMN at TEXT;
ALTER TABLE outbox ADD COLUMN actor TEXT;
ALTER TABLE outbox ADD COLUMN format INTEGER NOT NULL DEFAULT 0;
