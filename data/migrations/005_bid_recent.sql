-- A bidder's latest accepted bids in a sale, newest first: PlaceBid reads
-- them under the sale's row lock for the rate limit (Rules.BidRate) instead
-- of keeping them in the stored state machine.
CREATE INDEX bid_bidder_recent_idx ON bid (sale_id, bidder_id, seq DESC);

-- Every bid rewrites sale.machine (about 13 KB of JSON with 64 bidders,
-- toasted) under the row lock; lz4 compresses it several times faster than
-- the default pglz. Rows written before keep pglz until their next update.
ALTER TABLE sale ALTER COLUMN machine SET COMPRESSION lz4;

-- Every bid in timed bidding moves closes_at, so the map trigger of 004
-- sent NOTIFY inside every bid's transaction; PostgreSQL holds its global
-- notify lock from before the commit's WAL flush until after it, which
-- serialised the commits of all sales (PreCommit_Notify and
-- LockSharedObject in a profile of 1,000 concurrent sales). The registry
-- now nudges the map after the commit ('sales' and 'parcels' with its own
-- coalesced sale notifications, see registry.Store.notify); the trigger
-- keeps the changes that are not bids.
DROP TRIGGER sale_map_changed ON sale;
CREATE TRIGGER sale_map_changed AFTER UPDATE ON sale
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
        OR OLD.price_yuan IS DISTINCT FROM NEW.price_yuan)
    EXECUTE FUNCTION map_notify('sales', 'parcels');
