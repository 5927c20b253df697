-- Cycles, entitlements, approvals, funds and payments (design §4).

-- Where a registrant's payments go: `type:id@provider`. Copied onto each payment when it is prepared.
ALTER TABLE registrants ADD COLUMN financial_address TEXT;

-- A program's entitlement rule, approval stages and cycle recurrence, each a JSON document checked when
-- saved (see program::model).
ALTER TABLE programs ADD COLUMN entitlement_rule TEXT;
ALTER TABLE programs ADD COLUMN approval_stages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE programs ADD COLUMN recurrence TEXT;

CREATE TABLE cycles (
    rowid        INTEGER PRIMARY KEY,
    id           BLOB NOT NULL UNIQUE,
    program      INTEGER NOT NULL REFERENCES programs (rowid),
    sequence     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'draft'
                 CHECK (state IN ('draft', 'to_approve', 'approved', 'distributing', 'ended', 'cancelled')),
    -- Who generated the entitlements and who sent the cycle for approval: neither may approve it.
    prepared_by  TEXT,
    submitted_by TEXT,
    office_id    BLOB NOT NULL,
    version      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (program, sequence)
);

-- Who a cycle is for: copied from the program's enrolled members or the previous cycle.
CREATE TABLE cycle_members (
    cycle      INTEGER NOT NULL REFERENCES cycles (rowid),
    registrant INTEGER NOT NULL,
    PRIMARY KEY (cycle, registrant)
) WITHOUT ROWID;

-- No foreign key to registrants, for the reason given in 0003 (registrants are never deleted).
CREATE TABLE entitlements (
    rowid        INTEGER PRIMARY KEY,
    id           BLOB NOT NULL UNIQUE,
    cycle        INTEGER NOT NULL REFERENCES cycles (rowid),
    registrant   INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('cash', 'in_kind', 'voucher')),
    -- Integer minor units of `currency`: the cash amount or the voucher's value; 0 for in-kind.
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    fee          INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
    currency     TEXT NOT NULL,
    product      TEXT,
    quantity     INTEGER,
    unit         TEXT,
    voucher_code TEXT,
    valid_from   TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'draft' CHECK (state IN
                 ('draft', 'pending', 'approved', 'in_payment', 'paid', 'failed', 'rejected', 'cancelled', 'expired')),
    -- The approval stage awaited while pending (1-based).
    stage        INTEGER,
    reason       TEXT,
    version      INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (cycle, registrant)
);
-- No index on the registrant alone: a beneficiary's entitlements are found through their program
-- memberships and each program's cycles, probing (cycle, registrant); one index less to maintain for
-- every entitlement written.
CREATE UNIQUE INDEX entitlements_voucher_code ON entitlements (voucher_code) WHERE voucher_code IS NOT NULL;

-- Every approval or rejection: of one entitlement, or (entitlement NULL) of every entitlement of the cycle
-- awaiting that stage, with how many and how much it covered.
CREATE TABLE approvals (
    rowid        INTEGER PRIMARY KEY,
    id           BLOB NOT NULL UNIQUE,
    cycle        INTEGER NOT NULL REFERENCES cycles (rowid),
    entitlement  INTEGER REFERENCES entitlements (rowid),
    stage        INTEGER NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    comment      TEXT,
    count        INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX approvals_cycle ON approvals (cycle, entitlement);

CREATE TABLE funds (
    rowid        INTEGER PRIMARY KEY,
    id           BLOB NOT NULL UNIQUE,
    program      INTEGER NOT NULL REFERENCES programs (rowid),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'posted', 'cancelled')),
    reference    TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    posted_by    TEXT,
    posted_at    TEXT,
    version      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX funds_program ON funds (program, state);

CREATE TABLE payment_batches (
    rowid        INTEGER PRIMARY KEY,
    id           BLOB NOT NULL UNIQUE,
    cycle        INTEGER NOT NULL REFERENCES cycles (rowid),
    sequence     INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'prepared' CHECK (state IN ('prepared', 'sent')),
    count        INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    -- A batch's payments are written together, so they are the payments with rowids in this range (no
    -- index on payments.batch to maintain for every payment).
    first_payment INTEGER NOT NULL,
    last_payment  INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    UNIQUE (cycle, sequence)
);

-- One attempt to deliver one entitlement. The payee's address is copied when the payment is prepared.
CREATE TABLE payments (
    rowid        INTEGER PRIMARY KEY,
    id           BLOB NOT NULL UNIQUE,
    batch        INTEGER NOT NULL REFERENCES payment_batches (rowid),
    entitlement  INTEGER NOT NULL REFERENCES entitlements (rowid),
    account      TEXT,
    amount       INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'paid', 'failed', 'reversed')),
    external_ref TEXT,
    reason       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX payments_entitlement ON payments (entitlement);
