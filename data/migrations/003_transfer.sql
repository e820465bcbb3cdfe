-- The transfer: bidders, sales, applications, deposits, bids, notices,
-- contracts and the hash-chained audit log.
--
-- The state of a sale is the value of package auction's state machine, kept
-- whole in sale.machine (it holds the secret reserve and bidder identities:
-- never expose it as is). The other columns of sale and the tables below are
-- projections written in the same transaction as the machine, for queries,
-- maps and the public view; the audit log is the record.

-- Bidders (竞买人): legal persons identified by their unified social credit
-- code (统一社会信用代码, 18 characters).
CREATE TABLE bidder (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(btrim(name)) > 0),
    credit_code  text UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$'),
    contact      text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE api_token ADD COLUMN bidder_id bigint REFERENCES bidder (id);
ALTER TABLE api_token ADD CONSTRAINT api_token_bidder_role
    CHECK (bidder_id IS NULL OR role = 'bidder');

CREATE TABLE sale (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parcel_id           bigint NOT NULL REFERENCES parcel (id),
    round               integer NOT NULL DEFAULT 1 CHECK (round > 0),
    previous_sale_id    bigint REFERENCES sale (id),
    method              text NOT NULL CHECK (method IN ('listing', 'auction', 'tender')),
    state               text NOT NULL,
    rules_name          text NOT NULL,
    starting_price_yuan bigint NOT NULL CHECK (starting_price_yuan > 0),
    increment_yuan      bigint NOT NULL CHECK (increment_yuan > 0),
    deposit_yuan        bigint NOT NULL CHECK (deposit_yuan > 0),
    reserve_commitment  text,
    machine             jsonb NOT NULL,
    next_deadline       timestamptz,
    announced_at        timestamptz,
    closes_at           timestamptz,
    closed_at           timestamptz,
    high_yuan           bigint,
    bid_count           integer NOT NULL DEFAULT 0,
    price_yuan          bigint,
    winner_bidder_id    bigint REFERENCES bidder (id),
    winner_paddle       integer,
    audit_seq           bigint NOT NULL DEFAULT 0,
    audit_head          bytea NOT NULL DEFAULT '\x'::bytea,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- One sale of a parcel at a time: a new one only after a failure, a default
-- or a termination.
CREATE UNIQUE INDEX sale_one_live_per_parcel ON sale (parcel_id)
    WHERE state NOT IN ('failed', 'terminated', 'defaulted');
-- The scheduler's claim query.
CREATE INDEX sale_next_deadline_idx ON sale (next_deadline) WHERE next_deadline IS NOT NULL;

CREATE TABLE sale_participant (
    sale_id     bigint NOT NULL REFERENCES sale (id),
    bidder_id   bigint NOT NULL REFERENCES bidder (id),
    paddle      integer NOT NULL CHECK (paddle > 0),
    applied_at  timestamptz NOT NULL,
    qualified   boolean NOT NULL DEFAULT false,
    rejection   text,
    PRIMARY KEY (sale_id, bidder_id),
    UNIQUE (sale_id, paddle)
);
CREATE INDEX sale_participant_bidder_idx ON sale_participant (bidder_id);

-- Bids are append-only: an accepted bid is irrevocable.
CREATE TABLE bid (
    sale_id             bigint NOT NULL REFERENCES sale (id),
    seq                 bigint NOT NULL CHECK (seq > 0),
    bidder_id           bigint NOT NULL REFERENCES bidder (id),
    paddle              integer NOT NULL,
    amount_yuan         bigint NOT NULL CHECK (amount_yuan > 0),
    previous_high_yuan  bigint NOT NULL DEFAULT 0,
    phase               text NOT NULL,
    at                  timestamptz NOT NULL,
    deadline            timestamptz,
    replaces            bigint,
    PRIMARY KEY (sale_id, seq)
);

-- Idempotency keys of bids: a retried request with the same key and body is
-- answered with the receipt of the bid it already placed.
CREATE TABLE bid_request (
    bidder_id     bigint NOT NULL REFERENCES bidder (id),
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    sale_id       bigint NOT NULL,
    request_hash  bytea NOT NULL,
    seq           bigint NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bidder_id, key),
    FOREIGN KEY (sale_id, seq) REFERENCES bid (sale_id, seq)
);

