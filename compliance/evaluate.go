package compliance

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// Evaluate turns the figures PostGIS measured into checks, rule by rule:
// the validity and area checks, one check per current layer whose kind has
// an enabled rule (a warning for a rule with no layer loaded), and, when a
// separate_3d rule is enabled, the check against the other registered
// parcels. The subject is valid (see Invalid for one that is not).
func Evaluate(subj Subject, m Measures, rules []Rule, layers []Layer, rows []Row, st Settings) []Check {
	areaM2 := m.AreaM2
	checks := []Check{validityCheck(subj.Geometry, true, ""), areaCheck(subj, m, st)}
	byLayer := map[int64][]Row{}
	var parcels []Row
	for _, h := range rows {
		if h.LayerID == nil {
			parcels = append(parcels, h)
			continue
		}
		byLayer[*h.LayerID] = append(byLayer[*h.LayerID], h)
	}
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		found := false
		for _, l := range layers {
			if l.Kind != r.LayerKind {
				continue
			}
			found = true
			checks = append(checks, layerCheck(subj, areaM2, l, byLayer[l.ID]))
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

// Invalid is the one check of a subject PostGIS finds invalid (why is
// ST_IsValidReason): no other check runs on it.
func Invalid(mp orb.MultiPolygon, why string) Check { return validityCheck(mp, false, why) }

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
func areaCheck(subj Subject, m Measures, st Settings) Check {
	areaM2, geoAreaM2 := m.AreaM2, m.GeoAreaM2
	c := Check{Check: "area", Title: "stated area against the geometry (" + m.EPSG() + ")", Verdict: VerdictPass, Hits: []Hit{}}
	computed := fmt.Sprintf("%s km² (%s m²) in %s", strconv.FormatFloat(areaM2/1e6, 'f', 6, 64), m2(areaM2), m.EPSG())
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

func layerCheck(subj Subject, areaM2 float64, l Layer, raws []Row) Check {
	c := Check{Check: "layer:" + l.Name, Layer: l.Name, LayerKind: l.Kind, LayerVersion: l.Version, FeatureCount: l.FeatureCount,
		Title: l.Rule.Title, Effect: l.Rule.Effect, Verdict: VerdictPass, Hits: []Hit{}}
	var cover *float64
	for _, h := range raws {
		switch h.What {
		case "hit":
			c.Hits = append(c.Hits, hitOf("layer", h, areaM2))
		case "nearest":
			n := hitOf("layer", h, areaM2)
			c.Nearest = &n
		case "cover":
			v := 0.0
			if h.OverlapM2 != nil {
				v = *h.OverlapM2
			}
			cover = &v
		}
	}
	src := fmt.Sprintf("layer %s v%d, %d features", l.Name, l.Version, l.FeatureCount)
	switch l.Rule.Effect {
	case EffectExclude, EffectSeparate3D:
		judgeNear(&c, subj, l.Rule, src)
	case EffectWithinAny:
		judgeWithin(&c, areaM2, cover, src)
	case EffectWithinOwnCounty:
		judgeCounty(&c, subj, areaM2, l.Rule, src)
	}
	return c
}

func parcelsCheck(subj Subject, areaM2 float64, r Rule, raws []Row) Check {
	c := Check{Check: "parcels", LayerKind: r.LayerKind, Title: "registered parcels (other mining rights)", Effect: r.Effect,
		Verdict: VerdictPass, Hits: []Hit{}}
	for _, h := range raws {
		c.Hits = append(c.Hits, hitOf("parcel", h, areaM2))
	}
	judgeNear(&c, subj, r, "the parcel registry")
	return c
}

func hitOf(source string, h Row, areaM2 float64) Hit {
	out := Hit{Source: source, ElevationTopM: h.TopM, ElevationBottomM: h.BottomM}
	if h.FID != nil {
		out.FID = *h.FID
	}
	if h.Name != nil {
		out.Name = *h.Name
	}
	if h.OverlapM2 != nil {
		out.OverlapM2 = *h.OverlapM2
		if areaM2 > 0 {
			out.OverlapPct = *h.OverlapM2 / areaM2 * 100
		}
	}
	if h.DistanceM != nil {
		out.DistanceM = *h.DistanceM
	}
	out.boundaryM = h.BoundaryM
	out.volume = h.Volume
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
			h.Severity, h.Reason, h.OverlapM3 = judge3D(subj, h, label, plan)
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

// judge3D decides an overlap in plan with another mining right from the
// two volumes: a conflict only when their vertical extents overlap too. It
// returns the volume they share (nil when a volume is unknown).
func judge3D(subj Subject, h Hit, label, plan string) (string, string, *float64) {
	own, ownOK := ExtentOf(subj.Volume)
	their, theirOK := ExtentOf(h.volume)
	if !ownOK || !theirOK {
		whose := "the elevation range of " + label + " is"
		if !ownOK {
			whose = "the parcel's elevation range is"
			if !theirOK {
				whose = "both elevation ranges are"
			}
		}
		return VerdictFail, fmt.Sprintf("overlaps %s in plan %s and %s unknown, so a 3-D conflict cannot be ruled out: record the mining elevation range (开采标高)", label, plan, whose), nil
	}
	ranges := fmt.Sprintf("the elevation ranges %s and %s", elevRange(own.TopM, own.BottomM), elevRange(their.TopM, their.BottomM))
	height, shared := own.Shared(their)
	if shared {
		v := h.OverlapM2 * height
		return VerdictFail, fmt.Sprintf("3-D conflict: overlaps %s in plan %s and %s overlap by %s m (%s m³ in common)", label, plan, ranges, metres(height), m2(v)), &v
	}
	none := 0.0
	return VerdictWarn, fmt.Sprintf("vertical layering: overlaps %s in plan %s but %s are disjoint (%s m apart); allowed, review the layering", label, plan, ranges, metres(-height)), &none
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

// VerdictOf is the worst verdict of the checks.
func VerdictOf(checks []Check) string {
	v := VerdictPass
	for _, c := range checks {
		v = worse(v, c.Verdict)
	}
	return v
}

// ReasonsOf lists what a clerk must act on: fails first, then warnings.
func ReasonsOf(checks []Check) []string {
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
