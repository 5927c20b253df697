-- The registry's privacy profile (docs/privacy.md): which personal fields every desk and every Social
-- Registry pull keeps, and the secret ID numbers are hashed with when they are kept only as keyed hashes.
-- Chosen before the first desk enrols; desks take it at enrolment. No row: everything is kept.
CREATE TABLE registry_privacy (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    profile jsonb NOT NULL,
    id_key bytea CHECK (id_key IS NULL OR length(id_key) = 32),
    chosen_at timestamptz NOT NULL DEFAULT now()
);
