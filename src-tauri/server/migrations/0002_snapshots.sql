-- Snapshots for a desk's first sync (docs/sync.md, "Snapshot"): an office's scope up to one cursor, as
-- compressed chunks kept here so that any server process can serve them and a broken download resumes.
CREATE TABLE snapshots (
    id uuid PRIMARY KEY,
    office uuid NOT NULL REFERENCES offices (id),
    cursor bigint NOT NULL,
    ops bigint NOT NULL,
    bytes bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX snapshots_office ON snapshots (office, created_at);

CREATE TABLE snapshot_chunks (
    snapshot uuid NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    n integer NOT NULL,
    ops integer NOT NULL,
    sha256 bytea NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (snapshot, n)
);
-- Chunks are zstd already: PostgreSQL's own compression would only spend time on them.
ALTER TABLE snapshot_chunks ALTER COLUMN body SET STORAGE EXTERNAL;