-- Deposit ledger (保证金), per sale and bidder: payments recorded by the
-- bureau, refunds to losers, the winner's deposit credited to the price, a
-- defaulting winner's forfeit.
CREATE TABLE deposit_entry (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sale_id      bigint NOT NULL REFERENCES sale (id),
    bidder_id    bigint NOT NULL REFERENCES bidder (id),
    kind         text NOT NULL CHECK (kind IN ('payment', 'refund', 'credit', 'forfeit')),
    amount_yuan  bigint NOT NULL CHECK (amount_yuan > 0),
    at           timestamptz NOT NULL
);
CREATE INDEX deposit_entry_sale_idx ON deposit_entry (sale_id, bidder_id);

-- Announcements (公告) and supplementary notices (补充公告): never edited.
CREATE TABLE sale_notice (
    sale_id     bigint NOT NULL REFERENCES sale (id),
    no          integer NOT NULL CHECK (no > 0),
    kind        text NOT NULL CHECK (kind IN ('announcement', 'supplementary')),
    published_at timestamptz NOT NULL,
    body        jsonb NOT NULL,
    PRIMARY KEY (sale_id, no)
);

-- The transfer contract (出让合同) and the payment schedule of 出让收益.
CREATE TABLE sale_contract (
    sale_id      bigint PRIMARY KEY REFERENCES sale (id),
    signed_at    timestamptz NOT NULL,
    price_yuan   bigint NOT NULL CHECK (price_yuan > 0),
    deposit_credited_yuan bigint NOT NULL CHECK (deposit_credited_yuan >= 0),
    schedule     text NOT NULL CHECK (schedule IN ('lump_sum', 'instalments'))
);

CREATE TABLE contract_instalment (
    sale_id      bigint NOT NULL REFERENCES sale_contract (sale_id),
    no           integer NOT NULL CHECK (no > 0),
    due_date     date NOT NULL,
    amount_yuan  bigint NOT NULL CHECK (amount_yuan > 0),
    PRIMARY KEY (sale_id, no)
);

CREATE TABLE contract_payment (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sale_id      bigint NOT NULL REFERENCES sale_contract (sale_id),
    amount_yuan  bigint NOT NULL CHECK (amount_yuan > 0),
    paid_at      timestamptz NOT NULL,
    reference    text
);

-- The audit log: one hash chain per sale. hash = sha256(prev_hash ||
-- canonical JSON of {actor, data, kind, recorded_at, sale_id, seq}); see
-- registry/audit.go. Checkpoints chain the heads of every sale's chain.
CREATE TABLE audit_event (
    sale_id      bigint NOT NULL REFERENCES sale (id),
    seq          bigint NOT NULL CHECK (seq > 0),
    kind         text NOT NULL,
    at           timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL,
    actor        text NOT NULL,
    data         jsonb NOT NULL,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL,
    PRIMARY KEY (sale_id, seq)
);

CREATE TABLE audit_checkpoint (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    heads       jsonb NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);

-- Append-only tables refuse UPDATE, DELETE and TRUNCATE for every role,
-- the owner included; only a superuser disabling the trigger gets past, and
-- the hash chains show what was changed.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER bid_append_only BEFORE UPDATE OR DELETE ON bid
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER bid_no_truncate BEFORE TRUNCATE ON bid
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER deposit_entry_append_only BEFORE UPDATE OR DELETE ON deposit_entry
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER sale_notice_append_only BEFORE UPDATE OR DELETE ON sale_notice
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- What anyone may read about a sale, for the map layers and the public
-- pages: the price and the winner only once bidding has closed with a
-- winner; never the reserve before it is revealed, never a bidder's identity
-- before the close.
CREATE VIEW sale_public AS
SELECT s.id AS sale_id,
       s.parcel_id,
       s.round,
       s.method,
       s.state,
       s.starting_price_yuan,
       s.increment_yuan,
       s.deposit_yuan,
       s.reserve_commitment,
       s.announced_at,
       s.closes_at,
       s.closed_at,
       CASE WHEN s.closed_at IS NOT NULL THEN s.price_yuan END AS price_yuan,
       CASE WHEN s.closed_at IS NOT NULL THEN s.winner_paddle END AS winner_paddle,
       CASE WHEN s.closed_at IS NOT NULL THEN b.name END AS winner_name
FROM sale s
LEFT JOIN bidder b ON b.id = s.winner_bidder_id
WHERE s.state <> 'draft';
