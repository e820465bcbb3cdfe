// Package geo is the pure geometry of minerights: CGCS2000 3-degree
// Gauss-Krüger zone maths, planar areas in metres, the bureaus' 国土 TXT
// corner-point format, GeoJSON input, and the cheap validity checks that run
// before anything reaches PostGIS.
//
// Coordinates are orb types throughout. Geographic points are {lon, lat} in
// degrees (CGCS2000, treated as identical to WGS 84); projected points are
// {easting, northing} in metres, with the zone number prefixed to the easting
// as Chinese corner-point lists write it (38512345.67 is zone 38).
//
// The package does no I/O of its own; overlay and topology beyond simple ring
// checks belong to PostGIS.
package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// CGCS2000 ellipsoid. Its a and f equal GRS80's (they differ only in GM and
// the rotation rate), which is why PostGIS's proj4text for EPSG:4526 may say
// +ellps=GRS80 and still agree with us.
const (
	semiMajor  = 6378137.0
	flattening = 1 / 298.257222101
)

// Parameters of the 3-degree Gauss-Krüger zones (EPSG:4513..4533 family).
const (
	zoneWidth     = 3.0
	scale         = 1.0
	falseEasting  = 500000.0
	zonePrefixMul = 1e6
)

// tm holds the Krüger series constants. They depend only on the ellipsoid, so
// they are computed once; the package stays free of mutable globals.
type tm struct {
	e, e2m float64    // eccentricity and 1-e²
	a1     float64    // rectifying radius A times the scale factor
	alpha  [7]float64 // 1-based, Karney (2011) eq. 35
	beta   [7]float64 // 1-based, Karney (2011) eq. 36
}

var cgcs2000 = newTM(semiMajor, flattening, scale)

