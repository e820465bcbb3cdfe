-- Regions of the check layers: what lets a compliance check read one part
-- of a layer, and (on Citus, see registry/citus.go) one shard.
--
-- Every feature carries the region it belongs to: the code of the county
-- that holds a point of it (ST_PointOnSurface), or '' when no county does.
-- It is filled at import and never changes; on Citus it is the distribution
-- column of layer_feature. layer_region keeps, per layer version and
-- region, a coverage: a geometry (EPSG:4526) that holds every feature of
-- the region. A feature lying wholly inside its county is covered by the
-- county; one that crosses the boundary reaches at most the diagonal of its
-- box beyond it (its point is inside), so the county grown by the largest
-- such diagonal covers the region; features outside every county are
-- covered by their common box. The county is simplified first (a county
-- has thousands of vertices, and every check measures its distance to a
-- few coverages) and grown by the tolerance too: Douglas-Peucker moves no
-- point farther than it, so the coverage still holds the county. A check then reads only the regions whose
-- coverage comes within the rule's reach of the parcel: one, except near a
-- boundary.

ALTER TABLE layer_feature ADD COLUMN region_code text NOT NULL DEFAULT '';

CREATE TABLE layer_region (
    layer_id    bigint NOT NULL REFERENCES layer (id) ON DELETE CASCADE,
    region_code text NOT NULL,
    features    integer NOT NULL CHECK (features > 0),
    coverage    geometry(Geometry, 4526) NOT NULL,
    PRIMARY KEY (layer_id, region_code)
);
CREATE INDEX layer_region_coverage_idx ON layer_region USING gist (layer_id, coverage);

-- The region of a geometry (SRID 4490): the county holding a point of it.
CREATE FUNCTION region_of(p_geom geometry) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT c.code FROM county c WHERE ST_Covers(c.geom, ST_PointOnSurface(p_geom))
                     ORDER BY c.code LIMIT 1), '')
$$;

