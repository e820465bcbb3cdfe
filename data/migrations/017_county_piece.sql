-- The region of a feature (013_regions.sql) is the code of the county
-- holding ST_PointOnSurface of it, the least code when several do, ''
-- when none does. Testing the point against whole counties (thousands of
-- vertices, detoasted on every call) cost 123 µs a feature, half of a
-- layer import. The counties are now kept cut into pieces of at most 64
-- vertices, indexed, and region_of tests the point against the few pieces
-- whose box holds it. A county's pieces cover the county and nothing else
-- (ST_Subdivide cuts along straight lines both sides share), so a piece of
-- a county covers the point exactly when the county does; where a cut
-- adds a vertex its coordinates are rounded, which could only matter for a
-- point exactly on such a vertex (TestRegionOfAsTheWholeCounties compares
-- the two, points on shared boundaries included).
--
-- The pieces are derived from county and rebuilt by county_pieces_build()
-- in the transaction that writes counties (registry.Seed); nothing else
-- writes them. On Citus the table stays on the coordinator, the only node
-- that calls region_of (an import decides a feature's region before the
-- feature is routed to its shard), so the lookup is a plain PostgreSQL one
-- (registry.CitusPlan).

CREATE TABLE county_piece (
    code text NOT NULL,
    geom geometry(Geometry, 4490) NOT NULL
);
CREATE INDEX county_piece_geom_idx ON county_piece USING gist (geom);

CREATE FUNCTION county_pieces_build() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM county_piece;
    INSERT INTO county_piece (code, geom)
    SELECT c.code, d.geom
    FROM county c CROSS JOIN LATERAL ST_Subdivide(c.geom, 64) AS d(geom);
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE county_piece;
    RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION region_of(p_geom geometry) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT min(c.code) FROM county_piece c WHERE ST_Covers(c.geom, ST_PointOnSurface(p_geom))), '')
$$;

SELECT county_pieces_build();
