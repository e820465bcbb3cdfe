-- Spatial compliance: check layers, rule table, reports.
--
-- A check layer (red lines, farmland, protected mountains, planned mining
-- zones, counties, existing mining rights, or any kind the bureau adds) is
-- versioned: every import is a new version and becomes the current one,
-- while old versions stay for the reports that used them. What a layer kind
-- forbids is a row of compliance_rule, not code. Checks are computed in
-- EPSG:4526 metres on a stored projected copy of each feature.
--
-- parcel_compliance_problem() comes first: the transfer refuses to announce a
-- parcel unless it returns NULL. It is plpgsql so that its body is resolved
-- at call time, after the tables below exist.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE FUNCTION parcel_compliance_problem(p_parcel bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rep   record;
    stale text;
    fails text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM parcel WHERE id = p_parcel) THEN
        RETURN format('parcel %s does not exist', p_parcel);
    END IF;
    SELECT * INTO rep FROM compliance_report WHERE parcel_id = p_parcel ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN format('no compliance report: run the compliance check (POST /api/v1/parcels/%s/compliance)', p_parcel);
    END IF;
    IF rep.verdict = 'fail' THEN
        SELECT string_agg(c->>'statement', '; ' ORDER BY ord) INTO fails
        FROM jsonb_array_elements(rep.findings) WITH ORDINALITY AS x(c, ord)
        WHERE c->>'verdict' = 'fail';
        RETURN 'latest report fails: ' || COALESCE(fails, 'see report ' || rep.id);
    END IF;
    stale := compliance_report_staleness(rep.id);
    IF stale IS NOT NULL THEN
        RETURN 'report is stale: ' || stale || '; run the compliance check again';
    END IF;
    RETURN NULL;
END
$$;