// newTM evaluates the 6th-order series in the third flattening n. Sixth
// order is what PROJ's tmerc (the Engsager-Poder / Karney algorithm) uses;
// its truncation error is a few nanometres inside a 3° zone, so our output
// matches PostGIS ST_Transform far below survey precision.
func newTM(a, f, k0 float64) tm {
	n := f / (2 - f)
	n2 := n * n
	n3 := n2 * n
	n4 := n3 * n
	n5 := n4 * n
	n6 := n5 * n
	e2 := f * (2 - f)
	var t tm
	t.e = math.Sqrt(e2)
	t.e2m = 1 - e2
	t.a1 = k0 * a / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	t.alpha = [7]float64{0,
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	t.beta = [7]float64{0,
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	return t
}

// taup converts tan(geodetic latitude) to tan(conformal latitude) in closed
// form (Karney 2011 eq. 7-9); the closed form is exact, unlike the
// series PROJ uses, so no extra error is introduced here.
func (t tm) taup(tau float64) float64 {
	tau1 := math.Hypot(1, tau)
	sig := math.Sinh(t.e * math.Atanh(t.e*tau/tau1))
	return math.Hypot(1, sig)*tau - sig*tau1
}

// tauf inverts taup by Newton's method (Karney 2011 eq. 19-21), which
// converges to machine precision in two or three steps for |lat| < 90°.
func (t tm) tauf(taup float64) float64 {
	tau := taup / t.e2m
	stol := 0.1 * math.Sqrt(0x1p-52) * math.Max(1, math.Abs(taup))
	for range 8 {
		taupa := t.taup(tau)
		dtau := (taup - taupa) * (1 + t.e2m*tau*tau) /
			(t.e2m * math.Hypot(1, tau) * math.Hypot(1, taupa))
		tau += dtau
		if !(math.Abs(dtau) >= stol) {
			break
		}
	}
	return tau
}

// forward maps latitude and longitude difference from the central meridian
// (radians) to false-origin-free x (easting) and y (northing) in metres.
func (t tm) forward(lat, dlon float64) (x, y float64) {
	tp := t.taup(math.Tan(lat))
	xip := math.Atan2(tp, math.Cos(dlon))
	etap := math.Asinh(math.Sin(dlon) / math.Hypot(tp, math.Cos(dlon)))
	xi, eta := xip, etap
	for j := 1; j <= 6; j++ {
		k := 2 * float64(j)
		xi += t.alpha[j] * math.Sin(k*xip) * math.Cosh(k*etap)
		eta += t.alpha[j] * math.Cos(k*xip) * math.Sinh(k*etap)
	}
	return t.a1 * eta, t.a1 * xi
}

// inverse is the inverse of forward.
func (t tm) inverse(x, y float64) (lat, dlon float64) {
	xi, eta := y/t.a1, x/t.a1
	xip, etap := xi, eta
	for j := 1; j <= 6; j++ {
		k := 2 * float64(j)
		xip -= t.beta[j] * math.Sin(k*xi) * math.Cosh(k*eta)
		etap -= t.beta[j] * math.Cos(k*xi) * math.Sinh(k*eta)
	}
	s, c := math.Sinh(etap), math.Cos(xip)
	tp := math.Sin(xip) / math.Hypot(s, c)
	return math.Atan(t.tauf(tp)), math.Atan2(s, c)
}

// CentralMeridian returns the central meridian of a 3° zone in degrees.
func CentralMeridian(zone int) float64 { return zoneWidth * float64(zone) }

// Forward projects ll = {lon, lat} in degrees to the CGCS2000 3° Gauss-Krüger
// zone, returning {easting, northing} in metres with the zone number prefixed
// to the easting (zone*1e6 + 500000 false easting). For zone 38 it equals the
// x, y of PostGIS ST_Transform(..., 4526) to well under a millimetre.
//
// Points outside the zone are projected anyway (the series stays accurate a
// few degrees out); rejecting them is the validator's job, not the maths'.
func Forward(zone int, ll orb.Point) orb.Point {
	dlon := (ll[0] - CentralMeridian(zone)) * math.Pi / 180
	x, y := cgcs2000.forward(ll[1]*math.Pi/180, dlon)
	return orb.Point{x + falseEasting + float64(zone)*zonePrefixMul, y}
}

// Inverse is the inverse of Forward: p = {prefixed easting, northing} in
// metres to {lon, lat} in degrees. The prefix in p must belong to zone; use
// ZoneOfEasting to read it from the data.
func Inverse(zone int, p orb.Point) orb.Point {
	x := p[0] - falseEasting - float64(zone)*zonePrefixMul
	lat, dlon := cgcs2000.inverse(x, p[1])
	return orb.Point{CentralMeridian(zone) + dlon*180/math.Pi, lat * 180 / math.Pi}
}

// ZoneForLon returns the 3° zone whose central meridian is nearest to lon.
// On an exact boundary (1.5° from two meridians) it rounds away from zero,
// as math.Round does; callers with parcels straddling a boundary must pick
// one zone for the whole parcel themselves.
func ZoneForLon(lon float64) int { return int(math.Round(lon / zoneWidth)) }

// ZoneOfEasting reads the zone number from an easting written with its zone
// prefix (8 digits before the decimal point, e.g. 38512345.67 -> 38). It
// reports false unless e has exactly 8 digits before the point: one-digit
// zones do not occur in China (its 3° zones are 25..45), and an easting
// without its prefix (6 digits) is the commonest clerical slip to catch.
func ZoneOfEasting(e float64) (zone int, ok bool) {
	if !(e >= 10*zonePrefixMul && e < 100*zonePrefixMul) {
		return 0, false
	}
	return int(e / zonePrefixMul), true
}

// RingArea returns the signed planar area of r by the shoelace formula:
// positive when the ring runs counter-clockwise in an x-right, y-up frame
// (so {easting, northing} and {lon, lat} alike). Take math.Abs for the size.
// The ring may be open or closed. Coordinates are taken relative to the
// first vertex: with prefixed eastings (3.8e7) and northings (3.6e6) the raw
// cross products are near 1e14 and would cancel away the square centimetres.
func RingArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := r[0][0], r[0][1]
	var s float64
	for i := 1; i+1 < len(r); i++ {
		ax, ay := r[i][0]-x0, r[i][1]-y0
		bx, by := r[i+1][0]-x0, r[i+1][1]-y0
		s += ax*by - bx*ay
	}
	return s / 2
}

// PolygonArea returns the planar area of p: |outer| minus the sum of |hole|,
// whatever the rings' orientation. For projected input the unit is m².
func PolygonArea(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := math.Abs(RingArea(p[0]))
	for _, h := range p[1:] {
		a -= math.Abs(RingArea(h))
	}
	return a
}

// MultiPolygonArea returns the sum of PolygonArea over mp's polygons; it
// assumes they do not overlap, which PostGIS validity guarantees.
func MultiPolygonArea(mp orb.MultiPolygon) float64 {
	var a float64
	for _, p := range mp {
		a += PolygonArea(p)
	}
	return a
}

// AreaM2 returns the area in m² of lon/lat mp measured in the given zone's
// Gauss-Krüger plane: every vertex is projected and the planar area taken,
// edges staying straight in the plane. This is what PostGIS
// ST_Area(ST_Transform(g, 4526)) computes for zone 38, and what the
// bureaus' stated areas mean — not the ellipsoidal area of the surface.
func AreaM2(zone int, mp orb.MultiPolygon) float64 {
	var a float64
	for _, p := range mp {
		a += PolygonArea(projectPolygon(zone, p))
	}
	return a
}

func projectPolygon(zone int, p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		q := make(orb.Ring, len(r))
		for j, pt := range r {
			q[j] = Forward(zone, pt)
		}
		out[i] = q
	}
	return out
}
