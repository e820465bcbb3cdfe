package geo

import (
	"bytes"
	"testing"

	"github.com/paulmach/orb/geojson"
)

func FuzzParseTXT(f *testing.F) {
	for _, name := range []string{"liuzhuang.txt", "liuzhuang-gbk.txt"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(txtHead + square))
	f.Fuzz(func(t *testing.T, data []byte) {
		txt, err := ParseTXT(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever parses must survive the rest of the pipeline without
		// panicking, and encode to something that parses back the same.
		if zone, err := txt.Zone(); err == nil {
			txt.LonLat()
			for _, b := range txt.Blocks {
				ValidateProjected(zone, b)
			}
		}
		var buf bytes.Buffer
		if err := txt.Encode(&buf); err != nil {
			t.Fatalf("Encode of a parsed file failed: %v", err)
		}
		again, err := ParseTXT(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("ParseTXT(Encode(t)): %v\n%q", err, buf.Bytes())
		}
		if !again.Equal(txt) {
			t.Fatalf("round trip changed the data:\n%q", buf.Bytes())
		}
	})
}

func FuzzParseGeoJSON(f *testing.F) {
	f.Add([]byte(polyJSON))
	f.Add([]byte(`{"type":"Feature","properties":{},"geometry":` + polyJSON + `}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":null,"geometry":{"type":"MultiPolygon","coordinates":[[[[113.3,32.7],[113.31,32.7],[113.31,32.71],[113.3,32.7]]]]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		mp, err := ParseGeoJSON(data)
		if err != nil {
			return
		}
		out, err := geojson.NewGeometry(mp).MarshalJSON()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := ParseGeoJSON(out)
		if err != nil {
			t.Fatalf("ParseGeoJSON(marshal(mp)): %v\n%s", err, out)
		}
		if !again.Equal(mp) {
			t.Fatalf("round trip changed %v to %v", mp, again)
		}
	})
}
