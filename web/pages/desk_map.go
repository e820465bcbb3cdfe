package pages

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"minerights/geo"
)

// The desk's map of a parcel: the planner's MapLibre map (web/static,
// offline, a base map only when the server is configured with one) drawing
// the parcel, its corner numbers and the overlaps of its latest compliance
// report, each labelled with its area, with a legend. The page gives the
// map its data as a JSON block (desk-map.js draws it); the same figures
// are in the page's tables, so nothing depends on WebGL being there.

// deskMap is what desk-map.js draws.
type deskMap struct {
	// Parcel is a GeoJSON FeatureCollection in longitude, latitude: the
	// parcel's polygons and its corners (points labelled with 点号).
	Parcel featureCollection `json:"parcel"`
	// Overlaps is a FeatureCollection of the report's overlaps (their
	// properties: label, severity, area_m2).
	Overlaps featureCollection `json:"overlaps"`
	// Legend is the legend's entries, in the order drawn.
	Legend []legendEntry `json:"legend"`
}

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Type       string         `json:"type"`
	Geometry   any            `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type geometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

// legendEntry is one line of the map's legend.
type legendEntry struct {
	Key    string `json:"key"`
	Colour string `json:"colour"`
	Text   string `json:"text"`
}

// overlapRow is one overlap in the table under the map.
type overlapRow struct {
	No       int
	Title    string
	Name     string
	AreaM2   string
	Severity string
}

// The legend's colours: distinct from one another and from the planner
// map's (parcel blue, overlaps red when they fail, amber when they warn).
const (
	colourParcel   = "#1f5fbf"
	colourOverlapF = "#c0162b"
	colourOverlapW = "#d98200"
)

// mapOfTXT turns the corners of a parcel into the map's parcel features:
// the rings as polygons (the first ring of a block its outline, the others
// its holes) and the corners as labelled points, in longitude, latitude.
func mapOfTXT(txt *geo.TXT) *deskMap {
	if txt == nil {
		return nil
	}
	zone := 0
	if z, err := strconv.Atoi(attr(txt, "带号")); err == nil && z > 0 {
		zone = z
	}
	m := &deskMap{Parcel: featureCollection{Type: "FeatureCollection", Features: []feature{}},
		Overlaps: featureCollection{Type: "FeatureCollection", Features: []feature{}}}
	for bi, b := range txt.Blocks {
		var poly [][][2]float64
		for _, rg := range b.Rings {
			var ring [][2]float64
			for i, c := range rg.Corners {
				z := zone
				if z == 0 {
					z, _ = geo.ZoneOfEasting(c.Y)
				}
				if z == 0 {
					return nil
				}
				ll := geo.Inverse(z, [2]float64{c.Y, c.X})
				ring = append(ring, [2]float64{round7(ll[0]), round7(ll[1])})
				if i == len(rg.Corners)-1 && len(rg.Corners) > 1 && c.X == rg.Corners[0].X && c.Y == rg.Corners[0].Y {
					continue // the closing corner repeats the first: one label
				}
				m.Parcel.Features = append(m.Parcel.Features, feature{Type: "Feature",
					Geometry:   geometry{Type: "Point", Coordinates: [2]float64{round7(ll[0]), round7(ll[1])}},
					Properties: map[string]any{"kind": "corner", "label": c.Label}})
			}
			if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
				ring = append(ring, ring[0])
			}
			poly = append(poly, ring)
		}
		m.Parcel.Features = append([]feature{{Type: "Feature", Geometry: geometry{Type: "Polygon", Coordinates: poly},
			Properties: map[string]any{"kind": "parcel", "block": bi + 1}}}, m.Parcel.Features...)
	}
	m.Legend = []legendEntry{{Key: "parcel", Colour: colourParcel, Text: "矿区范围（数字为拐点号）"}}
	return m
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

// overlaps reads the shapes of the latest report's overlaps from the API
// and adds them to the map, each labelled with its area; it returns the
// rows of the table under the map.
func (p *pages) overlaps(r *http.Request, v view, id int64, m *deskMap) []overlapRow {
	var fc struct {
		Features []struct {
			Geometry   json.RawMessage `json:"geometry"`
			Properties struct {
				Title     string  `json:"title"`
				Name      string  `json:"name"`
				FID       string  `json:"fid"`
				Source    string  `json:"source"`
				OverlapM2 float64 `json:"overlap_m2"`
				Severity  string  `json:"severity"`
			} `json:"properties"`
		} `json:"features"`
	}
	if code, _ := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d/compliance/overlaps", id), &fc); code != http.StatusOK {
		return nil
	}
	var rows []overlapRow
	seen := map[string]bool{}
	for i, f := range fc.Features {
		pr := f.Properties
		title := pr.Title
		if pr.Source == "parcel" {
			title = "已登记地块"
		}
		area := groupDigits(int64(math.Round(pr.OverlapM2)))
		name := or(pr.Name, pr.FID)
		rows = append(rows, overlapRow{No: i + 1, Title: title, Name: name, AreaM2: area, Severity: pr.Severity})
		if m == nil {
			continue
		}
		m.Overlaps.Features = append(m.Overlaps.Features, feature{Type: "Feature", Geometry: f.Geometry,
			Properties: map[string]any{"no": i + 1, "severity": pr.Severity,
				"label": fmt.Sprintf("%d. 与%s“%s”重叠 %s 平方米", i+1, title, name, area)}})
		if !seen[pr.Severity] {
			seen[pr.Severity] = true
			colour, text := colourOverlapF, "重叠（不通过）"
			if pr.Severity != "fail" {
				colour, text = colourOverlapW, "重叠（需复核）"
			}
			m.Legend = append(m.Legend, legendEntry{Key: "overlap-" + pr.Severity, Colour: colour, Text: text})
		}
	}
	return rows
}
