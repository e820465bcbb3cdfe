package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"minerights/compliance"
	"minerights/geo"
)

// The store's side of the compliance checks: the rule table, the layers and
// the hits query run here, in SQL, and the rows go to the rule book
// (package compliance), which judges them. Every metric figure is measured
// in the subject's own CGCS2000 3° zone (cgcs2000_zone in
// 014_parcel_zone.sql, geo.ZoneOf in Go).

const ruleColumns = `layer_kind, title, effect, hard_distance_m, warn_distance_m, exempt_minerals, exemption, basis, enabled, updated_at`

func scanRule(row pgx.Row) (compliance.Rule, error) {
	var r compliance.Rule
	err := row.Scan(&r.LayerKind, &r.Title, &r.Effect, &r.HardDistanceM, &r.WarnDistanceM, &r.ExemptMinerals,
		&r.Exemption, &r.Basis, &r.Enabled, &r.UpdatedAt)
	return r, err
}

// Rules returns the rule table by layer kind, and the settings.
func (s *Store) Rules(ctx context.Context) ([]compliance.Rule, compliance.Settings, error) {
	var out []compliance.Rule
	var st compliance.Settings
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = rulesTx(ctx, tx)
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT area_tolerance_pct FROM compliance_setting`).Scan(&st.AreaTolerancePct)
	})
	if err != nil {
		return nil, st, fmt.Errorf("registry: compliance rules: %w", err)
	}
	return out, st, nil
}

func rulesTx(ctx context.Context, tx pgx.Tx) ([]compliance.Rule, error) {
	rows, err := tx.Query(ctx, rulesSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []compliance.Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutRule creates or replaces the rule of a layer kind. Reports made under
// the old rule become stale.
func (s *Store) PutRule(ctx context.Context, r compliance.Rule) (compliance.Rule, error) {
	if !layerName.MatchString(r.LayerKind) {
		return r, &ValidationError{Field: "layer_kind", Reason: fmt.Sprintf("layer kind %q must be lower-case letters, digits and _ (e.g. railway)", r.LayerKind)}
	}
	if !compliance.ValidEffect(r.Effect) {
		return r, &ValidationError{Field: "effect", Reason: fmt.Sprintf("effect %q: use exclude, separate_3d, within_any or within_own_county", r.Effect)}
	}
	if r.WarnDistanceM < r.HardDistanceM {
		return r, &ValidationError{Field: "warn_distance_m", Reason: fmt.Sprintf("the warning distance %v m is below the exclusion distance %v m: a setback warning starts at or beyond the exclusion", r.WarnDistanceM, r.HardDistanceM)}
	}
	if r.ExemptMinerals == nil {
		r.ExemptMinerals = []string{}
	}
	var out compliance.Rule
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanRule(tx.QueryRow(ctx, `INSERT INTO compliance_rule (layer_kind, title, effect, hard_distance_m, warn_distance_m,
				exempt_minerals, exemption, basis, enabled, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
			ON CONFLICT (layer_kind) DO UPDATE SET title = EXCLUDED.title, effect = EXCLUDED.effect,
				hard_distance_m = EXCLUDED.hard_distance_m, warn_distance_m = EXCLUDED.warn_distance_m,
				exempt_minerals = EXCLUDED.exempt_minerals, exemption = EXCLUDED.exemption, basis = EXCLUDED.basis,
				enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at
			RETURNING `+ruleColumns,
			r.LayerKind, r.Title, r.Effect, r.HardDistanceM, r.WarnDistanceM, r.ExemptMinerals, r.Exemption, r.Basis, r.Enabled))
		return err
	})
	if err != nil {
		return out, fmt.Errorf("registry: put rule %s: %w", r.LayerKind, err)
	}
	return out, nil
}

// PutSettings replaces the compliance settings.
func (s *Store) PutSettings(ctx context.Context, st compliance.Settings) (compliance.Settings, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE compliance_setting SET area_tolerance_pct = $1, updated_at = now() RETURNING area_tolerance_pct`,
			st.AreaTolerancePct).Scan(&st.AreaTolerancePct)
	})
	if err != nil {
		return st, fmt.Errorf("registry: put compliance settings: %w", err)
	}
	return st, nil
}

// SubjectOf is the compliance subject of a registered parcel.
func SubjectOf(p Parcel) compliance.Subject {
	return compliance.Subject{ParcelID: p.ID, Name: p.Name, CountyCode: p.CountyCode, Mineral: p.Mineral, Geometry: p.Geometry,
		StatedAreaKm2: p.StatedAreaKm2, ElevationTopM: p.ElevationTopM, ElevationBottomM: p.ElevationBottomM, Volume: p.Volume}
}

