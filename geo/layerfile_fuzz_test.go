package geo_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"minerights/geo"
)

// FuzzLayerReader: a layer file of any bytes never panics and never loops;
// every feature it yields has a valid id and a polygonal geometry.
func FuzzLayerReader(f *testing.F) {
	for _, name := range []string{"testdata/liuzhuang.txt", "testdata/liuzhuang-gbk.txt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, 0)
	}
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[113.9,32.6],[113.91,32.6],[113.91,32.61],[113.9,32.6]]]}}]}`), 4490)
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}},"features":[]}`), 0)
	f.Add([]byte("\xef\xbb\xbf{\"type\":\"FeatureCollection\",\"features\":[{}]}"), 4326)
	f.Fuzz(func(t *testing.T, b []byte, srid int) {
		r, err := geo.NewLayerReader(bytes.NewReader(b), srid)
		if err != nil {
			return
		}
		for i := 0; i < 100000; i++ {
			feat, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var fe *geo.FeatureError
				if !errors.As(err, &fe) {
					return // a structural error ends the file, as the importer stops on it
				}
				continue // one bad feature: the importer records it and reads on
			}
			if feat.ID == "" || len(feat.Geometry) == 0 || feat.Properties == nil {
				t.Fatalf("feature %d yielded without id, geometry or properties: %+v", i, feat)
			}
		}
		t.Fatal("the reader did not end")
	})
}
