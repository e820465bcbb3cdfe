-- A mining right is a volume: its footprint between the bottom and the top
-- of its mining elevation range (开采标高), in metres of its own CGCS2000 3°
-- Gauss-Krüger zone (cgcs2000_zone_srid, 014). The volume is a closed
-- vertical prism stored as a POLYHEDRALSURFACE Z: the bottom face (facing
-- down), the top face (facing up) and one wall per edge of every ring
-- (facing out): a closed shell per part of the footprint, which SFCGAL
-- makes a solid as it is (ST_MakeSolid; PostGIS's own ST_IsClosed looks at
-- the faces' outer rings only, so it says so for footprints without holes;
-- a range of zero height gives a flat, degenerate prism). It is a generated
-- column of the parcel and of every layer feature: the database computes it
-- from the footprint and the range on every insert and update, so it can
-- never disagree with them, and it is NULL when the range is unknown.
--
-- go-geom has no polyhedral surface; the store's codec reads its EWKB,
-- which is laid out as a multipolygon's, as a MultiPolygon Z of the faces
-- (registry/geomcodec.go). The 3-D rule judges the volumes' vertical
-- extents (package compliance): for vertical prisms that overlap in plan,
-- the extents overlapping is exactly the volumes sharing a volume, and the
-- shared volume is the plan overlap times the shared height.

-- The prism of a footprint (SRID 4490) between p_bottom and p_top metres,
-- in the footprint's own zone. IMMUTABLE as ST_Transform is, so that it can
-- make a generated column; STRICT, so a missing range costs nothing;
-- plpgsql, so that its plan is made once per session, not on every call
-- (a what-if check with a range calls it once: as SQL it cost twice as
-- much). The faces are collected into a MultiPolygon Z, whose EWKB becomes
-- a PolyhedralSurface's by its type code (6 → 15): the two encodings differ
-- in nothing else, and bytes keep every coordinate exact.
CREATE FUNCTION mining_right_volume(p_plan geometry, p_top double precision, p_bottom double precision)
RETURNS geometry LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    g geometry := ST_ForcePolygonCCW(ST_Transform(p_plan, cgcs2000_zone_srid(p_plan)));
BEGIN
    RETURN (
        WITH faces AS (
            SELECT 0 AS k, d.path AS path, ST_Reverse(ST_Force3D(d.geom, p_bottom)) AS f
            FROM ST_Dump(g) d
            UNION ALL
            SELECT 1, d.path, ST_Force3D(d.geom, p_top)
            FROM ST_Dump(g) d
            UNION ALL
            -- A wall per edge; with the exterior rings counter-clockwise and
            -- the holes clockwise, (a, b, b', a') faces away from the solid.
            SELECT 2, s.path, ST_SetSRID(ST_MakePolygon(ST_MakeLine(ARRAY[
                    ST_MakePoint(ST_X(a), ST_Y(a), p_bottom), ST_MakePoint(ST_X(b), ST_Y(b), p_bottom),
                    ST_MakePoint(ST_X(b), ST_Y(b), p_top), ST_MakePoint(ST_X(a), ST_Y(a), p_top),
                    ST_MakePoint(ST_X(a), ST_Y(a), p_bottom)])), ST_SRID(g))
            FROM ST_DumpSegments(g) s
            CROSS JOIN LATERAL (SELECT ST_StartPoint(s.geom) AS a, ST_EndPoint(s.geom) AS b) e)
        SELECT ST_GeomFromEWKB(overlay(ST_AsEWKB(ST_Collect(f ORDER BY k, path), 'NDR') PLACING '\x0f'::bytea FROM 2 FOR 1))
        FROM faces);
END
$$;

ALTER TABLE parcel ADD COLUMN volume geometry(PolyhedralSurfaceZ)
    GENERATED ALWAYS AS (mining_right_volume(geom, elevation_top_m, elevation_bottom_m)) STORED;
ALTER TABLE layer_feature ADD COLUMN volume geometry(PolyhedralSurfaceZ)
    GENERATED ALWAYS AS (mining_right_volume(geom, elevation_top_m, elevation_bottom_m)) STORED;

-- The volume of a row of compliance_hits() that carries an elevation
-- range: a registered parcel ('parcel', fid = its id) or a feature within
-- reach ('hit'). Rows without a range (red lines, farmland, …) cost nothing
-- here. plpgsql, so that on Citus each lookup is a statement of its own
-- (layer_feature is distributed; a hit row does not carry its region).
CREATE FUNCTION compliance_hit_volume(p_what text, p_layer bigint, p_fid text, p_top double precision)
RETURNS geometry LANGUAGE plpgsql STABLE AS $$
DECLARE
    v geometry;
BEGIN
    IF p_top IS NULL THEN
        RETURN NULL;
    ELSIF p_what = 'parcel' THEN
        SELECT volume INTO v FROM parcel WHERE id = p_fid::bigint;
    ELSIF p_what = 'hit' THEN
        SELECT volume INTO v FROM layer_feature WHERE layer_id = p_layer AND fid = p_fid;
    END IF;
    RETURN v;
END
$$;