// CheckGeometry checks a geometry that is not registered (what-if): nothing
// is stored.
func (s *Store) CheckGeometry(ctx context.Context, subj compliance.Subject) (compliance.Report, error) {
	// One pipelined batch runs as one implicit transaction: no BEGIN and
	// COMMIT round trips for a check that stores nothing.
	rep, _, err := check(ctx, s.pool, subj)
	if err != nil {
		return rep, fmt.Errorf("registry: compliance check: %w", mapErr(err))
	}
	rep.CreatedAt = time.Now().UTC()
	return rep, nil
}

// RunCompliance checks a registered parcel against the current layers and
// rules and stores the report; it is what makes a parcel announceable
// (parcel_compliance_problem in SQL).
func (s *Store) RunCompliance(ctx context.Context, parcelID int64) (compliance.Report, error) {
	err := s.checkTx(ctx, pgx.ReadWrite, func(tx pgx.Tx) error {
		return storeReport(ctx, tx, parcelID)
	})
	if err != nil {
		return compliance.Report{}, fmt.Errorf("registry: run compliance for parcel %d: %w", parcelID, err)
	}
	return s.LatestReport(ctx, parcelID)
}

// storeReport checks the parcel as it is in tx and stores the report.
func storeReport(ctx context.Context, tx pgx.Tx, parcelID int64) error {
	p, err := findParcel(ctx, tx, parcelID)
	if err != nil {
		return err
	}
	r, digest, err := check(ctx, tx, SubjectOf(p))
	if err != nil {
		return err
	}
	findings, err := json.Marshal(r.Checks)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO compliance_report (parcel_id, verdict, findings, layer_versions, parcel_version, rules_digest, area_m2)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, r.Verdict, findings, r.LayerVersions, p.Version, digest, r.AreaM2)
	return err
}

// LatestReport returns the parcel's most recent report, marked stale when a
// layer it used has a new version, a layer was added, a rule changed, or the
// parcel changed since.
func (s *Store) LatestReport(ctx context.Context, parcelID int64) (compliance.Report, error) {
	var rep compliance.Report
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var findings, versions []byte
		var stale *string
		err := tx.QueryRow(ctx, `SELECT r.id, r.parcel_id, r.verdict, r.findings, r.layer_versions, r.parcel_version, r.created_at,
				r.area_m2, compliance_report_staleness(r.id)
			FROM compliance_report r WHERE r.parcel_id = $1 ORDER BY r.id DESC LIMIT 1`, parcelID).
			Scan(&rep.ID, &rep.ParcelID, &rep.Verdict, &findings, &versions, &rep.ParcelVersion, &rep.CreatedAt, &rep.AreaM2, &stale)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(findings, &rep.Checks); err != nil {
			return err
		}
		if err := json.Unmarshal(versions, &rep.LayerVersions); err != nil {
			return err
		}
		if stale != nil {
			rep.Stale, rep.StaleReason = true, *stale
		}
		rep.Reasons = compliance.ReasonsOf(rep.Checks)
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("registry: compliance report of parcel %d: %w", parcelID, err)
	}
	return rep, nil
}

// ComplianceProblem is the reason the parcel may not be announced, or ""
// when its latest report passes (or only warns) and is current.
func (s *Store) ComplianceProblem(ctx context.Context, parcelID int64) (string, error) {
	var p *string
	if err := s.db(ctx).QueryRow(ctx, `SELECT parcel_compliance_problem($1)`, parcelID).Scan(&p); err != nil {
		return "", fmt.Errorf("registry: compliance problem of parcel %d: %w", parcelID, err)
	}
	if p == nil {
		return "", nil
	}
	return *p, nil
}

// checkTx runs a check in one repeatable-read snapshot, so that every
// figure of a report comes from the same layer versions.
func (s *Store) checkTx(ctx context.Context, mode pgx.TxAccessMode, fn func(pgx.Tx) error) error {
	return s.retryTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: mode}, fn)
}

// hitsSQL finds every feature of a rule-bearing current layer within reach
// of the subject, the nearest feature of each layer, the share of the
// subject the within_any layers cover, and the registered parcels near it:
// compliance_hits() in 002_compliance.sql. $1 is the subject as WKB (SRID
// 4490), $2 the parcel to leave out.
//
// A row with an elevation range (a mining right) carries its stored volume
// (compliance_hit_volume, 015_right_volume.sql), which the rule book judges.
const hitsSQL = `SELECT what, layer_id, fid, name, overlap_m2, distance_m, top_m, bottom_m, boundary_m,
		compliance_hit_volume(what, layer_id, fid, top_m)
	FROM compliance_hits($1::bytea, $2::bigint)`

// volumeSQL makes the volume of a subject that is not stored (a what-if
// check with an elevation range) as the database makes every stored one:
// mining_right_volume of 015_right_volume.sql, NULL for an invalid plan.
// $1 is the plan as WKB (SRID 4490), $2 the top and $3 the bottom.
const volumeSQL = `SELECT CASE WHEN ST_IsValid(g) THEN mining_right_volume(g, $2::float8, $3::float8) END
	FROM (SELECT ST_SetSRID(ST_GeomFromWKB($1::bytea), 4490) AS g) s`

