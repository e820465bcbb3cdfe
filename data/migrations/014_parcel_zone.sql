-- Every metric figure of a parcel is measured in its own CGCS2000 3°
-- Gauss-Krüger zone, the zone whose central meridian is nearest to the
-- middle of its box: zone = round(lon / 3), EPSG 4488 + zone (zone 38 is
-- EPSG:4526), within China's zones 25..45. geo.ZoneOf computes the same in
-- Go. A province spans zones 37 to 39; the 11 gazette parcels all lie in
-- zone 38, so their figures do not change.
CREATE FUNCTION cgcs2000_zone(p_geom geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT LEAST(45, GREATEST(25, floor((ST_XMin(p_geom::box2d) + ST_XMax(p_geom::box2d)) / 2 / 3 + 0.5)::integer))
$$;

-- The EPSG code of the zone of a lon/lat geometry (SRID 4490).
CREATE FUNCTION cgcs2000_zone_srid(p_geom geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 4488 + cgcs2000_zone(p_geom)
$$;

-- compliance_hits measures in the subject's own zone. For a subject in
-- zone 38 (EPSG:4526, every parcel of Zhumadian) that is 013's function,
-- kept as it is under the name compliance_hits_4526: its statements run on
-- the stored EPSG:4526 copies and their GiST indexes. For a subject in
-- another zone, compliance_hits_own_zone runs 013's statements with the
-- stored copies still choosing the candidates through their indexes (the
-- reach widened by w: a distance in EPSG:4526 is at most 1.25 times the
-- same distance in the own zone anywhere in China), and measures, keeps
-- or drops the candidates in the own zone.
ALTER FUNCTION compliance_hits(bytea, bigint) RENAME TO compliance_hits_4526;

CREATE FUNCTION compliance_hits_own_zone(p_wkb bytea, p_parcel bigint, srid integer)
RETURNS TABLE (what text, layer_id bigint, fid text, name text, overlap_m2 double precision,
               distance_m double precision, top_m double precision, bottom_m double precision,
               boundary_m double precision)
LANGUAGE plpgsql STABLE SET jit = off AS $$
#variable_conflict use_column
DECLARE
    g      geometry;  -- the subject in its own zone: every figure is measured here
    g38    geometry;  -- the subject in EPSG:4526, the plane of the stored copies and indexes
    w      CONSTANT double precision := 1.25;  -- widens a reach in EPSG:4526 to cover it in the own zone
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
    SELECT ST_Transform(g0, 4526), ST_Transform(g0, srid) INTO g38, g
    FROM (SELECT ST_SetSRID(ST_GeomFromWKB(p_wkb), 4490) AS g0) s
    WHERE ST_IsValid(g0);
    IF g IS NULL THEN
        RETURN;
    END IF;

    -- Features within reach, one region at a time.
    FOR reg IN
        SELECT DISTINCT lg.region_code
        FROM layer l JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled
        JOIN layer_region lg ON lg.layer_id = l.id
        WHERE l.current AND ST_DWithin(lg.coverage, g38, GREATEST(r.hard_distance_m, r.warn_distance_m) * w)
        ORDER BY 1
    LOOP
        RETURN QUERY
        WITH lr AS MATERIALIZED (
            SELECT l.id, r.effect, GREATEST(r.hard_distance_m, r.warn_distance_m) AS reach
            FROM layer l JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled
            WHERE l.current)
        SELECT 'hit'::text, lr.id, f.fid, f.name,
            CASE WHEN lr.effect IN ('within_any', 'within_own_county') AND ST_Covers(f.gz, g) THEN ST_Area(g)
                ELSE ST_Area(ST_Intersection(f.gz, g)) END,
            ST_Distance(f.gz, g),
            f.elevation_top_m, f.elevation_bottom_m,
            CASE WHEN lr.effect = 'within_own_county' THEN ST_Distance(ST_Boundary(f.gz), g) END
        FROM lr CROSS JOIN LATERAL (
            SELECT f.fid, f.name, f.elevation_top_m, f.elevation_bottom_m,
                ST_Transform(f.geom, srid) AS gz
            FROM layer_feature f
            WHERE f.layer_id = lr.id AND f.region_code = reg AND ST_DWithin(f.geom_4526, g38, lr.reach * w)) f
        WHERE ST_DWithin(f.gz, g, lr.reach)
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
                SELECT lg.region_code, ST_Distance(lg.coverage, g38) / w AS d FROM layer_region lg
                WHERE lg.layer_id = lay.id ORDER BY 2, 1
            LOOP
                EXIT WHEN rg.d >= best_d;
                SELECT f.fid, f.name,
                    ST_Distance(ST_Transform(f.geom, srid), g) AS d
                INTO near
                FROM layer_feature f WHERE f.layer_id = lay.id AND f.region_code = rg.region_code
                ORDER BY f.geom_4526 <-> g38 LIMIT 1;
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
                WHERE lg.layer_id = lay.id AND ST_Intersects(lg.coverage, g38) ORDER BY 1
            LOOP
                SELECT bool_or(ST_Covers(f.gz, g)), ST_Union(f.gz) INTO STRICT covers, part
                FROM (SELECT ST_Transform(f.geom, srid) AS gz
                      FROM layer_feature f
                      WHERE f.layer_id = lay.id AND f.region_code = rg.region_code AND ST_Intersects(f.geom_4526, g38)) f;
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
    SELECT 'parcel'::text, NULL::bigint, p.id::text, p.name, ST_Area(ST_Intersection(p.gz, g)),
        ST_Distance(p.gz, g), p.elevation_top_m, p.elevation_bottom_m, NULL::double precision
    FROM (SELECT p.id, p.name, p.elevation_top_m, p.elevation_bottom_m,
              ST_Transform(p.geom, srid) AS gz
          FROM parcel p
          WHERE p.id IS DISTINCT FROM p_parcel AND p.status <> 'withdrawn'
              AND EXISTS (SELECT 1 FROM compliance_rule WHERE effect = 'separate_3d' AND enabled)
              AND ST_DWithin(ST_Transform(p.geom, 4526), g38,
                  (SELECT max(GREATEST(hard_distance_m, warn_distance_m)) FROM compliance_rule WHERE effect = 'separate_3d' AND enabled) * w)) p
    WHERE ST_DWithin(p.gz, g,
        (SELECT max(GREATEST(hard_distance_m, warn_distance_m)) FROM compliance_rule WHERE effect = 'separate_3d' AND enabled))
    ORDER BY p.id;
END
$$;

CREATE FUNCTION compliance_hits(p_wkb bytea, p_parcel bigint)
RETURNS TABLE (what text, layer_id bigint, fid text, name text, overlap_m2 double precision,
               distance_m double precision, top_m double precision, bottom_m double precision,
               boundary_m double precision)
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    srid integer := cgcs2000_zone_srid(ST_GeomFromWKB(p_wkb));
BEGIN
    IF srid = 4526 THEN
        RETURN QUERY SELECT * FROM compliance_hits_4526(p_wkb, p_parcel);
    ELSE
        RETURN QUERY SELECT * FROM compliance_hits_own_zone(p_wkb, p_parcel, srid);
    END IF;
END
$$;

-- compliance_report_staleness of 008: the neighbours within reach are
-- found in the reported parcel's own zone (through the EPSG:4526 index on
-- parcel, widened as above, then measured in the own zone).
CREATE OR REPLACE FUNCTION compliance_report_staleness(p_report bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rep   compliance_report;
    pv    integer;
    why   text[] := '{}';
    r     record;
    reach double precision;
BEGIN
    SELECT * INTO rep FROM compliance_report WHERE id = p_report;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT version INTO pv FROM parcel WHERE id = rep.parcel_id;
    IF pv IS DISTINCT FROM rep.parcel_version THEN
        why := why || format('the parcel changed since the report (now version %s, report made on version %s)', pv, rep.parcel_version);
    END IF;
    FOR r IN
        SELECT u.name, u.v::int AS used, l.version AS now
        FROM jsonb_each_text(rep.layer_versions) AS u(name, v)
        LEFT JOIN layer l ON l.name = u.name AND l.current
        WHERE l.version IS DISTINCT FROM u.v::int
        ORDER BY u.name
    LOOP
        IF r.now IS NULL THEN
            why := why || format('layer %s (version %s used) has no current version any more', r.name, r.used);
        ELSE
            why := why || format('layer %s is now version %s (report used version %s)', r.name, r.now, r.used);
        END IF;
    END LOOP;
    FOR r IN
        SELECT l.name, l.kind, l.version
        FROM layer l JOIN compliance_rule cr ON cr.layer_kind = l.kind AND cr.enabled
        WHERE l.current AND NOT rep.layer_versions ? l.name
        ORDER BY l.name
    LOOP
        why := why || format('layer %s (kind %s, version %s) was added after the report', r.name, r.kind, r.version);
    END LOOP;
    SELECT max(GREATEST(hard_distance_m, warn_distance_m)) INTO reach
    FROM compliance_rule WHERE effect = 'separate_3d' AND enabled;
    IF reach IS NOT NULL THEN
        SELECT count(*) AS n, string_agg(format('%s (%s)', x.id, x.name), ', ') AS names INTO r
        FROM (SELECT q.id, q.name FROM parcel p JOIN parcel q ON q.id <> p.id
              WHERE p.id = rep.parcel_id AND q.right_changed_at > rep.created_at
                AND ST_DWithin(ST_Transform(q.geom, 4526), ST_Transform(p.geom, 4526),
                    reach * CASE WHEN cgcs2000_zone_srid(p.geom) = 4526 THEN 1 ELSE 1.25 END)
                AND (cgcs2000_zone_srid(p.geom) = 4526
                     OR ST_DWithin(ST_Transform(q.geom, cgcs2000_zone_srid(p.geom)), ST_Transform(p.geom, cgcs2000_zone_srid(p.geom)), reach))
              ORDER BY q.id) x;
        IF r.n = 1 THEN
            why := why || format('parcel %s, within %s m, was registered or changed after the report', r.names, reach);
        ELSIF r.n > 1 THEN
            why := why || format('%s parcels within %s m were registered or changed after the report: %s',
                r.n, reach, left(r.names, 300));
        END IF;
    END IF;
    IF rep.rules_digest IS DISTINCT FROM compliance_rules_digest() THEN
        why := why || 'the compliance rules changed after the report'::text;
    END IF;
    IF cardinality(why) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN array_to_string(why, '; ');
END
$$;
