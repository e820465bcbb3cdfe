-- Map serving: change notifications for tile caches, and Web Mercator
-- copies of the check layers' geometry for the tile queries.
--
-- Every server process keeps tiles in memory and listens on channel
-- map_changed; the payload is the name of the collection whose data changed
-- (parcels, counties, sales, or a layer name). Statement-level triggers send
-- one notification per statement, and PostgreSQL folds identical
-- notifications of one transaction into one, so a bulk import costs a single
-- message. Notifications are sent at commit, so a process never drops a tile
-- for a change it cannot see yet.
CREATE FUNCTION map_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    topic text;
BEGIN
    FOREACH topic IN ARRAY TG_ARGV LOOP
        PERFORM pg_notify('map_changed', topic);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER parcel_map_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON parcel
    FOR EACH STATEMENT EXECUTE FUNCTION map_notify('parcels', 'sales');
CREATE TRIGGER county_map_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON county
    FOR EACH STATEMENT EXECUTE FUNCTION map_notify('counties');
-- The parcels layer carries the latest verdict.
CREATE TRIGGER compliance_report_map_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON compliance_report
    FOR EACH STATEMENT EXECUTE FUNCTION map_notify('parcels');
-- A bid changes the sale row; only a change of what the map shows (state,
-- close, price) drops tiles.
CREATE TRIGGER sale_map_changed AFTER UPDATE ON sale
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
        OR OLD.price_yuan IS DISTINCT FROM NEW.price_yuan OR OLD.closes_at IS DISTINCT FROM NEW.closes_at)
    EXECUTE FUNCTION map_notify('sales', 'parcels');
CREATE TRIGGER sale_map_added AFTER INSERT OR DELETE ON sale
    FOR EACH STATEMENT EXECUTE FUNCTION map_notify('sales', 'parcels');

-- A layer version made current (or retired) changes that layer and the list
-- of collections.
CREATE FUNCTION map_layer_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('map_changed', OLD.name);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('map_changed', NEW.name);
    END IF;
    PERFORM pg_notify('map_changed', '*catalog');
    RETURN NULL;
END
$$;
CREATE TRIGGER layer_map_changed AFTER INSERT OR UPDATE OR DELETE ON layer
    FOR EACH ROW EXECUTE FUNCTION map_layer_notify();

-- Features edited in place: name the layers the statement touched.
CREATE FUNCTION map_layer_feature_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('map_changed', l.name)
    FROM layer l WHERE l.id IN (SELECT DISTINCT layer_id FROM changed);
    RETURN NULL;
END
$$;
CREATE TRIGGER layer_feature_map_inserted AFTER INSERT ON layer_feature
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION map_layer_feature_notify();
CREATE TRIGGER layer_feature_map_updated AFTER UPDATE ON layer_feature
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION map_layer_feature_notify();
CREATE TRIGGER layer_feature_map_deleted AFTER DELETE ON layer_feature
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION map_layer_feature_notify();

-- Tiles are cut in Web Mercator. Transforming every feature of a 200,000
-- polygon layer on each tile request is most of what a tile costs, so the
-- features keep a stored Web Mercator copy with its own index, and the size
-- of their box, which lets a low-zoom tile skip features smaller than a
-- pixel without reading their geometry.
ALTER TABLE layer_feature
    ADD COLUMN geom_3857 geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    ADD COLUMN size_3857 double precision GENERATED ALWAYS AS (
        greatest(ST_XMax(ST_Transform(ST_Envelope(geom), 3857)) - ST_XMin(ST_Transform(ST_Envelope(geom), 3857)),
                 ST_YMax(ST_Transform(ST_Envelope(geom), 3857)) - ST_YMin(ST_Transform(ST_Envelope(geom), 3857)))) STORED;
CREATE INDEX layer_feature_geom_3857_idx ON layer_feature USING gist (layer_id, geom_3857);

-- Overviews: at zoom 10 and below a feature of a few hundred metres is a
-- pixel or two, and a tile of a 200,000 polygon layer would carry 15,000 of
-- them. A large layer version gets one overview, built once in the
-- background: its features closed into blobs (grown by half a pixel of
-- zoom 10, unioned, shrunk back), simplified to a quarter pixel and cut into
-- pieces of at most 256 vertices, so a low-zoom tile reads a few hundred
-- pieces instead. The overview belongs to one layer version (layer id), so
-- a new import never shows the old one.
CREATE TABLE map_overview (
    layer_id bigint NOT NULL REFERENCES layer (id) ON DELETE CASCADE,
    geom     geometry(Geometry, 3857) NOT NULL
);
CREATE INDEX map_overview_geom_idx ON map_overview USING gist (layer_id, geom);
CREATE TABLE map_overview_built (
    layer_id bigint PRIMARY KEY REFERENCES layer (id) ON DELETE CASCADE,
    pieces   integer NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION map_build_overview(p_layer bigint, p_pixel double precision) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    lname text;
BEGIN
    DELETE FROM map_overview WHERE layer_id = p_layer;
    -- Cells of 10 km keep each union small; a blob crossing a cell edge is
    -- drawn as two pieces that meet, which a map does not show.
    INSERT INTO map_overview (layer_id, geom)
    SELECT p_layer, ST_Subdivide(ST_SimplifyPreserveTopology(
               ST_Buffer(ST_Union(ST_Buffer(ST_SimplifyPreserveTopology(f.geom_3857, p_pixel / 4), p_pixel / 2, 'quad_segs=1')),
                         -p_pixel / 2, 'quad_segs=1'), p_pixel / 4), 256)
    FROM layer_feature f WHERE f.layer_id = p_layer
    GROUP BY floor(ST_XMin(f.geom_3857::box2d) / 10000), floor(ST_YMin(f.geom_3857::box2d) / 10000);
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM map_overview WHERE layer_id = p_layer AND ST_IsEmpty(geom);
    INSERT INTO map_overview_built (layer_id, pieces) VALUES (p_layer, n)
        ON CONFLICT (layer_id) DO UPDATE SET pieces = EXCLUDED.pieces, built_at = now();
    SELECT name INTO lname FROM layer WHERE id = p_layer;
    PERFORM pg_notify('map_changed', lname);
    PERFORM pg_notify('map_changed', '*catalog');
    RETURN n;
END
$$;
