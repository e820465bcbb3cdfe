package geo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// SRIDs a check-layer file may come in. CGCS2000 3° Gauss-Krüger zones 25-45
// are EPSG:4513-4533 with the zone number in front of the easting, and
// EPSG:4534-4554 (central meridians 75°-135°E) without it.
const (
	SRIDWGS84        = 4326
	SRIDCGCS2000     = 4490
	sridZonedFirst   = 4513
	sridZonedLast    = 4533
	sridUnzonedFirst = 4534
	sridUnzonedLast  = 4554
	sridZoneOffset   = 4488 // 4526 - 38
	minZone          = 25
)

// SRIDOfZone returns the EPSG code of CGCS2000 3° Gauss-Krüger zone with
// the zone number prefixed to the easting (zone 38 is EPSG:4526).
func SRIDOfZone(zone int) int { return sridZoneOffset + zone }

// LayerFeature is one polygon feature of a check-layer file, in CGCS2000
// {lon, lat} degrees, validated by ValidateLonLat.
type LayerFeature struct {
	Index      int            // 1-based position in the file
	ID         string         // feature id, else properties "id", else "feature-<Index>"
	Name       string         // properties "name", else empty
	Properties map[string]any // as given; never nil
	Geometry   orb.MultiPolygon
}

// FeatureError is one feature of a layer file that cannot be loaded; Err
// says why, usually as *Error naming the polygon, ring and point.
type FeatureError struct {
	Index int
	ID    string
	Err   error
}

func (e *FeatureError) Error() string {
	msg := strings.ReplaceAll(e.Err.Error(), "\n", "; ")
	if e.ID != "" {
		return fmt.Sprintf("feature %d (%s): %s", e.Index, e.ID, msg)
	}
	return fmt.Sprintf("feature %d: %s", e.Index, msg)
}

func (e *FeatureError) Unwrap() error { return e.Err }

// LayerReader streams the features of a check-layer file, so that a layer
// of a million polygons is never held in memory. Next returns io.EOF after
// the last feature; a *FeatureError for a feature that cannot be loaded,
// after which reading goes on with the next one; any other error ends the
// file. SRID is the coordinate system the file was read in, known once the
// first feature has been read.
type LayerReader interface {
	Next() (LayerFeature, error)
	SRID() int
	Format() string
}

// NewLayerReader reads GeoJSON (a FeatureCollection of Polygon and
// MultiPolygon features) or a 国土 TXT file, told apart by the first
// character. srid 0 detects the coordinate system: for GeoJSON from its
// "crs" member or else from the size of the coordinates (lon/lat, or an
// easting with its zone prefix); for TXT from its 带号 attribute or the
// eastings' prefix. Otherwise srid must be 4326, 4490 or a CGCS2000 3°
// Gauss-Krüger zone, 4513-4554.
func NewLayerReader(r io.Reader, srid int) (LayerReader, error) {
	if srid != 0 && !knownSRID(srid) {
		return nil, &Error{Field: "srid", Reason: fmt.Sprintf("SRID %d is not supported: use 4326, 4490, or a CGCS2000 3-degree Gauss-Krüger zone 4513-4554 (4526 is zone 38)", srid)}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	first, err := firstByte(br)
	if err != nil {
		return nil, err
	}
	if first == '{' {
		return &geoJSONLayer{dec: json.NewDecoder(br), srid: srid}, nil
	}
	return newTXTLayer(br, srid)
}

func knownSRID(srid int) bool {
	return srid == SRIDWGS84 || srid == SRIDCGCS2000 || (srid >= sridZonedFirst && srid <= sridUnzonedLast)
}

// firstByte peeks past a BOM and white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, &Error{Reason: "the file is empty"}
			}
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		case 0xEF:
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				br.Discard(3)
				continue
			}
		}
		return b[0], nil
	}
}

// toLonLat converts a polygon read in srid to {lon, lat}.
func toLonLat(srid int, mp orb.MultiPolygon) orb.MultiPolygon {
	zone, prefix := 0, 0.0
	switch {
	case srid >= sridZonedFirst && srid <= sridZonedLast:
		zone = srid - sridZoneOffset
	case srid >= sridUnzonedFirst && srid <= sridUnzonedLast:
		zone = minZone + srid - sridUnzonedFirst
		prefix = float64(zone) * zonePrefixMul
	default:
		return mp
	}
	for _, p := range mp {
		for _, r := range p {
			for i, pt := range r {
				r[i] = Inverse(zone, orb.Point{pt[0] + prefix, pt[1]})
			}
		}
	}
	return mp
}

