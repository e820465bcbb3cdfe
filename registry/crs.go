package registry

import (
	"regexp"
	"strings"
)

// CRS is a coordinate reference system the map layers can read and write.
type CRS struct {
	// URI is the OGC identifier, e.g. http://www.opengis.net/def/crs/EPSG/0/4490.
	URI string
	// SRID is the PostGIS spatial reference the coordinates are in.
	SRID int
	// Flip is true when the authority's axis order is not x/y as PostGIS
	// stores it: EPSG:4490 and EPSG:4326 are latitude first and EPSG:4526 is
	// northing first, so OGC API - Features Part 2 reads and writes them
	// swapped.
	Flip bool
	// Decimals is the coordinate precision written out: 9 for degrees
	// (sub-millimetre), 3 for metres.
	Decimals int
}

// The CRSs the map layers serve. Stored geometry is CGCS2000 lon/lat (SRID
// 4490). CRS84 is written from it unchanged: the EPSG transformation
// CGCS2000 → WGS 84 is the null transformation (PROJ applies none), so the
// numbers are those PostGIS would produce, minus a needless ST_Transform.
var (
	CRS84    = CRS{URI: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", SRID: 4490, Decimals: 9}
	EPSG4490 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4490", SRID: 4490, Flip: true, Decimals: 9}
	EPSG4326 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4326", SRID: 4490, Flip: true, Decimals: 9}
	EPSG4526 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4526", SRID: 4526, Flip: true, Decimals: 3}
)

// SupportedCRS lists the CRSs in the order collections advertise them.
var SupportedCRS = []CRS{CRS84, EPSG4490, EPSG4526, EPSG4326}

// StorageCRS is the CRS the geometry is stored in.
var StorageCRS = EPSG4490

var epsgCode = regexp.MustCompile(`^(?:\[?EPSG:(\d+)\]?|https?://www\.opengis\.net/def/crs/EPSG/0/(\d+))$`)

// ParseCRS resolves a CRS URI (or its EPSG:NNNN short form); ok is false for
// a CRS the map layers do not serve.
func ParseCRS(s string) (CRS, bool) {
	s = strings.TrimSpace(s)
	switch s {
	case CRS84.URI, "https://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84", "[OGC:CRS84]", "OGC:CRS84":
		return CRS84, true
	}
	if m := epsgCode.FindStringSubmatch(s); m != nil {
		code := m[1] + m[2]
		for _, c := range SupportedCRS {
			if strings.HasSuffix(c.URI, "/EPSG/0/"+code) {
				return c, true
			}
		}
	}
	return CRS{}, false
}
