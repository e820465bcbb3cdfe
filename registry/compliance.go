package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"minerights/geo"
)

// Verdicts of a compliance check: pass, warn (may be sold; a clerk reviews
// the warnings), fail (may not be announced).
const (
	VerdictPass = "pass"
	VerdictWarn = "warn"
	VerdictFail = "fail"
)

// Rule effects: what a layer kind forbids (see compliance_rule in
// 002_compliance.sql).
const (
	EffectExclude         = "exclude"
	EffectSeparate3D      = "separate_3d"
	EffectWithinAny       = "within_any"
	EffectWithinOwnCounty = "within_own_county"
)

// minOverlapM2 is the smallest overlap counted as "positive area": below a
// square decimetre, an intersection of two polygons that only share an edge
// is floating-point noise, not land.
const minOverlapM2 = 0.01

// checkZone is the Gauss-Krüger zone of EPSG:4526, in which geo repeats
// PostGIS's area as an independent check.
const checkZone = 38

// geoAreaTolerance is the relative disagreement between geo.AreaM2 and
// PostGIS beyond which the arithmetic itself is suspect.
const geoAreaTolerance = 1e-4

// Rule is one row of the rule table: what a layer kind forbids.
type Rule struct {
	LayerKind      string    `json:"layer_kind"`
	Title          string    `json:"title"`
	Effect         string    `json:"effect"`
	HardDistanceM  float64   `json:"hard_distance_m"`
	WarnDistanceM  float64   `json:"warn_distance_m"`
	ExemptMinerals []string  `json:"exempt_minerals"`
	Exemption      *string   `json:"exemption"`
	Basis          *string   `json:"basis"`
	Enabled        bool      `json:"enabled"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Settings are the compliance settings that are not per layer kind.
type Settings struct {
	// AreaTolerancePct is how far, in percent, a stated area may differ
	// from the geometry's beyond the rounding of its decimals.
	AreaTolerancePct float64 `json:"area_tolerance_pct"`
}

// Subject is what a check judges: a registered parcel or a what-if
// geometry. Geometry is CGCS2000 lon/lat, validated by geo.
type Subject struct {
	ParcelID         int64 // 0 for a what-if check
	Name             string
	CountyCode       string // empty: any one county
	Mineral          string // for the rule table's mineral exceptions
	Geometry         orb.MultiPolygon
	StatedAreaKm2    string // empty: none stated
	ElevationTopM    *float64
	ElevationBottomM *float64
}

// Hit is one feature (or registered parcel) a check found on or near the
// subject, with the figures a clerk needs: overlap in m² and as a share of
// the subject, distance in metres, all in EPSG:4526.
type Hit struct {
	Source           string   `json:"source" enum:"layer,parcel"`
	FID              string   `json:"fid"`
	Name             string   `json:"name"`
	OverlapM2        float64  `json:"overlap_m2"`
	OverlapPct       float64  `json:"overlap_pct"`
	DistanceM        float64  `json:"distance_m"`
	ElevationTopM    *float64 `json:"elevation_top_m,omitempty"`
	ElevationBottomM *float64 `json:"elevation_bottom_m,omitempty"`
	Severity         string   `json:"severity" enum:"pass,warn,fail"`
	Reason           string   `json:"reason"`

	boundaryM *float64 // distance to the county's boundary, within_own_county only
}

// Check is the outcome of one rule against one layer (or of the area and
// validity checks), with its statement in words: an established fact when
// it passes, the problem when it does not.
type Check struct {
	Check        string   `json:"check" doc:"layer:NAME, parcels, area or validity"`
	Layer        string   `json:"layer,omitempty"`
	LayerKind    string   `json:"layer_kind,omitempty"`
	LayerVersion int      `json:"layer_version,omitempty"`
	FeatureCount int      `json:"feature_count,omitempty"`
	Title        string   `json:"title"`
	Effect       string   `json:"effect,omitempty"`
	Verdict      string   `json:"verdict" enum:"pass,warn,fail"`
	Statement    string   `json:"statement"`
	Hits         []Hit    `json:"hits"`
	Nearest      *Hit     `json:"nearest,omitempty"`
	CoveredPct   *float64 `json:"covered_pct,omitempty"`
}

// Report is the result of a compliance check.
type Report struct {
	ID            int64          `json:"id,omitempty"`
	ParcelID      int64          `json:"parcel_id,omitempty"`
	Verdict       string         `json:"verdict"`
	Reasons       []string       `json:"reasons"`
	Checks        []Check        `json:"checks"`
	AreaM2        float64        `json:"area_m2"`
	LayerVersions map[string]int `json:"layer_versions"`
	ParcelVersion int            `json:"parcel_version,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	Stale         bool           `json:"stale"`
	StaleReason   string         `json:"stale_reason,omitempty"`
}

