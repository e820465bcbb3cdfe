-- Input and state integrity.
--
-- 1. Every money column is bounded above by 10^15 元 (money.MaxAmountYuan,
--    the `maximum` of every money field of the API), so that no amount the
--    database holds is beyond what the capital-numeral writer and the 分
--    arithmetic handle. A parcel whose starting price is already beyond it
--    (stored before this bound existed) has no usable price: it is cleared,
--    which leaves the parcel registered but not offerable until the bureau
--    records a price again. Sale tables are not repaired: a row there beyond
--    the bound makes this migration fail, for a person to look at.
UPDATE parcel SET starting_price_yuan = NULL WHERE starting_price_yuan > 1000000000000000;

ALTER TABLE parcel ADD CONSTRAINT parcel_starting_price_yuan_bound CHECK (starting_price_yuan <= 1000000000000000);
ALTER TABLE sale ADD CONSTRAINT sale_starting_price_yuan_bound CHECK (starting_price_yuan <= 1000000000000000),
                 ADD CONSTRAINT sale_increment_yuan_bound CHECK (increment_yuan <= 1000000000000000),
                 ADD CONSTRAINT sale_deposit_yuan_bound CHECK (deposit_yuan <= 1000000000000000),
                 ADD CONSTRAINT sale_high_yuan_bound CHECK (high_yuan <= 1000000000000000),
                 ADD CONSTRAINT sale_price_yuan_bound CHECK (price_yuan <= 1000000000000000);
ALTER TABLE bid ADD CONSTRAINT bid_amount_yuan_bound CHECK (amount_yuan <= 1000000000000000),
                ADD CONSTRAINT bid_previous_high_yuan_bound CHECK (previous_high_yuan BETWEEN 0 AND 1000000000000000);
ALTER TABLE deposit_entry ADD CONSTRAINT deposit_entry_amount_yuan_bound CHECK (amount_yuan <= 1000000000000000);
ALTER TABLE sale_contract ADD CONSTRAINT sale_contract_price_yuan_bound CHECK (price_yuan <= 1000000000000000),
                          ADD CONSTRAINT sale_contract_deposit_credited_yuan_bound CHECK (deposit_credited_yuan <= 1000000000000000);
ALTER TABLE contract_instalment ADD CONSTRAINT contract_instalment_amount_yuan_bound CHECK (amount_yuan <= 1000000000000000);
ALTER TABLE contract_payment ADD CONSTRAINT contract_payment_amount_yuan_bound CHECK (amount_yuan <= 1000000000000000);

-- 2. A parcel in a sale is the sale's: from the announcement of a sale of
--    it that has not ended (failed, terminated, defaulted), its figures and
--    its boundary are the ones the sale was announced and sold on, and it
--    cannot be withdrawn; a sold parcel stays sold while its sale stands. A
--    draft (not public yet) lets the parcel be corrected, but for the
--    starting price it copied, and the parcel cannot be withdrawn from under
--    it. After the announcement and before bidding opens, the sale's own
--    补充公告 may correct the figures and the boundary (registry.CorrectParcel
--    names the sale in the transaction-local setting
--    minerights.correcting_sale); never the starting price or the status.
--    registry.UpdateParcel checks this first, under the parcel's row lock,
--    and answers in words; this trigger holds the same rule for any other
--    writer. A sale's own flow changes only the status, and it writes the
--    sale row before the parcel's, so the status it sets always agrees with
--    the sale's new state.
CREATE FUNCTION parcel_in_sale_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    live bigint;
    live_state text;
