-- A report checks the parcel against the other registered parcels as well
-- (existing mining rights, the 3-D rule): a parcel registered later nearby,
-- or one whose plan, elevation range or withdrawal changed, makes the
-- reports of its neighbours within the rule's reach stale, as a new layer
-- version does. right_changed_at is when a parcel last changed as a mining
-- right; a sale moving its status does not count.
ALTER TABLE parcel ADD COLUMN right_changed_at timestamptz NOT NULL DEFAULT now();
UPDATE parcel SET right_changed_at = updated_at;

CREATE FUNCTION parcel_right_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.geom IS DISTINCT FROM NEW.geom
        OR OLD.elevation_top_m IS DISTINCT FROM NEW.elevation_top_m
        OR OLD.elevation_bottom_m IS DISTINCT FROM NEW.elevation_bottom_m
        OR (OLD.status = 'withdrawn') IS DISTINCT FROM (NEW.status = 'withdrawn') THEN
        NEW.right_changed_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER parcel_right_changed BEFORE INSERT OR UPDATE ON parcel
    FOR EACH ROW EXECUTE FUNCTION parcel_right_changed();

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
                AND ST_DWithin(ST_Transform(q.geom, 4526), ST_Transform(p.geom, 4526), reach)
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
