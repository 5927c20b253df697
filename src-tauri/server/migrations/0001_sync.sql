-- The central server's schema (docs/sync.md). Offices and their desks, the ops every desk pushed in the
-- order the server accepted them, who owns each row, and the server's own audit log.

CREATE TABLE offices (
    id           uuid PRIMARY KEY,
    code         text NOT NULL UNIQUE,
    name         text NOT NULL,
    headquarters boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- One-time enrolment codes, kept only as their SHA-256.
CREATE TABLE enrolment_codes (
    code_hash  bytea PRIMARY KEY,
    office     uuid NOT NULL REFERENCES offices (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    used_by    uuid
);

CREATE TABLE devices (
    id           uuid PRIMARY KEY,
    office       uuid NOT NULL REFERENCES offices (id),
    name         text NOT NULL,
    public_key   bytea NOT NULL,
    protocol     integer NOT NULL,
    -- 1, 2, 3… within the office; desks after the first prefix their references with it.
    desk_number  integer NOT NULL,
    enrolled_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_seen_at timestamptz,
    -- The highest sequence of this desk's change log the server holds.
    acked_seq    bigint NOT NULL DEFAULT 0,
    -- The cursor of the last pull page served to this desk (for the pull-lag metric and `device list`).
    pulled_to    bigint NOT NULL DEFAULT 0
);

-- Nonces seen, per device; older than the clock-skew window they can be forgotten.
CREATE TABLE nonces (
    device  uuid NOT NULL,
    nonce   text NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device, nonce)
);
CREATE INDEX nonces_seen_at ON nonces (seen_at);

-- Every op a desk pushed, in the order the server accepted it (`cursor`). Rejected ones stay too (never
-- pulled), so a desk's sequence is acknowledged past them.
CREATE TABLE ops (
    cursor      bigserial PRIMARY KEY,
    op_id       uuid NOT NULL UNIQUE,
    device      uuid NOT NULL REFERENCES devices (id),
    seq         bigint NOT NULL,
    office      uuid NOT NULL REFERENCES offices (id),
    kind        text NOT NULL,
    hlc         bigint NOT NULL,
    -- 'all', 'owner', 'sliced', or 'none' for a rejected op.
    visibility  text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('applied', 'rejected', 'conflict')),
    reject_code text,
    reason      text,
    record      jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (device, seq)
);
CREATE INDEX ops_rejected ON ops (office, cursor) WHERE outcome = 'rejected';

-- The part of a sliced op each other office may see (its own people's entitlements and payments).
CREATE TABLE op_slices (
    cursor bigint NOT NULL REFERENCES ops (cursor),
    office uuid NOT NULL REFERENCES offices (id),
    record jsonb NOT NULL,
    PRIMARY KEY (office, cursor)
);

-- Who owns each synced row (every id is a UUIDv7, unique across entities).
CREATE TABLE owners (
    id     uuid PRIMARY KEY,
    office uuid NOT NULL REFERENCES offices (id)
);

-- Whose person each registrant, entitlement and payment is about: that office sees it.
CREATE TABLE people (
    id     uuid PRIMARY KEY,
    office uuid NOT NULL REFERENCES offices (id)
);

-- Rows about the people of several offices (a payment batch): each office that was given a part of it.
CREATE TABLE audiences (
    id     uuid NOT NULL,
    office uuid NOT NULL REFERENCES offices (id),
    PRIMARY KEY (id, office)
);

-- The server's view of each cycle's workflow state, to answer a stale transition with `conflict`.
CREATE TABLE cycle_states (
    id    uuid PRIMARY KEY,
    state text NOT NULL
);

CREATE TABLE audit (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    outcome text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
);
