-- Each audit entry's hash covers a random salt of its own (16 bytes from
-- crypto/rand), so that the hidden members of a published entry (bidder ids,
-- token ids in the actor, sealed amounts) cannot be found by hashing
-- candidates (registry.EntryHash). Entries written before this migration have
-- no salt and keep their hashes; every new entry must have one (NOT VALID
-- checks new rows only), and verification refuses an unsalted entry after a
-- salted one in the same chain.
ALTER TABLE audit_event ADD COLUMN salt bytea
    CONSTRAINT audit_event_salt_length CHECK (salt IS NULL OR octet_length(salt) >= 16);
ALTER TABLE audit_event ADD CONSTRAINT audit_event_salted CHECK (salt IS NOT NULL) NOT VALID;