// validitySQL judges the subject ($1, WKB), measures its area in its own
// 3° zone, and reads what the report records of the rules.
const validitySQL = `SELECT ST_IsValid(g), ST_IsValidReason(g), COALESCE(ST_Area(ST_Transform(g, cgcs2000_zone_srid(g))), 0),
		cgcs2000_zone(g), compliance_rules_digest(), (SELECT area_tolerance_pct FROM compliance_setting)
	FROM (SELECT ST_SetSRID(ST_GeomFromWKB($1::bytea), 4490) AS g) s`

const rulesSQL = `SELECT ` + ruleColumns + ` FROM compliance_rule ORDER BY layer_kind`

const layersSQL = `SELECT id, name, kind, version, feature_count FROM layer WHERE current ORDER BY name`

// CheckSQL returns the statements a check runs, in order, with $1 the
// subject as WKB (SRID 4490) and $2 the parcel to leave out (or NULL): the
// raw-SQL limit `make bench-compliance` measures the API against.
func CheckSQL() []string { return []string{validitySQL, rulesSQL, layersSQL, hitsSQL} }

// batcher is a pool or a transaction: what a check sends its statements
// through.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// check computes a report; it returns the rules digest to store. Its four
// statements go to the server as one pipelined batch, a single round trip;
// hitsSQL yields nothing for an invalid subject, so that GEOS never sees it.
func check(ctx context.Context, db batcher, subj compliance.Subject) (compliance.Report, string, error) {
	rep := compliance.Report{ParcelID: subj.ParcelID, LayerVersions: map[string]int{}}
	g := wkb.MustMarshal(subj.Geometry)
	var parcelID *int64
	if subj.ParcelID != 0 {
		parcelID = &subj.ParcelID
	}
	b := &pgx.Batch{}
	b.Queue(validitySQL, g)
	b.Queue(rulesSQL)
	b.Queue(layersSQL)
	b.Queue(hitsSQL, g, parcelID)
	// A subject with a range but no stored volume gets one made, in the
	// same round trip.
	makeVolume := subj.Volume == nil && subj.ElevationTopM != nil && subj.ElevationBottomM != nil
	if makeVolume {
		b.Queue(volumeSQL, g, subj.ElevationTopM, subj.ElevationBottomM)
	}
	br := db.SendBatch(ctx, b)
	defer br.Close()
	var valid bool
	var why, digest string
	var zone int
	var st compliance.Settings
	if err := br.QueryRow().Scan(&valid, &why, &rep.AreaM2, &zone, &digest, &st.AreaTolerancePct); err != nil {
		return rep, "", err
	}
	rows, err := br.Query()
	if err != nil {
		return rep, "", err
	}
	rules, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (compliance.Rule, error) { return scanRule(row) })
	if err != nil {
		return rep, "", err
	}
	rows, err = br.Query()
	if err != nil {
		return rep, "", err
	}
	layers, err := ruleLayers(rows, rules)
	if err != nil {
		return rep, "", err
	}
	for _, l := range layers {
		rep.LayerVersions[l.Name] = l.Version
	}
	rows, err = br.Query()
	if err != nil {
		return rep, "", err
	}
	raws, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (compliance.Row, error) {
		var h compliance.Row
		var v Geometry
		err := row.Scan(&h.What, &h.LayerID, &h.FID, &h.Name, &h.OverlapM2, &h.DistanceM, &h.TopM, &h.BottomM, &h.BoundaryM, &v)
		h.Volume = v.T
		return h, err
	})
	if err != nil {
		return rep, "", err
	}
	if makeVolume {
		var v Geometry
		if err := br.QueryRow().Scan(&v); err != nil {
			return rep, "", err
		}
		subj.Volume = v.T
	}
	if err := br.Close(); err != nil {
		return rep, "", err
	}
	if !valid {
		rep.Checks = []compliance.Check{compliance.Invalid(subj.Geometry, why)}
	} else {
		m := compliance.Measures{Zone: zone, AreaM2: rep.AreaM2, GeoAreaM2: geo.AreaM2(zone, subj.Geometry)}
		rep.Checks = compliance.Evaluate(subj, m, rules, layers, raws, st)
	}
	rep.Verdict, rep.Reasons = compliance.VerdictOf(rep.Checks), compliance.ReasonsOf(rep.Checks)
	return rep, digest, nil
}

// ruleLayers reads the current layers, keeping those whose kind has an
// enabled rule.
func ruleLayers(rows pgx.Rows, rules []compliance.Rule) ([]compliance.Layer, error) {
	defer rows.Close()
	var out []compliance.Layer
	for rows.Next() {
		var l compliance.Layer
		if err := rows.Scan(&l.ID, &l.Name, &l.Kind, &l.Version, &l.FeatureCount); err != nil {
			return nil, err
		}
		var ok bool
		if l.Rule, ok = compliance.RuleOf(rules, l.Kind); !ok {
			continue
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