CREATE TABLE layer (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    kind          text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$'),
    version       integer NOT NULL CHECK (version > 0),
    title         text NOT NULL,
    source        text NOT NULL,
    provenance    jsonb NOT NULL DEFAULT '{}',
    feature_count integer NOT NULL DEFAULT 0 CHECK (feature_count >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    current       boolean NOT NULL,
    UNIQUE (name, version)
);
CREATE UNIQUE INDEX layer_one_current_idx ON layer (name) WHERE current;

-- geom_4526 is the feature in the plane the checks measure in, stored so
-- that a check transforms only the parcel, never a million features; the
-- (layer_id, geom_4526) GiST index (btree_gist) lets ST_DWithin and the <->
-- nearest-feature search stay inside one layer version.
CREATE TABLE layer_feature (
    layer_id           bigint NOT NULL REFERENCES layer (id) ON DELETE CASCADE,
    fid                text NOT NULL CHECK (length(fid) BETWEEN 1 AND 200),
    name               text,
    properties         jsonb NOT NULL DEFAULT '{}',
    elevation_top_m    double precision,
    elevation_bottom_m double precision,
    geom               geometry(MultiPolygon, 4490) NOT NULL,
    geom_4526          geometry(MultiPolygon, 4526) GENERATED ALWAYS AS (ST_Transform(geom, 4526)) STORED,
    PRIMARY KEY (layer_id, fid),
    CHECK ((elevation_top_m IS NULL) = (elevation_bottom_m IS NULL)),
    CHECK (elevation_top_m >= elevation_bottom_m)
);
CREATE INDEX layer_feature_geom_idx ON layer_feature USING gist (geom);
CREATE INDEX layer_feature_geom_4526_idx ON layer_feature USING gist (layer_id, geom_4526);

-- Other registered parcels are mining rights too (the 3-D rule).
CREATE INDEX parcel_geom_4526_idx ON parcel USING gist (ST_Transform(geom, 4526));

-- What each layer kind forbids. effect:
--   exclude            the parcel must not overlap a feature, nor come closer
--                      than hard_distance_m (fail); closer than
--                      warn_distance_m is a setback warning. A parcel whose
--                      mineral contains one of exempt_minerals gets a
--                      warning to review instead of a failure.
--   separate_3d        like exclude, but an overlap in plan is a conflict
--                      only when the elevation ranges overlap too; with
--                      disjoint ranges it is vertical layering (warning).
--   within_any         the parcel must lie inside the union of the features.
--   within_own_county  the parcel must lie inside the feature whose fid is
--                      its county code; warn_distance_m > 0 warns when it
--                      comes that close to the county boundary.
CREATE TABLE compliance_rule (
    layer_kind      text PRIMARY KEY CHECK (layer_kind ~ '^[a-z][a-z0-9_]{0,62}$'),
    title           text NOT NULL CHECK (length(btrim(title)) > 0),
    effect          text NOT NULL CHECK (effect IN ('exclude', 'separate_3d', 'within_any', 'within_own_county')),
    hard_distance_m double precision NOT NULL DEFAULT 0 CHECK (hard_distance_m >= 0 AND hard_distance_m <= 100000),
    warn_distance_m double precision NOT NULL DEFAULT 300 CHECK (warn_distance_m >= 0 AND warn_distance_m <= 100000),
    exempt_minerals text[] NOT NULL DEFAULT '{}',
    exemption       text,
    basis           text,
    enabled         boolean NOT NULL DEFAULT true,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (warn_distance_m >= hard_distance_m)
);

INSERT INTO compliance_rule (layer_kind, title, effect, hard_distance_m, warn_distance_m, exempt_minerals, exemption, basis) VALUES
    ('redline', '生态保护红线 (ecological protection red line)', 'exclude', 0, 300, '{}', NULL,
     '生态保护红线内禁止新设采矿权'),
    ('farmland', '永久基本农田 (permanent basic farmland)', 'exclude', 0, 300,
     ARRAY['石油', '天然气', '页岩气', '煤层气', '煤炭', '铀', '铁', '铬', '铜', '铝', '金', '镍', '钴', '钨',
           '锡', '钼', '锑', '锂', '稀土', '锆', '磷', '钾盐', '晶质石墨', '萤石', '矿泉水', '地热'],
     'since 2025 a mining right on permanent basic farmland is allowed only for strategic minerals (战略性矿产) or minerals whose extraction does not damage it (矿泉水, 地热): the bureau must review the occupation',
     '永久基本农田保护; 战略性矿产目录 (全国矿产资源规划 2016-2020)'),
    ('mountain', '重点保护山体 (key protected mountain, 山体保护重点保护名录)', 'exclude', 0, 300, '{}', NULL,
     '《驻马店市山体保护条例》重点保护名录'),
    ('mining_right', '现有采矿权 (existing mining right)', 'separate_3d', 0, 300, '{}', NULL,
     '采矿权范围不得重叠 (平面与开采标高)'),
    ('mining_zone', '规划开采区 (planned mining zone)', 'within_any', 0, 0, '{}', NULL,
     '矿产资源总体规划: 采矿权须位于规划开采区内'),
    ('county', '县级行政区 (county)', 'within_own_county', 0, 0, '{}', NULL,
     '出让采矿权位于所在县级行政区内');

-- Settings that are not per layer kind.
CREATE TABLE compliance_setting (
    id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
    area_tolerance_pct double precision NOT NULL DEFAULT 0.1 CHECK (area_tolerance_pct >= 0 AND area_tolerance_pct <= 50),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO compliance_setting DEFAULT VALUES;

-- The rules a report was made under, as one digest: a rule edited after the
-- report makes it stale.
CREATE FUNCTION compliance_rules_digest() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT md5(COALESCE((SELECT string_agg(concat_ws('|', layer_kind, effect, hard_distance_m, warn_distance_m,
                                                     exempt_minerals::text, enabled), ';' ORDER BY layer_kind)
                         FROM compliance_rule), '')
               || '#' || (SELECT area_tolerance_pct::text FROM compliance_setting))
$$;

CREATE TABLE compliance_report (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parcel_id      bigint NOT NULL REFERENCES parcel (id) ON DELETE CASCADE,
    verdict        text NOT NULL CHECK (verdict IN ('pass', 'warn', 'fail')),
    findings       jsonb NOT NULL,
    layer_versions jsonb NOT NULL,
    parcel_version integer NOT NULL,
    rules_digest   text NOT NULL,
    area_m2        double precision NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX compliance_report_parcel_idx ON compliance_report (parcel_id, id DESC);

-- Why a report no longer describes the parcel against the current layers
-- and rules, or NULL when it still does.
CREATE FUNCTION compliance_report_staleness(p_report bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rep  compliance_report;
    pv   integer;
    why  text[] := '{}';
    r    record;
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
    IF rep.rules_digest IS DISTINCT FROM compliance_rules_digest() THEN
        why := why || 'the compliance rules changed after the report'::text;
    END IF;
    IF cardinality(why) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN array_to_string(why, '; ');
END
$$;

-- The figures of one check, in one statement on the EPSG:4526 GiST index:
-- every feature of a rule-bearing current layer within reach of the subject
-- (ST_DWithin), the nearest feature of each layer (<-> KNN), the share of
-- the subject the within_any layers cover, and the registered parcels near
-- it. p_wkb is the subject (SRID 4490), p_parcel the parcel to leave out.
-- An invalid subject yields nothing, so GEOS overlay never sees it.
-- Containment layers (zones, counties) skip the intersection when the
-- feature covers the subject: a county has thousands of vertices, and
-- clipping the parcel against it would be most of the check's time.
-- jit is off: with a million features the planner's cost estimate crosses
-- jit_above_cost, and compiling takes ten times longer than the query.
CREATE FUNCTION compliance_hits(p_wkb bytea, p_parcel bigint)
RETURNS TABLE (what text, layer_id bigint, fid text, name text, overlap_m2 double precision,
               distance_m double precision, top_m double precision, bottom_m double precision,
               boundary_m double precision)
LANGUAGE plpgsql STABLE SET jit = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH g AS MATERIALIZED (
        SELECT ST_Transform(g0, 4526) AS g FROM (SELECT ST_SetSRID(ST_GeomFromWKB(p_wkb), 4490) AS g0) s
        WHERE ST_IsValid(g0)),
    lr AS MATERIALIZED (
        SELECT l.id, r.effect, GREATEST(r.hard_distance_m, r.warn_distance_m) AS reach
        FROM layer l JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled
        WHERE l.current)
    SELECT 'hit' AS what, lr.id, f.fid, f.name,
        CASE WHEN lr.effect IN ('within_any', 'within_own_county') AND ST_Covers(f.geom_4526, g.g) THEN ST_Area(g.g)
            ELSE ST_Area(ST_Intersection(f.geom_4526, g.g)) END,
        ST_Distance(f.geom_4526, g.g),
        f.elevation_top_m, f.elevation_bottom_m,
        CASE WHEN lr.effect = 'within_own_county' THEN ST_Distance(ST_Boundary(f.geom_4526), g.g) END
    FROM lr CROSS JOIN g CROSS JOIN LATERAL (
        SELECT * FROM layer_feature f WHERE f.layer_id = lr.id AND ST_DWithin(f.geom_4526, g.g, lr.reach)) f
    UNION ALL
    SELECT 'nearest', lr.id, n.fid, n.name, NULL, n.d, NULL, NULL, NULL
    FROM lr CROSS JOIN g CROSS JOIN LATERAL (
        SELECT f.fid, f.name, ST_Distance(f.geom_4526, g.g) AS d FROM layer_feature f
        WHERE f.layer_id = lr.id ORDER BY f.geom_4526 <-> g.g LIMIT 1) n
    WHERE lr.effect <> 'within_own_county'
    UNION ALL
    SELECT 'cover', lr.id, NULL, NULL,
        (SELECT CASE WHEN bool_or(ST_Covers(f.geom_4526, g.g)) THEN ST_Area(g.g)
            ELSE ST_Area(ST_Intersection(g.g, ST_Union(f.geom_4526))) END
         FROM layer_feature f WHERE f.layer_id = lr.id AND ST_Intersects(f.geom_4526, g.g)), NULL, NULL, NULL, NULL
    FROM lr CROSS JOIN g WHERE lr.effect = 'within_any'
    UNION ALL
    SELECT 'parcel', NULL, p.id::text, p.name, ST_Area(ST_Intersection(ST_Transform(p.geom, 4526), g.g)),
        ST_Distance(ST_Transform(p.geom, 4526), g.g), p.elevation_top_m, p.elevation_bottom_m, NULL
    FROM g CROSS JOIN parcel p
    WHERE p.id IS DISTINCT FROM p_parcel AND p.status <> 'withdrawn'
        AND EXISTS (SELECT 1 FROM compliance_rule WHERE effect = 'separate_3d' AND enabled)
        AND ST_DWithin(ST_Transform(p.geom, 4526), g.g,
            (SELECT max(GREATEST(hard_distance_m, warn_distance_m)) FROM compliance_rule WHERE effect = 'separate_3d' AND enabled));
END
$$;
