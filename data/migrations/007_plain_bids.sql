-- A plain bid (see registry/machine.go) no longer rewrites sale.machine:
-- the machine is the state as of the last transition that was not a plain
-- bid, and the bids since (seq > machine_bid_count) are laid over it when
-- the sale is loaded. The sale row keeps the latest plain bid, which is the
-- high bid (high_*, bid_count). machine_tag changes with every write of the
-- machine, so that a process may keep the decoded machine and skip reading
-- it.
ALTER TABLE sale ADD COLUMN machine_tag bigint NOT NULL DEFAULT 0,
                 ADD COLUMN machine_bid_count integer NOT NULL DEFAULT 0,
                 ADD COLUMN high_bidder_id bigint,
                 ADD COLUMN high_paddle integer,
                 ADD COLUMN high_at timestamptz,
                 ADD COLUMN high_phase text,
                 ADD COLUMN high_deadline timestamptz;
UPDATE sale SET machine_tag = 1 + floor(random() * 9e18)::bigint, machine_bid_count = bid_count;
ALTER TABLE sale ALTER COLUMN machine_tag DROP DEFAULT;
ALTER TABLE sale ADD CONSTRAINT sale_machine_bid_count CHECK (machine_bid_count BETWEEN 0 AND bid_count);

-- A plain bid changes no indexed column of the sale, so its update can stay
-- on the row's page (a HOT update, no index entries) when the page has room.
ALTER TABLE sale SET (fillfactor = 50);

-- The Idempotency-Key of a bid moves onto the bid row: one insert per bid
-- instead of two, and a retry is answered from one lookup. Keys stay unique
-- per bidder.
ALTER TABLE bid ADD COLUMN idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
                ADD COLUMN request_hash bytea,
                ADD CONSTRAINT bid_key_with_hash CHECK ((idempotency_key IS NULL) = (request_hash IS NULL));
ALTER TABLE bid DISABLE TRIGGER bid_append_only;
UPDATE bid b SET idempotency_key = r.key, request_hash = r.request_hash
    FROM bid_request r WHERE r.sale_id = b.sale_id AND r.seq = b.seq;
ALTER TABLE bid ENABLE TRIGGER bid_append_only;
CREATE UNIQUE INDEX bid_idempotency_idx ON bid (bidder_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
DROP TABLE bid_request;