// detectSRID guesses the coordinate system from one position.
func detectSRID(pt orb.Point) (int, error) {
	x, y := pt[0], pt[1]
	switch {
	case math.Abs(x) <= 180 && math.Abs(y) <= 90:
		return SRIDCGCS2000, nil
	case x >= 1e7:
		if zone, ok := ZoneOfEasting(x); ok && zone >= minZone && zone <= minZone+20 {
			return SRIDOfZone(zone), nil
		}
	case x >= minZoneEasting && x < maxZoneEasting && y > minNorthing:
		return 0, &Error{Field: "crs", Reason: fmt.Sprintf("easting %.2f has no zone prefix: say which CGCS2000 3-degree zone the file is in (a \"crs\" member such as EPSG:4526, or --srid)", x)}
	}
	return 0, &Error{Field: "crs", Reason: fmt.Sprintf("cannot tell the coordinate system from the position [%g, %g]: it is neither lon/lat nor a zone-prefixed Gauss-Krüger easting; give the crs", x, y)}
}

var epsgCode = regexp.MustCompile(`(?i)(?:EPSG(?::|::|/0/)|EPSG:\d*:)(\d{4,5})$`)

// sridOfCRSName reads an EPSG code from a GeoJSON 2008 "crs" name such as
// urn:ogc:def:crs:EPSG::4526 or EPSG:4490; CRS84 is lon/lat.
func sridOfCRSName(name string) (int, error) {
	if strings.HasSuffix(strings.ToUpper(name), "CRS84") {
		return SRIDWGS84, nil
	}
	m := epsgCode.FindStringSubmatch(strings.TrimSpace(name))
	if m == nil {
		return 0, &Error{Field: "crs", Reason: fmt.Sprintf("crs %q is not an EPSG code", name)}
	}
	srid, _ := strconv.Atoi(m[1])
	if !knownSRID(srid) {
		return 0, &Error{Field: "crs", Reason: fmt.Sprintf("crs EPSG:%d is not supported: use 4326, 4490, or a CGCS2000 3-degree Gauss-Krüger zone 4513-4554", srid)}
	}
	return srid, nil
}

// geoJSONLayer walks a FeatureCollection token by token and decodes one
// feature at a time.
type geoJSONLayer struct {
	dec     *json.Decoder
	srid    int
	started bool // inside the "features" array
	done    bool
	index   int
	err     error // sticky: the file cannot be read further
}

func (l *geoJSONLayer) SRID() int      { return l.srid }
func (l *geoJSONLayer) Format() string { return "geojson" }

func (l *geoJSONLayer) fail(err error) (LayerFeature, error) {
	l.err = err
	return LayerFeature{}, err
}

func syntaxError(err error) error {
	return &Error{Reason: "not valid GeoJSON: " + err.Error()}
}

// seekFeatures reads the collection's members up to its "features" array.
func (l *geoJSONLayer) seekFeatures() error {
	if t, err := l.dec.Token(); err != nil {
		return syntaxError(err)
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return &Error{Reason: "a layer file must be a GeoJSON FeatureCollection"}
	}
	for l.dec.More() {
		t, err := l.dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		key, _ := t.(string)
		switch key {
		case "type":
			var typ string
			if err := l.dec.Decode(&typ); err != nil {
				return syntaxError(err)
			}
			if typ != "FeatureCollection" {
				return &Error{Field: "type", Reason: fmt.Sprintf("GeoJSON type %q: a layer file must be a FeatureCollection", typ)}
			}
		case "crs":
			var crs struct {
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			}
			if err := l.dec.Decode(&crs); err != nil {
				return syntaxError(err)
			}
			srid, err := sridOfCRSName(crs.Properties.Name)
			if err != nil {
				return err
			}
			if l.srid == 0 {
				l.srid = srid
			}
		case "features":
			t, err := l.dec.Token()
			if err != nil {
				return syntaxError(err)
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return &Error{Field: "features", Reason: "\"features\" must be an array"}
			}
			l.started = true
			return nil
		default:
			var skip json.RawMessage
			if err := l.dec.Decode(&skip); err != nil {
				return syntaxError(err)
			}
		}
	}
	return &Error{Field: "features", Reason: "the FeatureCollection has no \"features\" array"}
}

