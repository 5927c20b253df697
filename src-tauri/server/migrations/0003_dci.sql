-- What the DCI answers read (docs/interop.md): the registry as the accepted ops make it, kept current by
-- `projection::catch_up` up to `registry_view_state.cursor`; and the API clients that may read it.

CREATE TABLE registry_view_state (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    cursor   bigint NOT NULL
);
INSERT INTO registry_view_state VALUES (true, 0);

CREATE TABLE registry_registrants (
    id            uuid PRIMARY KEY,
    office        uuid NOT NULL,
    kind          text NOT NULL,
    reference     text NOT NULL,
    registered_on text NOT NULL,
    -- RegistrantFields as the change log carries them, and the stamp each field was last written at
    -- (field-wise last writer wins, as on the desks).
    fields        jsonb NOT NULL,
    field_hlc     jsonb NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'active',
    merged_into   uuid
);
CREATE INDEX registry_registrants_external_id ON registry_registrants ((fields ->> 'external_id'));

CREATE TABLE registry_ids (
    id_type    text NOT NULL,
    value      text NOT NULL,
    registrant uuid NOT NULL,
    PRIMARY KEY (id_type, value, registrant)
);
CREATE INDEX registry_ids_registrant ON registry_ids (registrant);
-- Lookups by an ID's value (its type is compared without case).
CREATE INDEX registry_ids_value ON registry_ids (value);

CREATE TABLE registry_household_members (
    grp        uuid NOT NULL,
    individual uuid NOT NULL,
    kind       text NOT NULL,
    is_head    boolean NOT NULL,
    start_date text,
    end_date   text,
    PRIMARY KEY (grp, individual)
);
CREATE INDEX registry_household_members_individual ON registry_household_members (individual);

CREATE TABLE registry_programs (
    id       uuid PRIMARY KEY,
    code     text NOT NULL,
    name     text NOT NULL,
    currency text NOT NULL,
    state    text NOT NULL,
    archived boolean NOT NULL
);

CREATE TABLE registry_memberships (
    id          uuid PRIMARY KEY,
    program     uuid NOT NULL,
    registrant  uuid NOT NULL,
    state       text NOT NULL,
    enrolled_on text,
    exited_on   text,
    -- The cursor of the op that last changed it: `enrollment/updates` pages on it.
    changed_at_cursor bigint NOT NULL,
    changed_at  text NOT NULL,
    UNIQUE (program, registrant)
);
CREATE INDEX registry_memberships_registrant ON registry_memberships (registrant);
CREATE INDEX registry_memberships_changed ON registry_memberships (changed_at_cursor);

CREATE TABLE registry_cycles (
    id         uuid PRIMARY KEY,
    program    uuid NOT NULL,
    sequence   bigint NOT NULL,
    name       text NOT NULL,
    start_date text NOT NULL,
    end_date   text NOT NULL,
    state      text NOT NULL,
    -- The approval stages frozen at submission (JSON), as the desks keep them.
    stages     jsonb
);

CREATE TABLE registry_entitlements (
    id          uuid PRIMARY KEY,
    cycle       uuid NOT NULL,
    registrant  uuid NOT NULL,
    kind        text NOT NULL,
    amount      bigint NOT NULL,
    fee         bigint NOT NULL,
    currency    text NOT NULL,
    quantity    bigint,
    unit        text,
    product     text,
    valid_from  text NOT NULL,
    valid_until text NOT NULL,
    state       text NOT NULL,
    stage       integer,
    changed_at  text NOT NULL
);
CREATE INDEX registry_entitlements_registrant ON registry_entitlements (registrant);
CREATE INDEX registry_entitlements_cycle ON registry_entitlements (cycle, state);

CREATE TABLE registry_payment_batches (
    id       uuid PRIMARY KEY,
    cycle    uuid NOT NULL,
    sequence bigint NOT NULL,
    currency text NOT NULL,
    state    text NOT NULL
);

CREATE TABLE registry_payments (
    id           uuid PRIMARY KEY,
    batch        uuid NOT NULL,
    entitlement  uuid NOT NULL,
    -- Where the payment goes (`type:id@provider`), as the batch was prepared: what an engine is sent.
    account      text,
    amount       bigint NOT NULL,
    currency     text NOT NULL,
    state        text NOT NULL,
    external_ref text,
    reason       text,
    changed_at   text NOT NULL
);
CREATE INDEX registry_payments_entitlement ON registry_payments (entitlement);
CREATE INDEX registry_payments_batch ON registry_payments (batch);

