package pages

// The parcel on the sale's page: its corner table and its outline as SVG,
// drawn from the corner points, with no script and no map service.

import (
	"fmt"
	"strconv"
	"strings"

	"minerights/geo"
)

type cornerRow struct {
	Ring  int
	Label string
	X, Y  string
}

// parcelMap is the parcel's outline as SVG, drawn from its corner points
// (easting right, northing up) in metres from the map's corner, so that the
// browser's single-precision SVG keeps them exact, with a scale bar.
type parcelMap struct {
	ViewBox string
	Paths   []string
	Labels  []mapLabel
	ScaleX  string
	ScaleY  string
	ScaleW  string
	ScaleM  int
	Font    string
	Dot     string
}

type mapLabel struct{ X, Y, Text string }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func corners(txt *geo.TXT) ([]cornerRow, *parcelMap) {
	var rows []cornerRow
	minE, minN, maxE, maxN := 1e18, 1e18, -1e18, -1e18
	for _, b := range txt.Blocks {
		for _, rg := range b.Rings {
			for _, c := range rg.Corners {
				rows = append(rows, cornerRow{Ring: rg.No, Label: c.Label, X: strconv.FormatFloat(c.X, 'f', 2, 64), Y: strconv.FormatFloat(c.Y, 'f', 2, 64)})
				minE, maxE = min(minE, c.Y), max(maxE, c.Y)
				minN, maxN = min(minN, c.X), max(maxN, c.X)
			}
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	w, h := maxE-minE, maxN-minN
	pad := max(w, h) * 0.12
	font := max(w, h) / 28
	// x, y are SVG coordinates of a corner: metres east of the left edge and
	// south of the top edge.
	x := func(c geo.Corner) float64 { return c.Y - minE + pad }
	y := func(c geo.Corner) float64 { return maxN - c.X + pad }
	m := &parcelMap{ViewBox: "0 0 " + f1(w+2*pad) + " " + f1(h+2*pad), Font: f1(font), Dot: f1(max(w, h) / 90)}
	for _, b := range txt.Blocks {
		for _, rg := range b.Rings {
			var path strings.Builder
			for i, c := range rg.Corners {
				cmd := "L"
				if i == 0 {
					cmd = "M"
				}
				fmt.Fprintf(&path, "%s%s %s ", cmd, f1(x(c)), f1(y(c)))
				if i < len(rg.Corners)-1 || c.Label != rg.Corners[0].Label {
					m.Labels = append(m.Labels, mapLabel{X: f1(x(c)), Y: f1(y(c)), Text: c.Label})
				}
			}
			path.WriteString("Z")
			m.Paths = append(m.Paths, path.String())
		}
	}
	// A scale bar of a round length near a quarter of the width, bottom left.
	m.ScaleM = 10
	for _, s := range []int{20, 50, 100, 200, 500, 1000, 2000, 5000, 10000} {
		if float64(s) <= w/4 {
			m.ScaleM = s
		}
	}
	m.ScaleW, m.ScaleX, m.ScaleY = strconv.Itoa(m.ScaleM), f1(pad/2), f1(h+2*pad-pad/2)
	return rows, m
}