func (l *geoJSONLayer) Next() (LayerFeature, error) {
	if l.err != nil {
		return LayerFeature{}, l.err
	}
	if l.done {
		return LayerFeature{}, io.EOF
	}
	if !l.started {
		if err := l.seekFeatures(); err != nil {
			return l.fail(err)
		}
	}
	if !l.dec.More() {
		l.done = true
		return LayerFeature{}, io.EOF
	}
	l.index++
	var raw json.RawMessage
	if err := l.dec.Decode(&raw); err != nil {
		// Past a syntax error the decoder cannot find the next feature, so
		// this ends the file rather than skipping one feature.
		return l.fail(&Error{Reason: fmt.Sprintf("feature %d: not valid GeoJSON: %v", l.index, err)})
	}
	f, err := geojson.UnmarshalFeature(raw)
	if err != nil {
		return LayerFeature{Index: l.index}, &FeatureError{Index: l.index, Err: invalidJSON(err)}
	}
	lf := LayerFeature{Index: l.index, Properties: f.Properties}
	if lf.Properties == nil {
		lf.Properties = map[string]any{}
	}
	lf.ID = featureID(f.ID, lf.Properties, l.index)
	lf.Name, _ = lf.Properties["name"].(string)
	var mp orb.MultiPolygon
	switch g := f.Geometry.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	case nil:
		return lf, &FeatureError{Index: l.index, ID: lf.ID, Err: &Error{Reason: "the feature has no geometry"}}
	default:
		return lf, &FeatureError{Index: l.index, ID: lf.ID, Err: &Error{Reason: fmt.Sprintf("geometry type %s: a check layer holds Polygon or MultiPolygon features", g.GeoJSONType())}}
	}
	if len(mp) == 0 || len(mp[0]) == 0 || len(mp[0][0]) == 0 {
		return lf, &FeatureError{Index: l.index, ID: lf.ID, Err: &Error{Reason: "the geometry has no coordinates"}}
	}
	if l.srid == 0 {
		srid, err := detectSRID(mp[0][0][0])
		if err != nil {
			return l.fail(err)
		}
		l.srid = srid
	}
	mp = toLonLat(l.srid, mp)
	if err := ValidateLonLat(mp, ZoneOf(mp)); err != nil {
		return lf, &FeatureError{Index: l.index, ID: lf.ID, Err: err}
	}
	lf.Geometry = mp
	return lf, nil
}

// featureID prefers the GeoJSON id, then properties "id", "fid", "code".
func featureID(id any, props map[string]any, index int) string {
	for _, v := range []any{id, props["id"], props["fid"], props["code"]} {
		switch v := v.(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return fmt.Sprintf("feature-%d", index)
}

// txtLayer serves the blocks of a 国土 TXT file as features.
type txtLayer struct {
	txt   *TXT
	zone  int
	srid  int
	index int
}

func newTXTLayer(r io.Reader, srid int) (*txtLayer, error) {
	t, err := ParseTXT(r)
	if err != nil {
		return nil, err
	}
	l := &txtLayer{txt: t}
	switch {
	case srid >= sridZonedFirst && srid <= sridZonedLast:
		l.zone = srid - sridZoneOffset
	case srid == 0:
		if l.zone, err = t.Zone(); err != nil {
			return nil, err
		}
	default:
		return nil, &Error{Field: "srid", Reason: fmt.Sprintf("a 国土 TXT file holds zone-prefixed Gauss-Krüger coordinates, not SRID %d", srid)}
	}
	l.srid = SRIDOfZone(l.zone)
	return l, nil
}

func (l *txtLayer) SRID() int      { return l.srid }
func (l *txtLayer) Format() string { return "txt" }

func (l *txtLayer) Next() (LayerFeature, error) {
	if l.index >= len(l.txt.Blocks) {
		return LayerFeature{}, io.EOF
	}
	b := l.txt.Blocks[l.index]
	l.index++
	h := b.Header
	lf := LayerFeature{Index: l.index, ID: strings.TrimSpace(h.Code), Name: strings.TrimSpace(h.Name),
		Properties: map[string]any{"area_ha": h.AreaHa, "use": h.Use, "sheet": h.Sheet}}
	if lf.ID == "" {
		lf.ID = fmt.Sprintf("block-%d", l.index)
	}
	if lf.Name != "" {
		lf.Properties["name"] = lf.Name
	}
	p, err := b.LonLat(l.zone)
	if err != nil {
		return lf, &FeatureError{Index: l.index, ID: lf.ID, Err: err}
	}
	lf.Geometry = orb.MultiPolygon{p}
	return lf, nil
}
