package geo

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Bounds on GeoJSON input. A parcel at the vertex limit is well under a
// megabyte; nesting deeper than a FeatureCollection's polygon coordinates
// (about 8 levels) only serves to make the decoder recurse.
const (
	maxGeoJSONSize  = 4 << 20
	maxGeoJSONDepth = 16
)

// ParseGeoJSON reads one parcel boundary in {lon, lat} degrees (WGS 84 or
// CGCS2000; they differ by centimetres) from a Polygon or MultiPolygon
// geometry, a Feature holding one, or a FeatureCollection of exactly one such
// Feature. Other types, empty geometries, non-numbers and oversized or
// deeply nested documents are refused; a third coordinate (elevation) is
// dropped, as the boundary is planar.
//
// The result has passed ValidateLonLat in the zone ZoneOf gives for it, so
// a parcel is judged by the zone its middle lies in; a caller bound to a
// fixed zone should call ValidateLonLat again with that zone.
func ParseGeoJSON(b []byte) (orb.MultiPolygon, error) {
	switch {
	case len(b) == 0:
		return nil, &Error{Reason: "no GeoJSON given"}
	case len(b) > maxGeoJSONSize:
		return nil, &Error{Reason: fmt.Sprintf("GeoJSON is larger than %d MiB", maxGeoJSONSize>>20)}
	}
	if err := checkDepth(b); err != nil {
		return nil, err
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, invalidJSON(err)
	}
	const accepted = "send a Polygon or MultiPolygon geometry, a Feature with one, or a FeatureCollection of exactly one such Feature"
	var g orb.Geometry
	switch probe.Type {
	case "Polygon", "MultiPolygon":
		geom, err := geojson.UnmarshalGeometry(b)
		if err != nil {
			return nil, invalidJSON(err)
		}
		g = geom.Geometry()
	case "Feature":
		f, err := geojson.UnmarshalFeature(b)
		if err != nil {
			return nil, invalidJSON(err)
		}
		g = f.Geometry
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			return nil, invalidJSON(err)
		}
		if len(fc.Features) != 1 {
			return nil, &Error{Reason: fmt.Sprintf("FeatureCollection has %d features; %s", len(fc.Features), accepted)}
		}
		g = fc.Features[0].Geometry
	case "":
		return nil, &Error{Reason: "not a GeoJSON object: it has no \"type\"; " + accepted}
	default:
		return nil, &Error{Reason: fmt.Sprintf("GeoJSON type %q is not accepted; %s", probe.Type, accepted)}
	}
	var mp orb.MultiPolygon
	switch g := g.(type) {
	case nil:
		return nil, &Error{Reason: "the Feature has no geometry"}
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	default:
		return nil, &Error{Reason: fmt.Sprintf("geometry type %s is not accepted; %s", g.GeoJSONType(), accepted)}
	}
	if len(mp) == 0 {
		return nil, &Error{Reason: "the geometry has no coordinates"}
	}
	if err := ValidateLonLat(mp, ZoneOf(mp)); err != nil {
		return nil, err
	}
	return mp, nil
}

// ZoneOf returns the 3° zone of the middle of mp's bounding box, within
// China's zones MinZone..MaxZone: for a parcel inside one zone, its zone;
// for one cut by a zone boundary, the zone holding most of it. It is the
// parcel's own zone, in which every metric figure of it (area, overlaps,
// distances) is measured; the SQL function cgcs2000_zone
// (014_parcel_zone.sql) computes the same, and a test holds them equal.
func ZoneOf(mp orb.MultiPolygon) int {
	return min(max(ZoneForLon(mp.Bound().Center()[0]), MinZone), MaxZone)
}

func invalidJSON(err error) *Error {
	return &Error{Reason: "not valid GeoJSON: " + err.Error()}
}

// checkDepth refuses nesting beyond maxGeoJSONDepth before any decoder sees
// the document; encoding/json has no such limit of its own short of 10000.
func checkDepth(b []byte) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > maxGeoJSONDepth {
				return &Error{Reason: fmt.Sprintf("GeoJSON is nested more than %d levels deep", maxGeoJSONDepth)}
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}