BEGIN
    SELECT s.id, s.state INTO live, live_state FROM sale s
        WHERE s.parcel_id = NEW.id AND s.state NOT IN ('failed', 'terminated', 'defaulted')
        ORDER BY s.id DESC LIMIT 1;
    IF live IS NULL THEN
        RETURN NEW;
    END IF;
    IF current_setting('minerights.correcting_sale', true) = live::text
        AND live_state IN ('announced', 'applying')
        AND OLD.starting_price_yuan IS NOT DISTINCT FROM NEW.starting_price_yuan
        AND OLD.status = NEW.status THEN
        -- The sale's own 补充公告 before bidding (registry.CorrectParcel).
        RETURN NEW;
    END IF;
    IF live_state = 'draft' THEN
        -- Not public yet: the parcel may be corrected, but for the starting
        -- price the draft copied and a withdrawal from under the draft.
        IF OLD.starting_price_yuan IS DISTINCT FROM NEW.starting_price_yuan
            OR (NEW.status = 'withdrawn' AND OLD.status <> 'withdrawn') THEN
            RAISE EXCEPTION 'parcel % is in draft sale %: its starting price and status are the draft''s', NEW.id, live
                USING ERRCODE = 'object_in_use', DETAIL = live::text;
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.name IS DISTINCT FROM NEW.name
        OR OLD.county_code IS DISTINCT FROM NEW.county_code
        OR OLD.mineral IS DISTINCT FROM NEW.mineral
        OR OLD.basis IS DISTINCT FROM NEW.basis
        OR OLD.basis_text IS DISTINCT FROM NEW.basis_text
        OR OLD.geom IS DISTINCT FROM NEW.geom
        OR OLD.stated_area_km2 IS DISTINCT FROM NEW.stated_area_km2
        OR OLD.elevation_top_m IS DISTINCT FROM NEW.elevation_top_m
        OR OLD.elevation_bottom_m IS DISTINCT FROM NEW.elevation_bottom_m
        OR OLD.mining_method IS DISTINCT FROM NEW.mining_method
        OR OLD.service_life_years IS DISTINCT FROM NEW.service_life_years
        OR OLD.starting_price_yuan IS DISTINCT FROM NEW.starting_price_yuan
        OR OLD.statement IS DISTINCT FROM NEW.statement
        OR OLD.schedule IS DISTINCT FROM NEW.schedule
        OR OLD.geometry_source IS DISTINCT FROM NEW.geometry_source
        OR (NEW.status = 'withdrawn' AND OLD.status <> 'withdrawn')
        OR (OLD.status = 'sold' AND NEW.status <> 'sold'
            AND live_state IN ('closed_sold', 'confirmed', 'publicity', 'contracted')) THEN
        RAISE EXCEPTION 'parcel % is in sale % (%): it changes only through the sale', NEW.id, live, live_state
            USING ERRCODE = 'object_in_use', DETAIL = live::text;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER parcel_in_sale_guard BEFORE UPDATE ON parcel
    FOR EACH ROW EXECUTE FUNCTION parcel_in_sale_guard();

-- Reserve and capacity lines are figures of the parcel too.
CREATE FUNCTION parcel_lines_in_sale_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pid  bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.parcel_id ELSE NEW.parcel_id END;
    live bigint;
    live_state text;
BEGIN
    SELECT s.id, s.state INTO live, live_state FROM sale s
        WHERE s.parcel_id = pid AND s.state NOT IN ('failed', 'terminated', 'defaulted', 'draft')
        ORDER BY s.id DESC LIMIT 1;
    IF live IS NOT NULL AND NOT (current_setting('minerights.correcting_sale', true) = live::text
                                 AND live_state IN ('announced', 'applying')) THEN
        RAISE EXCEPTION 'parcel % is in sale %: its % change only through the sale', pid, live, TG_TABLE_NAME
            USING ERRCODE = 'object_in_use', DETAIL = live::text;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER parcel_reserve_in_sale_guard BEFORE INSERT OR UPDATE OR DELETE ON parcel_reserve
    FOR EACH ROW EXECUTE FUNCTION parcel_lines_in_sale_guard();
CREATE TRIGGER parcel_capacity_in_sale_guard BEFORE INSERT OR UPDATE OR DELETE ON parcel_capacity
    FOR EACH ROW EXECUTE FUNCTION parcel_lines_in_sale_guard();
