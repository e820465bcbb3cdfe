package openapi

import (
	"time"

	"minerights/compliance"
)

// The compliance report, the rule table and the settings on the wire, made
// from the rule book's types by the converters below (see wire.go). The
// report's JSON is also how the store keeps a report's checks, so the JSON
// names stay those of package compliance; what the API says of each field
// is said here.

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

// Check is the outcome of one rule against one layer (or of the area and
// validity checks), with its statement in words.
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

// Hit is one feature (or registered parcel) a check found on or near the
// subject.
type Hit struct {
	Source           string   `json:"source" enum:"layer,parcel"`
	FID              string   `json:"fid"`
	Name             string   `json:"name"`
	OverlapM2        float64  `json:"overlap_m2"`
	OverlapPct       float64  `json:"overlap_pct"`
	DistanceM        float64  `json:"distance_m"`
	ElevationTopM    *float64 `json:"elevation_top_m,omitempty"`
	ElevationBottomM *float64 `json:"elevation_bottom_m,omitempty"`
	OverlapM3        *float64 `json:"overlap_m3,omitempty" doc:"separate_3d: volume shared with the other mining right, m³ (立方米): the plan overlap times the height both volumes span; 0 for vertical layering"`
	Severity         string   `json:"severity" enum:"pass,warn,fail"`
	Reason           string   `json:"reason"`
}

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
	AreaTolerancePct float64 `json:"area_tolerance_pct"`
}

// each converts a slice, keeping nil as nil (null on the wire, as the store
// writes it).
func each[S, W any](in []S, of func(S) W) []W {
	if in == nil {
		return nil
	}
	out := make([]W, 0, len(in))
	for _, s := range in {
		out = append(out, of(s))
	}
	return out
}

func reportOf(r compliance.Report) Report {
	return Report{ID: r.ID, ParcelID: r.ParcelID, Verdict: r.Verdict, Reasons: r.Reasons, Checks: each(r.Checks, checkOf),
		AreaM2: r.AreaM2, LayerVersions: r.LayerVersions, ParcelVersion: r.ParcelVersion, CreatedAt: r.CreatedAt,
		Stale: r.Stale, StaleReason: r.StaleReason}
}

func checkOf(c compliance.Check) Check {
	w := Check{Check: c.Check, Layer: c.Layer, LayerKind: c.LayerKind, LayerVersion: c.LayerVersion, FeatureCount: c.FeatureCount,
		Title: c.Title, Effect: c.Effect, Verdict: c.Verdict, Statement: c.Statement, Hits: each(c.Hits, hitOf), CoveredPct: c.CoveredPct}
	if c.Nearest != nil {
		n := hitOf(*c.Nearest)
		w.Nearest = &n
	}
	return w
}

func hitOf(h compliance.Hit) Hit {
	return Hit{Source: h.Source, FID: h.FID, Name: h.Name, OverlapM2: h.OverlapM2, OverlapPct: h.OverlapPct, DistanceM: h.DistanceM,
		ElevationTopM: h.ElevationTopM, ElevationBottomM: h.ElevationBottomM, OverlapM3: h.OverlapM3, Severity: h.Severity, Reason: h.Reason}
}

func ruleOf(r compliance.Rule) Rule {
	return Rule{LayerKind: r.LayerKind, Title: r.Title, Effect: r.Effect, HardDistanceM: r.HardDistanceM, WarnDistanceM: r.WarnDistanceM,
		ExemptMinerals: r.ExemptMinerals, Exemption: r.Exemption, Basis: r.Basis, Enabled: r.Enabled, UpdatedAt: r.UpdatedAt}
}

func settingsOf(s compliance.Settings) Settings {
	return Settings{AreaTolerancePct: s.AreaTolerancePct}
}