-- Systems that call the DCI endpoints (OAuth2 client credentials). The secret is kept only as its SHA-256:
-- it is 32 random bytes, so a plain hash cannot be guessed back.
CREATE TABLE api_clients (
    client_id   text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    secret_hash bytea NOT NULL,
    scopes      text[] NOT NULL,
    -- Where asynchronous answers may be delivered: the only address the server ever calls for this client.
    callback_url text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- The server's token-signing keys (Ed25519). The newest unretired key signs; every unretired key verifies
-- and is published as JWKS, so a rotation does not cut off tokens already issued.
CREATE TABLE signing_keys (
    kid        text PRIMARY KEY,
    pkcs8      bytea NOT NULL,
    public_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);

-- DCI transactions a client sent, so `txn/status` can answer and a repeated message_id is refused.
CREATE TABLE dci_transactions (
    client_id      text NOT NULL REFERENCES api_clients (client_id),
    message_id     text NOT NULL,
    transaction_id text NOT NULL,
    correlation_id uuid NOT NULL UNIQUE,
    action         text NOT NULL,
    status         text NOT NULL,
    -- The answer's message, as sent (ids and program data within the client's scope).
    answer         jsonb,
    -- How many people's data the answer reveals (for the audit of a `txn/status` that repeats it).
    people         integer NOT NULL DEFAULT 0,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, message_id)
);
CREATE INDEX dci_transactions_txn ON dci_transactions (client_id, transaction_id);

-- List items and custom fields as headquarters defined them (a Social Registry pull validates by them).
CREATE TABLE registry_list_items (
    list   text NOT NULL,
    code   text NOT NULL,
    active boolean NOT NULL,
    PRIMARY KEY (list, code)
);
CREATE TABLE registry_custom_fields (
    name       text PRIMARY KEY,
    definition jsonb NOT NULL
);

-- The server's own writer in each office: the desk-like device under which a Social Registry pull appends
-- its ops (it never signs a request: its key is empty), and the counter of the references it hands out.
CREATE TABLE writer_devices (
    office         uuid PRIMARY KEY REFERENCES offices (id),
    device         uuid NOT NULL REFERENCES devices (id),
    next_reference bigint NOT NULL DEFAULT 1
);

-- Each Social Registry pull, and the records it could not take.
CREATE TABLE sr_pulls (
    id          uuid PRIMARY KEY,
    source      text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    summary     jsonb
);
CREATE TABLE sr_rejects (
    pull        uuid NOT NULL REFERENCES sr_pulls (id),
    external_id text NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX sr_rejects_pull ON sr_rejects (pull);

-- Payment batches handed to a disbursement engine (docs/interop.md, "Disbursement"). An engine makes its
-- own ids, so each is recorded the moment it is known, and a payment is sent again only when the engine
-- is known not to hold it.
CREATE TABLE disbursement_envelopes (
    id                 uuid PRIMARY KEY,
    batch              uuid NOT NULL,
    engine             text NOT NULL,
    engine_envelope_id text,
    -- open: taking pages; cancelled: given up (the engine held a page whose ids we never learnt).
    state              text NOT NULL CHECK (state IN ('open', 'cancelled')),
    declared_count     bigint NOT NULL,
    declared_total     bigint NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    cancelled_at       timestamptz
);
CREATE INDEX disbursement_envelopes_batch ON disbursement_envelopes (batch);

CREATE TABLE disbursement_payments (
    payment    uuid PRIMARY KEY,
    batch      uuid NOT NULL,
    envelope   uuid REFERENCES disbursement_envelopes (id),
    page       integer,
    engine_id  text,
    -- pending: not with the engine; sending: a page in flight; sent: the engine holds it (engine_id);
    -- paid, failed, reversed: the engine's result, passed on to the desks as a payment result.
    state      text NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'paid', 'failed', 'reversed')),
    reference  text,
    reason     text,
    attempts   integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disbursement_payments_batch ON disbursement_payments (batch, state);

-- What happened to a batch, for `disburse status` and a person deciding about a stuck batch.
CREATE TABLE disbursement_events (
    id      bigserial PRIMARY KEY,
    batch   uuid NOT NULL,
    at      timestamptz NOT NULL DEFAULT now(),
    kind    text NOT NULL,
    message text NOT NULL
);
CREATE INDEX disbursement_events_batch ON disbursement_events (batch, id);

-- What a Social Registry delivered to us: answers to our asynchronous searches (`/registry/on-search`)
-- and notifications of a subscription (`/registry/notify`), kept until a pull takes them.
CREATE TABLE sr_deliveries (
    id             bigserial PRIMARY KEY,
    client_id      text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('on-search', 'notify')),
    transaction_id text NOT NULL,
    reference_id   text,
    body           jsonb NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz
);
CREATE INDEX sr_deliveries_waiting ON sr_deliveries (kind, transaction_id) WHERE processed_at IS NULL;

CREATE TABLE sr_subscriptions (
    source     text NOT NULL,
    code       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, code)
);