-- Rebuilds the coverages of one layer version, region by region (each a
-- query on one region, so on Citus on one shard, with the county's prepared
-- geometry reused across its features).
CREATE FUNCTION layer_regions_build(p_layer bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    reg   text;
    n     integer := 0;
    cnt   integer;
    grow  double precision;
    boxes geometry;
    cg    geometry;
BEGIN
    DELETE FROM layer_region WHERE layer_id = p_layer;
    FOR reg IN SELECT DISTINCT f.region_code FROM layer_feature f WHERE f.layer_id = p_layer ORDER BY 1 LOOP
        SELECT geom INTO cg FROM county WHERE code = reg;
        SELECT count(*),
               COALESCE(max(CASE WHEN cg IS NOT NULL AND ST_Covers(cg, f.geom) THEN 0
                    ELSE sqrt(power(ST_XMax(f.geom_4526::box2d) - ST_XMin(f.geom_4526::box2d), 2)
                            + power(ST_YMax(f.geom_4526::box2d) - ST_YMin(f.geom_4526::box2d), 2)) END), 0),
               ST_Envelope(ST_Collect(ST_Envelope(f.geom_4526)))
          INTO cnt, grow, boxes
          FROM layer_feature f WHERE f.layer_id = p_layer AND f.region_code = reg;
        INSERT INTO layer_region (layer_id, region_code, features, coverage)
        VALUES (p_layer, reg, cnt,
            CASE WHEN cg IS NULL THEN boxes
                 ELSE ST_Buffer(ST_Simplify(ST_Transform(cg, 4526), 200), 200 + grow + 1, 'quad_segs=2') END);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- Features imported before this migration get their regions now.
UPDATE layer_feature SET region_code = region_of(geom);
SELECT layer_regions_build(id) FROM layer ORDER BY id;

-- The idempotency key of a bid is the bidder's key for a bid in one sale
-- (the sale is in the request's URL): looking it up by sale keeps a bid's
-- reads on the sale's rows, which on Citus are one shard.
DROP INDEX bid_idempotency_idx;
CREATE UNIQUE INDEX bid_idempotency_idx ON bid (sale_id, bidder_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- compliance_hits, region by region. The figures are those of 002's single
-- statement; what changed is that the features are read per region, and only
-- in the regions whose coverage comes within reach: every hit and every
-- covering feature lies in such a region (a region's coverage holds its
-- features). The nearest feature of a layer is sought in its regions in
-- order of their coverage's distance, stopping when the next region is
-- farther than the nearest found. The share a within_any layer covers is
-- the union of the covering features of all regions, so the parts are
-- gathered first and measured once.
CREATE OR REPLACE FUNCTION compliance_hits(p_wkb bytea, p_parcel bigint)
RETURNS TABLE (what text, layer_id bigint, fid text, name text, overlap_m2 double precision,
               distance_m double precision, top_m double precision, bottom_m double precision,
               boundary_m double precision)
LANGUAGE plpgsql STABLE SET jit = off AS $$
#variable_conflict use_column
DECLARE
    g      geometry;
    reg    text;
    lay    record;
    rg     record;
    near   record;
    best_d double precision;
    best_fid text;
    best_name text;
    covers boolean;
    part   geometry;
    parts  geometry[];
BEGIN
    SELECT ST_Transform(g0, 4526) INTO g FROM (SELECT ST_SetSRID(ST_GeomFromWKB(p_wkb), 4490) AS g0) s
    WHERE ST_IsValid(g0);
    IF g IS NULL THEN
        RETURN;
    END IF;

    -- Features within reach, one region at a time.
    FOR reg IN
        SELECT DISTINCT lg.region_code
        FROM layer l JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled
        JOIN layer_region lg ON lg.layer_id = l.id
        WHERE l.current AND ST_DWithin(lg.coverage, g, GREATEST(r.hard_distance_m, r.warn_distance_m))
        ORDER BY 1
    LOOP
        RETURN QUERY
        WITH lr AS MATERIALIZED (
            SELECT l.id, r.effect, GREATEST(r.hard_distance_m, r.warn_distance_m) AS reach
            FROM layer l JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled
            WHERE l.current)
        SELECT 'hit'::text, lr.id, f.fid, f.name,
            CASE WHEN lr.effect IN ('within_any', 'within_own_county') AND ST_Covers(f.geom_4526, g) THEN ST_Area(g)
                ELSE ST_Area(ST_Intersection(f.geom_4526, g)) END,
            ST_Distance(f.geom_4526, g),
            f.elevation_top_m, f.elevation_bottom_m,
            CASE WHEN lr.effect = 'within_own_county' THEN ST_Distance(ST_Boundary(f.geom_4526), g) END
        FROM lr CROSS JOIN LATERAL (
            SELECT * FROM layer_feature f
            WHERE f.layer_id = lr.id AND f.region_code = reg AND ST_DWithin(f.geom_4526, g, lr.reach)) f
        ORDER BY lr.id, f.fid;
    END LOOP;

    FOR lay IN
        SELECT l.id, r.effect FROM layer l JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled
        WHERE l.current ORDER BY l.id
    LOOP
        -- The nearest feature of the layer.
        IF lay.effect <> 'within_own_county' THEN
            best_d := NULL;
            FOR rg IN
                SELECT lg.region_code, ST_Distance(lg.coverage, g) AS d FROM layer_region lg
                WHERE lg.layer_id = lay.id ORDER BY 2, 1
            LOOP
                EXIT WHEN rg.d >= best_d;
                SELECT f.fid, f.name, ST_Distance(f.geom_4526, g) AS d INTO near
                FROM layer_feature f WHERE f.layer_id = lay.id AND f.region_code = rg.region_code
                ORDER BY f.geom_4526 <-> g LIMIT 1;
                IF FOUND AND (best_d IS NULL OR near.d < best_d) THEN
                    best_d := near.d;
                    best_fid := near.fid;
                    best_name := near.name;
                END IF;
            END LOOP;
            IF best_d IS NOT NULL THEN
                RETURN QUERY SELECT 'nearest'::text, lay.id, best_fid, best_name, NULL::double precision, best_d,
                    NULL::double precision, NULL::double precision, NULL::double precision;
            END IF;
        END IF;
        -- The share of the subject a within_any layer covers.
        IF lay.effect = 'within_any' THEN
            covers := false;
            parts := '{}';
            FOR rg IN
                SELECT lg.region_code FROM layer_region lg
                WHERE lg.layer_id = lay.id AND ST_Intersects(lg.coverage, g) ORDER BY 1
            LOOP
                SELECT bool_or(ST_Covers(f.geom_4526, g)), ST_Union(f.geom_4526) INTO STRICT covers, part
                FROM layer_feature f
                WHERE f.layer_id = lay.id AND f.region_code = rg.region_code AND ST_Intersects(f.geom_4526, g);
                EXIT WHEN covers;
                IF part IS NOT NULL THEN
                    parts := parts || part;
                END IF;
            END LOOP;
            RETURN QUERY SELECT 'cover'::text, lay.id, NULL::text, NULL::text,
                CASE WHEN covers THEN ST_Area(g)
                     WHEN cardinality(parts) = 0 THEN NULL
                     WHEN cardinality(parts) = 1 THEN ST_Area(ST_Intersection(g, parts[1]))
                     ELSE ST_Area(ST_Intersection(g, ST_Union(parts))) END,
                NULL::double precision, NULL::double precision, NULL::double precision, NULL::double precision;
        END IF;
    END LOOP;

    -- Other registered parcels (a reference table on Citus: read locally).
    RETURN QUERY
    SELECT 'parcel'::text, NULL::bigint, p.id::text, p.name, ST_Area(ST_Intersection(ST_Transform(p.geom, 4526), g)),
        ST_Distance(ST_Transform(p.geom, 4526), g), p.elevation_top_m, p.elevation_bottom_m, NULL::double precision
    FROM parcel p
    WHERE p.id IS DISTINCT FROM p_parcel AND p.status <> 'withdrawn'
        AND EXISTS (SELECT 1 FROM compliance_rule WHERE effect = 'separate_3d' AND enabled)
        AND ST_DWithin(ST_Transform(p.geom, 4526), g,
            (SELECT max(GREATEST(hard_distance_m, warn_distance_m)) FROM compliance_rule WHERE effect = 'separate_3d' AND enabled))
    ORDER BY p.id;
END
$$;

-- The overview, as in 004, in a form Citus can also run: its upsert takes
-- its time from the inserted row (a function such as now() in ON CONFLICT
-- ... DO UPDATE SET is refused on a reference table, the statement being
-- shipped to every copy).
CREATE OR REPLACE FUNCTION map_build_overview(p_layer bigint, p_pixel double precision) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    lname text;
BEGIN
    DELETE FROM map_overview WHERE layer_id = p_layer;
    -- Cells of 10 km keep each union small; a blob crossing a cell edge is
    -- drawn as two pieces that meet, which a map does not show.
    -- The blobs of each cell are made first and cut after (a lateral
    -- ST_Subdivide): on Citus the union of a cell gathers rows from every
    -- shard, and a set-returning function cannot sit on that aggregate.
    WITH cells AS MATERIALIZED (
        SELECT ST_SimplifyPreserveTopology(
                   ST_Buffer(ST_Union(ST_Buffer(ST_SimplifyPreserveTopology(f.geom_3857, p_pixel / 4), p_pixel / 2, 'quad_segs=1')),
                             -p_pixel / 2, 'quad_segs=1'), p_pixel / 4) AS g
        FROM layer_feature f WHERE f.layer_id = p_layer
        GROUP BY floor(ST_XMin(f.geom_3857::box2d) / 10000), floor(ST_YMin(f.geom_3857::box2d) / 10000))
    INSERT INTO map_overview (layer_id, geom)
    SELECT p_layer, d.geom FROM cells CROSS JOIN LATERAL ST_Subdivide(cells.g, 256) AS d(geom);
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM map_overview WHERE layer_id = p_layer AND ST_IsEmpty(geom);
    INSERT INTO map_overview_built (layer_id, pieces) VALUES (p_layer, n)
        ON CONFLICT (layer_id) DO UPDATE SET pieces = EXCLUDED.pieces, built_at = EXCLUDED.built_at;
    SELECT name INTO lname FROM layer WHERE id = p_layer;
    PERFORM pg_notify('map_changed', lname);
    PERFORM pg_notify('map_changed', '*catalog');
    RETURN n;
END
$$;
