-- The registry's privacy profile (docs/privacy.md): which personal fields it keeps, and the secret its ID
-- numbers are hashed with when it keeps them only as keyed hashes. Chosen when the registry is created or
-- first enrolled; a registry without a row keeps everything, as before profiles existed.
CREATE TABLE privacy (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    profile TEXT NOT NULL,
    id_key BLOB CHECK (id_key IS NULL OR length(id_key) = 32),
    chosen_at TEXT NOT NULL
);