const ruleColumns = `layer_kind, title, effect, hard_distance_m, warn_distance_m, exempt_minerals, exemption, basis, enabled, updated_at`

func scanRule(row pgx.Row) (Rule, error) {
	var r Rule
	err := row.Scan(&r.LayerKind, &r.Title, &r.Effect, &r.HardDistanceM, &r.WarnDistanceM, &r.ExemptMinerals,
		&r.Exemption, &r.Basis, &r.Enabled, &r.UpdatedAt)
	return r, err
}

// Rules returns the rule table by layer kind, and the settings.
func (s *Store) Rules(ctx context.Context) ([]Rule, Settings, error) {
	var out []Rule
	var st Settings
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

func rulesTx(ctx context.Context, tx pgx.Tx) ([]Rule, error) {
	rows, err := tx.Query(ctx, rulesSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rule
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
func (s *Store) PutRule(ctx context.Context, r Rule) (Rule, error) {
	if !layerName.MatchString(r.LayerKind) {
		return r, &ValidationError{Field: "layer_kind", Reason: fmt.Sprintf("layer kind %q must be lower-case letters, digits and _ (e.g. railway)", r.LayerKind)}
	}
	switch r.Effect {
	case EffectExclude, EffectSeparate3D, EffectWithinAny, EffectWithinOwnCounty:
	default:
		return r, &ValidationError{Field: "effect", Reason: fmt.Sprintf("effect %q: use exclude, separate_3d, within_any or within_own_county", r.Effect)}
	}
	if r.WarnDistanceM < r.HardDistanceM {
		return r, &ValidationError{Field: "warn_distance_m", Reason: fmt.Sprintf("the warning distance %v m is below the exclusion distance %v m: a setback warning starts at or beyond the exclusion", r.WarnDistanceM, r.HardDistanceM)}
	}
	if r.ExemptMinerals == nil {
		r.ExemptMinerals = []string{}
	}
	var out Rule
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
func (s *Store) PutSettings(ctx context.Context, st Settings) (Settings, error) {
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
func SubjectOf(p Parcel) Subject {
	return Subject{ParcelID: p.ID, Name: p.Name, CountyCode: p.CountyCode, Mineral: p.Mineral, Geometry: p.Geometry,
		StatedAreaKm2: p.StatedAreaKm2, ElevationTopM: p.ElevationTopM, ElevationBottomM: p.ElevationBottomM}
}

// CheckGeometry checks a geometry that is not registered (what-if): nothing
// is stored.
func (s *Store) CheckGeometry(ctx context.Context, subj Subject) (Report, error) {
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
func (s *Store) RunCompliance(ctx context.Context, parcelID int64) (Report, error) {
	err := s.checkTx(ctx, pgx.ReadWrite, func(tx pgx.Tx) error {
		return storeReport(ctx, tx, parcelID)
	})
	if err != nil {
		return Report{}, fmt.Errorf("registry: run compliance for parcel %d: %w", parcelID, err)
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
func (s *Store) LatestReport(ctx context.Context, parcelID int64) (Report, error) {
	var rep Report
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
		rep.Reasons = reasonsOf(rep.Checks)
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

// layerRule is a current layer with the rule of its kind.
type layerRule struct {
	id           int64
	name, kind   string
	version      int
	featureCount int
	rule         Rule
}

// rawHit is one row of the hits query.
type rawHit struct {
	what     string
	layerID  *int64
	fid      *string
	name     *string
	overlap  *float64
	distance *float64
	top      *float64
	bottom   *float64
	boundary *float64
}

// hitsSQL finds every feature of a rule-bearing current layer within reach
// of the subject, the nearest feature of each layer, the share of the
// subject the within_any layers cover, and the registered parcels near it:
// compliance_hits() in 002_compliance.sql. $1 is the subject as WKB (SRID
// 4490), $2 the parcel to leave out.
const hitsSQL = `SELECT what, layer_id, fid, name, overlap_m2, distance_m, top_m, bottom_m, boundary_m FROM compliance_hits($1::bytea, $2::bigint)`

// validitySQL judges the subject ($1, WKB) and reads what the report
// records of the rules.
const validitySQL = `SELECT ST_IsValid(g), ST_IsValidReason(g), COALESCE(ST_Area(ST_Transform(g, 4526)), 0),
		compliance_rules_digest(), (SELECT area_tolerance_pct FROM compliance_setting)
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
func check(ctx context.Context, db batcher, subj Subject) (Report, string, error) {
	rep := Report{ParcelID: subj.ParcelID, LayerVersions: map[string]int{}}
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
	br := db.SendBatch(ctx, b)
	defer br.Close()
	var valid bool
	var why, digest string
	var st Settings
	if err := br.QueryRow().Scan(&valid, &why, &rep.AreaM2, &digest, &st.AreaTolerancePct); err != nil {
		return rep, "", err
	}
	rows, err := br.Query()
	if err != nil {
		return rep, "", err
	}
	rules, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Rule, error) { return scanRule(row) })
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
		rep.LayerVersions[l.name] = l.version
	}
	rows, err = br.Query()
	if err != nil {
		return rep, "", err
	}
	raws, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rawHit, error) {
		var h rawHit
		err := row.Scan(&h.what, &h.layerID, &h.fid, &h.name, &h.overlap, &h.distance, &h.top, &h.bottom, &h.boundary)
		return h, err
	})
	if err != nil {
		return rep, "", err
	}
	if err := br.Close(); err != nil {
		return rep, "", err
	}
	if !valid {
		rep.Checks = []Check{validityCheck(subj.Geometry, false, why)}
	} else {
		rep.Checks = evaluate(subj, rep.AreaM2, geo.AreaM2(checkZone, subj.Geometry), rules, layers, raws, st)
	}
	rep.Verdict, rep.Reasons = verdictOf(rep.Checks), reasonsOf(rep.Checks)
	return rep, digest, nil
}

// ruleLayers reads the current layers, keeping those whose kind has an
// enabled rule.
func ruleLayers(rows pgx.Rows, rules []Rule) ([]layerRule, error) {
	defer rows.Close()
	var out []layerRule
	for rows.Next() {
		var l layerRule
		if err := rows.Scan(&l.id, &l.name, &l.kind, &l.version, &l.featureCount); err != nil {
			return nil, err
		}
		i := slices.IndexFunc(rules, func(r Rule) bool { return r.LayerKind == l.kind && r.Enabled })
		if i < 0 {
			continue
		}
		l.rule = rules[i]
		out = append(out, l)
	}
	return out, rows.Err()
}

// evaluate turns the figures PostGIS measured into checks, rule by rule. It
// is pure so that the rule logic is tested without a database.
func evaluate(subj Subject, areaM2, geoAreaM2 float64, rules []Rule, layers []layerRule, raws []rawHit, st Settings) []Check {
	checks := []Check{validityCheck(subj.Geometry, true, ""), areaCheck(subj, areaM2, geoAreaM2, st)}
	byLayer := map[int64][]rawHit{}
	var parcels []rawHit
	for _, h := range raws {
		if h.layerID == nil {
			parcels = append(parcels, h)
			continue
		}
		byLayer[*h.layerID] = append(byLayer[*h.layerID], h)
	}
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		found := false
		for _, l := range layers {
			if l.kind != r.LayerKind {
				continue
			}
			found = true
			checks = append(checks, layerCheck(subj, areaM2, l, byLayer[l.id]))
		}
		if !found {
			checks = append(checks, Check{Check: "layer-kind:" + r.LayerKind, LayerKind: r.LayerKind, Title: r.Title, Effect: r.Effect,
				Verdict: VerdictWarn, Hits: []Hit{},
				Statement: fmt.Sprintf("no layer of kind %s is loaded: cannot establish the %s rule; import one (minerights import NAME FILE --kind %s)", r.LayerKind, r.Title, r.LayerKind)})
		}
	}
	if i := slices.IndexFunc(rules, func(r Rule) bool { return r.Effect == EffectSeparate3D && r.Enabled }); i >= 0 {
		checks = append(checks, parcelsCheck(subj, areaM2, rules[i], parcels))
	}
	return checks
}

func validityCheck(mp orb.MultiPolygon, valid bool, why string) Check {
	c := Check{Check: "validity", Title: "geometry validity (ST_IsValid)", Hits: []Hit{}}
	corners := 0
	for _, p := range mp {
		for _, r := range p {
			corners += max(len(r)-1, 0)
		}
	}
	if valid {
		c.Verdict = VerdictPass
		c.Statement = fmt.Sprintf("the geometry is valid (ST_IsValid): %d polygon(s), %d corner points", len(mp), corners)
		return c
	}
	c.Verdict = VerdictFail
	c.Statement = "the geometry is not valid (PostGIS: " + why + "): correct the corner points; no other check was run"
	return c
}

// areaCheck compares the stated area with the geometry's, allowing the
// rounding of the stated decimals plus the configured tolerance.
func areaCheck(subj Subject, areaM2, geoAreaM2 float64, st Settings) Check {
	c := Check{Check: "area", Title: "stated area against the geometry (EPSG:4526)", Verdict: VerdictPass, Hits: []Hit{}}
	computed := fmt.Sprintf("%s km² (%s m²) in EPSG:4526", strconv.FormatFloat(areaM2/1e6, 'f', 6, 64), m2(areaM2))
	if areaM2 > 0 && math.Abs(geoAreaM2-areaM2)/areaM2 > geoAreaTolerance {
		c.Verdict = VerdictWarn
		c.Statement = fmt.Sprintf("the independent Gauss-Krüger area %s m² disagrees with PostGIS's %s m²: check the coordinate system", m2(geoAreaM2), m2(areaM2))
		return c
	}
	if subj.StatedAreaKm2 == "" {
		c.Statement = "no area is stated; the geometry measures " + computed
		return c
	}
	stated, err := strconv.ParseFloat(subj.StatedAreaKm2, 64)
	if err != nil || stated <= 0 {
		c.Verdict = VerdictFail
		c.Statement = fmt.Sprintf("the stated area %q is not a positive number of km²", subj.StatedAreaKm2)
		return c
	}
	decimals := 0
	if i := strings.IndexByte(subj.StatedAreaKm2, '.'); i >= 0 {
		decimals = len(subj.StatedAreaKm2) - i - 1
	}
	statedM2 := stated * 1e6
	tol := math.Max(0.5*math.Pow(10, -float64(decimals))*1e6, st.AreaTolerancePct/100*statedM2)
	diff := statedM2 - areaM2
	if math.Abs(diff) <= tol {
		c.Statement = fmt.Sprintf("the stated area %s km² agrees with the geometry, %s, within the rounding of its %d decimals and the %g%% tolerance",
			subj.StatedAreaKm2, computed, decimals, st.AreaTolerancePct)
		return c
	}
	word := "larger"
	if diff < 0 {
		word = "smaller"
	}
	c.Verdict = VerdictFail
	c.Statement = fmt.Sprintf("the stated area %s km² is %.1f%% %s than the area of the geometry, %s (tolerance %g%% beyond rounding): correct the stated area or the corner points",
		subj.StatedAreaKm2, math.Abs(diff)/areaM2*100, word, computed, st.AreaTolerancePct)
	return c
}

func layerCheck(subj Subject, areaM2 float64, l layerRule, raws []rawHit) Check {
	c := Check{Check: "layer:" + l.name, Layer: l.name, LayerKind: l.kind, LayerVersion: l.version, FeatureCount: l.featureCount,
		Title: l.rule.Title, Effect: l.rule.Effect, Verdict: VerdictPass, Hits: []Hit{}}
	var cover *float64
	for _, h := range raws {
		switch h.what {
		case "hit":
			c.Hits = append(c.Hits, hitOf("layer", h, areaM2))
		case "nearest":
			n := hitOf("layer", h, areaM2)
			c.Nearest = &n
		case "cover":
			v := 0.0
			if h.overlap != nil {
				v = *h.overlap
			}
			cover = &v
		}
	}
	src := fmt.Sprintf("layer %s v%d, %d features", l.name, l.version, l.featureCount)
	switch l.rule.Effect {
	case EffectExclude, EffectSeparate3D:
		judgeNear(&c, subj, l.rule, src)
	case EffectWithinAny:
		judgeWithin(&c, areaM2, cover, src)
	case EffectWithinOwnCounty:
		judgeCounty(&c, subj, areaM2, l.rule, src)
	}
	return c
}

func parcelsCheck(subj Subject, areaM2 float64, r Rule, raws []rawHit) Check {
	c := Check{Check: "parcels", LayerKind: r.LayerKind, Title: "registered parcels (other mining rights)", Effect: r.Effect,
		Verdict: VerdictPass, Hits: []Hit{}}
	for _, h := range raws {
		c.Hits = append(c.Hits, hitOf("parcel", h, areaM2))
	}
	judgeNear(&c, subj, r, "the parcel registry")
	return c
}

func hitOf(source string, h rawHit, areaM2 float64) Hit {
	out := Hit{Source: source, ElevationTopM: h.top, ElevationBottomM: h.bottom}
	if h.fid != nil {
		out.FID = *h.fid
	}
	if h.name != nil {
		out.Name = *h.name
	}
	if h.overlap != nil {
		out.OverlapM2 = *h.overlap
		if areaM2 > 0 {
			out.OverlapPct = *h.overlap / areaM2 * 100
		}
	}
	if h.distance != nil {
		out.DistanceM = *h.distance
	}
	out.boundaryM = h.boundary
	return out
}

// judgeNear applies an exclude or separate_3d rule to the hits.
func judgeNear(c *Check, subj Subject, r Rule, src string) {
	exempt := ""
	for _, m := range r.ExemptMinerals {
		if m != "" && subj.Mineral != "" && strings.Contains(subj.Mineral, m) {
			exempt = m
			break
		}
	}
	what, _, _ := strings.Cut(r.Title, " (")
	if c.Check == "parcels" {
		what = "registered parcel"
	}
	kept := c.Hits[:0]
	for _, h := range c.Hits {
		label := fmt.Sprintf("%s %s (%s)", what, h.Name, h.FID)
		if h.Source == "parcel" {
			label = fmt.Sprintf("registered parcel %s (id %s)", h.Name, h.FID)
		}
		plan := fmt.Sprintf("by %s m² (%s of the parcel)", m2(h.OverlapM2), pct(h.OverlapPct))
		switch {
		case h.OverlapM2 > minOverlapM2 && r.Effect == EffectSeparate3D:
			h.Severity, h.Reason = judge3D(subj, h, label, plan)
		case h.OverlapM2 > minOverlapM2:
			h.Severity, h.Reason = VerdictFail, fmt.Sprintf("overlaps %s %s", label, plan)
		case h.DistanceM < r.HardDistanceM:
			h.Severity, h.Reason = VerdictFail, fmt.Sprintf("lies %s m from %s, inside the %s m exclusion distance", metres(h.DistanceM), label, metres(r.HardDistanceM))
		case h.DistanceM < r.WarnDistanceM || (h.DistanceM == 0 && r.WarnDistanceM > 0):
			h.Severity, h.Reason = VerdictWarn, fmt.Sprintf("within %s m of %s without overlapping it (setback %s m): review", metres(h.DistanceM), label, metres(r.WarnDistanceM))
		default:
			continue
		}
		if h.Severity == VerdictFail && exempt != "" && r.Effect == EffectExclude {
			h.Severity = VerdictWarn
			h.Reason += fmt.Sprintf("; allowed for %s (exception %s): %s", subj.Mineral, exempt, deref(r.Exemption))
		}
		kept = append(kept, h)
	}
	c.Hits = kept
	c.Verdict = worst(c.Hits)
	if c.Verdict == VerdictPass {
		near := "none"
		if c.Nearest != nil {
			near = fmt.Sprintf("nearest %s (%s) at %s m", c.Nearest.Name, c.Nearest.FID, metres(c.Nearest.DistanceM))
		}
		if c.Check == "parcels" {
			c.Statement = fmt.Sprintf("does not overlap, in plan or in elevation, any other registered parcel, none within %s m", metres(r.WarnDistanceM))
			return
		}
		c.Statement = fmt.Sprintf("does not overlap any %s, none within %s m (%s; %s)", r.Title, metres(r.WarnDistanceM), src, near)
		return
	}
	var parts []string
	for _, h := range c.Hits {
		parts = append(parts, h.Reason)
	}
	c.Statement = strings.Join(parts, "; ")
}

// judge3D decides an overlap in plan with another mining right: a conflict
// only when the elevation ranges overlap too.
func judge3D(subj Subject, h Hit, label, plan string) (string, string) {
	if subj.ElevationTopM == nil || subj.ElevationBottomM == nil || h.ElevationTopM == nil || h.ElevationBottomM == nil {
		whose := "the elevation range of " + label + " is"
		if subj.ElevationTopM == nil {
			whose = "the parcel's elevation range is"
			if h.ElevationTopM == nil {
				whose = "both elevation ranges are"
			}
		}
		return VerdictFail, fmt.Sprintf("overlaps %s in plan %s and %s unknown, so a 3-D conflict cannot be ruled out: record the mining elevation range (开采标高)", label, plan, whose)
	}
	lo := math.Max(*subj.ElevationBottomM, *h.ElevationBottomM)
	hi := math.Min(*subj.ElevationTopM, *h.ElevationTopM)
	ranges := fmt.Sprintf("the elevation ranges %s and %s", elevRange(*subj.ElevationTopM, *subj.ElevationBottomM), elevRange(*h.ElevationTopM, *h.ElevationBottomM))
	if hi > lo {
		return VerdictFail, fmt.Sprintf("3-D conflict: overlaps %s in plan %s and %s overlap by %s m", label, plan, ranges, metres(hi-lo))
	}
	return VerdictWarn, fmt.Sprintf("vertical layering: overlaps %s in plan %s but %s are disjoint (%s m apart); allowed, review the layering", label, plan, ranges, metres(lo-hi))
}

// judgeWithin applies a within_any rule: the features together must cover
// the subject.
func judgeWithin(c *Check, areaM2 float64, cover *float64, src string) {
	covered := 0.0
	if cover != nil {
		covered = *cover
	}
	p := 0.0
	if areaM2 > 0 {
		p = math.Min(covered/areaM2*100, 100)
	}
	c.CoveredPct = &p
	var inside []string
	for i := range c.Hits {
		h := &c.Hits[i]
		if h.OverlapM2 > minOverlapM2 {
			h.Severity = VerdictPass
			h.Reason = fmt.Sprintf("covers %s m² (%s of the parcel)", m2(h.OverlapM2), pct(h.OverlapPct))
			inside = append(inside, fmt.Sprintf("%s (%s)", h.Name, h.FID))
		}
	}
	outside := areaM2 - covered
	switch {
	case outside <= minOverlapM2:
		c.Verdict = VerdictPass
		c.Statement = fmt.Sprintf("lies inside %s %s: 100%% of the parcel (%s)", c.Title, strings.Join(inside, ", "), src)
	case covered <= minOverlapM2:
		c.Verdict = VerdictFail
		near := ""
		if c.Nearest != nil {
			near = fmt.Sprintf("; nearest %s (%s) at %s m", c.Nearest.Name, c.Nearest.FID, metres(c.Nearest.DistanceM))
		}
		c.Statement = fmt.Sprintf("lies outside every %s (%s)%s", c.Title, src, near)
	default:
		c.Verdict = VerdictFail
		c.Statement = fmt.Sprintf("%s m² (%s of the parcel) lies outside every %s; only %s is inside %s", m2(outside), pct(outside/areaM2*100), c.Title, pct(p), strings.Join(inside, ", "))
	}
}

// judgeCounty applies within_own_county: the subject must lie in the county
// feature whose fid is its county code (any one county when none is given).
func judgeCounty(c *Check, subj Subject, areaM2 float64, r Rule, src string) {
	var in []Hit
	var own *Hit
	var boundary *float64
	for i, h := range c.Hits {
		if h.OverlapM2 > minOverlapM2 {
			c.Hits[i].Severity = VerdictPass
			c.Hits[i].Reason = fmt.Sprintf("%s m² (%s of the parcel) lies in %s (%s)", m2(h.OverlapM2), pct(h.OverlapPct), h.Name, h.FID)
			in = append(in, c.Hits[i])
			if h.FID == subj.CountyCode {
				own = &c.Hits[i]
				boundary = h.boundaryM
			}
		}
	}
	if subj.CountyCode == "" && len(in) == 1 {
		own = &in[0]
	}
	switch {
	case own != nil && areaM2-own.OverlapM2 <= minOverlapM2:
		c.Verdict = VerdictPass
		c.Statement = fmt.Sprintf("lies entirely inside its county %s (%s)", own.Name, own.FID)
		if boundary != nil {
			c.Statement += fmt.Sprintf(", %s m from the county boundary", metres(*boundary))
			if *boundary < r.WarnDistanceM {
				c.Verdict = VerdictWarn
				c.Statement += fmt.Sprintf(": closer than %s m; the county boundaries are coarse (~100 m), review", metres(r.WarnDistanceM))
			}
		}
		c.Statement += " (" + src + ")"
	case own != nil:
		var others []string
		for _, h := range in {
			if h.FID != own.FID {
				others = append(others, fmt.Sprintf("%s (%s)", h.Name, h.FID))
			}
		}
		c.Verdict = VerdictFail
		c.Statement = fmt.Sprintf("straddles the boundary of %s (%s) and %s: %s m² (%s of the parcel) lies outside %s",
			own.Name, own.FID, strings.Join(others, ", "), m2(areaM2-own.OverlapM2), pct((areaM2-own.OverlapM2)/areaM2*100), own.Name)
		for i := range c.Hits {
			if c.Hits[i].FID != own.FID && c.Hits[i].Severity == VerdictPass {
				c.Hits[i].Severity = VerdictFail
			}
		}
	case subj.CountyCode == "" && len(in) > 1:
		var names []string
		for _, h := range in {
			names = append(names, fmt.Sprintf("%s (%s)", h.Name, h.FID))
		}
		c.Verdict = VerdictFail
		c.Statement = "straddles the boundary of " + strings.Join(names, " and ")
	case len(in) > 0:
		var names []string
		for _, h := range in {
			names = append(names, fmt.Sprintf("%s (%s)", h.Name, h.FID))
		}
		c.Verdict = VerdictFail
		c.Statement = fmt.Sprintf("does not lie in its county %s: it lies in %s", subj.CountyCode, strings.Join(names, ", "))
	default:
		c.Verdict = VerdictFail
		c.Statement = fmt.Sprintf("lies outside every county of the counties layer (%s)", src)
	}
	kept := c.Hits[:0]
	for _, h := range c.Hits {
		if h.Severity != "" {
			kept = append(kept, h)
		}
	}
	c.Hits = kept
}

func worst(hits []Hit) string {
	v := VerdictPass
	for _, h := range hits {
		v = worse(v, h.Severity)
	}
	return v
}

func worse(a, b string) string {
	rank := map[string]int{VerdictPass: 0, VerdictWarn: 1, VerdictFail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func verdictOf(checks []Check) string {
	v := VerdictPass
	for _, c := range checks {
		v = worse(v, c.Verdict)
	}
	return v
}

// reasonsOf lists what a clerk must act on: fails first, then warnings.
func reasonsOf(checks []Check) []string {
	out := []string{}
	for _, want := range []string{VerdictFail, VerdictWarn} {
		for _, c := range checks {
			if c.Verdict == want {
				out = append(out, c.Title+": "+c.Statement)
			}
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// m2 formats an area in square metres: whole metres with thousands
// separators, two decimals below 10 m².
func m2(v float64) string {
	if math.Abs(v) < 10 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return thousands(int64(math.Round(v)))
}

func metres(v float64) string {
	if math.Abs(v) < 10 && v != math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return thousands(int64(math.Round(v)))
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" }

func elevRange(top, bottom float64) string {
	return fmt.Sprintf("%+g…%+g m", top, bottom)
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
