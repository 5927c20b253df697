-- A desk's first sync comes as a snapshot (docs/sync.md, "Snapshot"): the manifest being applied, the next
-- chunk to fetch (each chunk is verified and applied in one transaction with this number), and when the
-- first sync finished, after which pull alone keeps the desk current.
ALTER TABLE sync_server ADD COLUMN snapshot_manifest TEXT;
ALTER TABLE sync_server ADD COLUMN snapshot_next INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_server ADD COLUMN first_sync_at TEXT;
-- Desks enrolled before snapshots existed have pulled already.
UPDATE sync_server SET first_sync_at = enrolled_at WHERE pull_cursor > 0;
