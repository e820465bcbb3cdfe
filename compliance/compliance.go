// Package compliance is the rule book of the spatial checks: what each
// layer kind forbids (the rule table), how the figures PostGIS measured
// around a parcel become findings, the verdict, and the words a clerk reads.
//
// It is pure: no database, no clock, no I/O. The store (package registry)
// runs the SQL that measures overlaps and distances in the parcel's own
// CGCS2000 3° Gauss-Krüger zone and hands the rows to Evaluate.
package compliance

import (
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

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

// Effects lists every effect a rule may have.
var Effects = []string{EffectExclude, EffectSeparate3D, EffectWithinAny, EffectWithinOwnCounty}

// minOverlapM2 is the smallest overlap counted as "positive area": below a
// square decimetre, an intersection of two polygons that only share an edge
// is floating-point noise, not land.
const minOverlapM2 = 0.01

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
	ParcelID      int64 // 0 for a what-if check
	Name          string
	CountyCode    string // empty: any one county
	Mineral       string // for the rule table's mineral exceptions
	Geometry      orb.MultiPolygon
	StatedAreaKm2 string // empty: none stated
	// ElevationTopM and ElevationBottomM are the mining elevation range
	// as stated; nil when unknown.
	ElevationTopM    *float64
	ElevationBottomM *float64
	// Volume is the right as a volume, XYZ faces of the prism between the
	// range's bottom and top in the subject's own zone (see ExtentOf): the
	// stored volume of a registered parcel, the one the store made from the
	// range for a what-if check; nil when the range is unknown. The 3-D
	// rule reads the vertical extent from it.
	Volume geom.T
}

// Hit is one feature (or registered parcel) a check found on or near the
// subject, with the figures a clerk needs: overlap in m² and as a share of
// the subject, distance in metres, all in the subject's own 3° zone.
type Hit struct {
	Source           string   `json:"source"`
	FID              string   `json:"fid"`
	Name             string   `json:"name"`
	OverlapM2        float64  `json:"overlap_m2"`
	OverlapPct       float64  `json:"overlap_pct"`
	DistanceM        float64  `json:"distance_m"`
	ElevationTopM    *float64 `json:"elevation_top_m,omitempty"`
	ElevationBottomM *float64 `json:"elevation_bottom_m,omitempty"`
	// OverlapM3 is the volume the subject shares with another mining right
	// (separate_3d) whose footprint it overlaps: the plan overlap times the
	// height the two volumes share; 0 for vertical layering, absent when a
	// volume is unknown or the rule is not separate_3d.
	OverlapM3 *float64 `json:"overlap_m3,omitempty"`
	Severity  string   `json:"severity"`
	Reason    string   `json:"reason"`

	boundaryM *float64 // distance to the county's boundary, within_own_county only
	volume    geom.T   // the other right's volume, separate_3d only
}

// Check is the outcome of one rule against one layer (or of the area and
// validity checks), with its statement in words: an established fact when
// it passes, the problem when it does not.
type Check struct {
	Check        string   `json:"check"` // layer:NAME, parcels, area or validity
	Layer        string   `json:"layer,omitempty"`
	LayerKind    string   `json:"layer_kind,omitempty"`
	LayerVersion int      `json:"layer_version,omitempty"`
	FeatureCount int      `json:"feature_count,omitempty"`
	Title        string   `json:"title"`
	Effect       string   `json:"effect,omitempty"`
	Verdict      string   `json:"verdict"`
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

// Layer is a current layer with the rule of its kind.
type Layer struct {
	ID           int64
	Name, Kind   string
	Version      int
	FeatureCount int
	Rule         Rule
}

// Row is one row of the store's hits query (compliance_hits in SQL): a
// feature within reach of the subject ("hit"), the nearest feature of a
// layer ("nearest"), the area a within_any layer covers ("cover"), or a
// registered parcel ("parcel", LayerID nil). Figures are metres and m² in
// the subject's own zone; nil where the query has none. TopM and BottomM
// are the range as recorded, for the report; the 3-D rule judges Volume.
type Row struct {
	What      string
	LayerID   *int64
	FID       *string
	Name      *string
	OverlapM2 *float64
	DistanceM *float64
	TopM      *float64
	BottomM   *float64
	BoundaryM *float64
	// Volume is the feature's or parcel's volume (XYZ faces, see
	// ExtentOf) when it has an elevation range; nil otherwise.
	Volume geom.T
}

// Measures are the subject's own figures: the 3° zone every metric figure
// of the check is measured in, its area there as PostGIS measured it, and
// the same area by geo's independent Gauss-Krüger arithmetic.
type Measures struct {
	Zone      int
	AreaM2    float64
	GeoAreaM2 float64
}

// EPSG names the CRS the figures are in, e.g. "EPSG:4526" for zone 38.
func (m Measures) EPSG() string { return geo.EPSGOfZone(m.Zone) }

// RuleOf returns the enabled rule of a layer kind.
func RuleOf(rules []Rule, kind string) (Rule, bool) {
	for _, r := range rules {
		if r.LayerKind == kind && r.Enabled {
			return r, true
		}
	}
	return Rule{}, false
}

// ValidEffect says whether e is one of the effects a rule may have.
func ValidEffect(e string) bool { return slices.Contains(Effects, e) }
