package registry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"minerights/internal/cql2"
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

// Queryable types, as JSON Schema names them.
const (
	TypeString    = "string"
	TypeInteger   = "integer"
	TypeNumber    = "number"
	TypeBoolean   = "boolean"
	TypeTimestamp = "timestamp"
)

// Queryable is a property of a collection's features that filters may name
// and that items carry.
type Queryable struct {
	Name  string
	Title string
	Type  string
	expr  string // SQL over the collection's FROM
}

// Collection is one map layer: the parcels, the counties, a check layer, or
// the public sale results.
type Collection struct {
	ID          string
	Title       string
	Description string
	// Kind is parcels, counties, sales, or the check layer's kind (redline,
	// farmland, ...).
	Kind string
	// Version is the check layer's current version; 0 for registry tables.
	Version int
	// Features is the check layer's feature count; 0 for registry tables.
	Features int
	// Extent is the bounding box of the features in CRS84; empty when the
	// collection has none.
	Extent     orb.Bound
	Queryables []Queryable
	// GeometryType is the GeoJSON type of every feature's geometry.
	GeometryType string

	src source
}

// source is how a collection reads from the database. Every fragment is
// text written in this file; user input only ever reaches the query as a
// parameter.
type source struct {
	from     string // FROM clause; $1 is args[0] when args is not empty
	args     []any
	where    string // always-true condition for the collection's rows
	geom     string // geometry in SRID 4490
	geom3857 string // geometry in Web Mercator (a stored column when there is one)
	size3857 string // larger side of the bounding box in Web Mercator metres, or ""
	id       string // unique key; the items are ordered by it (a total order)
	idType   string // TypeInteger or TypeString
	extra    string // jsonb of further properties merged under the queryables, or ""
	tile     []string
	layerID  int64 // the check layer version, 0 for registry tables
	overview bool  // the layer version has a built overview
}

// Queryable returns the named queryable.
func (c Collection) Queryable(name string) (Queryable, bool) {
	for _, q := range c.Queryables {
		if q.Name == name {
			return q, true
		}
	}
	return Queryable{}, false
}

// TileProperties lists the properties vector tiles carry.
func (c Collection) TileProperties() []string { return c.src.tile }

func q(name, typ, expr, title string) Queryable {
	return Queryable{Name: name, Type: typ, expr: expr, Title: title}
}

// catalogProbe says which optional tables exist: the check layers and
// compliance reports come with the compliance schema, sale_public with the
// transfer schema.
type catalogProbe struct {
	layers, reports, sales, stored3857 bool
	saleCols                           map[string]string
}

func probeCatalog(ctx context.Context, tx pgx.Tx) (catalogProbe, error) {
	var p catalogProbe
	err := tx.QueryRow(ctx, `SELECT to_regclass('layer_feature') IS NOT NULL AND to_regclass('layer') IS NOT NULL,
		to_regclass('compliance_report') IS NOT NULL, to_regclass('sale_public') IS NOT NULL,
		EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('layer_feature') AND attname = 'geom_3857' AND NOT attisdropped)`).
		Scan(&p.layers, &p.reports, &p.sales, &p.stored3857)
	if err != nil || !p.sales {
		return p, err
	}
	rows, err := tx.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = to_regclass('sale_public') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`)
	if err != nil {
		return p, err
	}
	p.saleCols = map[string]string{}
	var name, typ string
	_, err = pgx.ForEachRow(rows, []any{&name, &typ}, func() error { p.saleCols[name] = typ; return nil })
	return p, err
}

// jsonType maps a PostgreSQL column type to a queryable type.
func jsonType(pg string) string {
	switch {
	case pg == "bigint" || pg == "integer" || pg == "smallint":
		return TypeInteger
	case pg == "numeric" || strings.HasPrefix(pg, "numeric(") || pg == "double precision" || pg == "real":
		return TypeNumber
	case pg == "boolean":
		return TypeBoolean
	case strings.HasPrefix(pg, "timestamp"):
		return TypeTimestamp
	case pg == "text" || strings.HasPrefix(pg, "character"):
		return TypeString
	}
	return ""
}

var plainName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func parcelCollection(p catalogProbe) Collection {
	from := `parcel p JOIN county c ON c.code = p.county_code`
	qs := []Queryable{
		q("id", TypeInteger, "p.id", "Registry id"),
		q("gazette_no", TypeInteger, "p.gazette_no", "Number in the gazette (公告序号)"),
		q("name", TypeString, "p.name", "Parcel name (矿区名称)"),
		q("county_code", TypeString, "p.county_code", "County code"),
		q("county", TypeString, "c.name", "County (县)"),
		q("mineral", TypeString, "p.mineral", "Mineral (矿种)"),
		q("basis", TypeString, "p.basis", "Geological basis: explored or reconnaissance"),
		q("status", TypeString, "p.status", "Registry status: registered, announced, in_sale, sold, failed, withdrawn"),
		q("stated_area_km2", TypeNumber, "p.stated_area_km2", "Area as the gazette states it, km²"),
		q("computed_area_km2", TypeNumber, "round((ST_Area(ST_Transform(p.geom, cgcs2000_zone_srid(p.geom))) / 1e6)::numeric, 4)", "Area of the geometry in its own CGCS2000 3° zone (EPSG:4526 for zone 38), km²"),
		q("elevation_top_m", TypeNumber, "p.elevation_top_m", "Upper mining elevation, m"),
		q("elevation_bottom_m", TypeNumber, "p.elevation_bottom_m", "Lower mining elevation, m"),
		q("mining_method", TypeString, "p.mining_method", "Mining method (开采方式)"),
		q("service_life_years", TypeNumber, "p.service_life_years", "Service life, years"),
		q("starting_price_yuan", TypeInteger, "p.starting_price_yuan", "Starting price, 元"),
		q("geometry_source", TypeString, "p.geometry_source", "generated (a stand-in) or surveyed"),
		q("updated_at", TypeTimestamp, "p.updated_at", "Last change"),
	}
	tile := []string{"id", "gazette_no", "name", "county", "mineral", "status"}
	if p.reports {
		from += ` LEFT JOIN LATERAL (SELECT r.verdict, r.created_at FROM compliance_report r
			WHERE r.parcel_id = p.id ORDER BY r.created_at DESC, r.id DESC LIMIT 1) cr ON true`
		// The map layers are public; like the report itself, the verdict of
		// a parcel is public once the parcel is announced (and stays so
		// when it is withdrawn after its announcement, not before).
		public := verdictPublicSQL(p.sales)
		qs = append(qs, q("verdict", TypeString, "CASE WHEN "+public+" THEN cr.verdict END",
			"Latest compliance verdict (pass, warn or fail), public once the parcel is announced"),
			q("verdict_at", TypeTimestamp, "CASE WHEN "+public+" THEN cr.created_at END", "When the latest compliance report was made"))
		tile = append(tile, "verdict")
	}
	if p.sales && p.saleCols["parcel_id"] != "" && p.saleCols["state"] != "" {
		order := "s.state"
		for _, c := range []string{"sale_id", "id", "announced_at"} {
			if p.saleCols[c] != "" {
				order = "s." + c + " DESC"
				break
			}
		}
		// The latest sale of each parcel as a join, not a lateral subquery:
		// on Citus sales are distributed and parcels a reference table, and
		// a lateral outer join from a reference table into a distributed
		// table cannot be planned.
		from += ` LEFT JOIN (SELECT DISTINCT ON (s.parcel_id) s.* FROM sale_public s ORDER BY s.parcel_id, ` + order + `) sp ON sp.parcel_id = p.id`
		qs = append(qs, q("sale_state", TypeString, "sp.state", "State of the latest sale"))
		for _, c := range []struct{ col, name, title string }{
			{"closes_at", "sale_closes_at", "When the latest sale's bidding closes"},
			{"price_yuan", "sale_price_yuan", "Final price of the latest sale, 元 (only after it closes)"},
		} {
			if t := jsonType(p.saleCols[c.col]); t != "" {
				qs = append(qs, q(c.name, t, "sp."+c.col, c.title))
			}
		}
		tile = append(tile, "sale_state")
	}
	return Collection{
		ID:    "parcels",
		Title: "Mining parcels (采矿权出让地块)",
		Description: "Parcels of the registry with their status, the latest compliance verdict and the sale state. " +
			"Generated parcels are stand-ins, not survey data (geometry_source).",
		Kind: "parcels", Queryables: qs, GeometryType: "MultiPolygon",
		src: source{from: from, geom: "p.geom", geom3857: "ST_Transform(p.geom, 3857)", id: "p.id", idType: TypeInteger, tile: tile},
	}
}

func countyCollection() Collection {
	return Collection{
		ID: "counties", Title: "Counties (县区)", Kind: "counties", GeometryType: "MultiPolygon",
		Description: "County boundaries of Zhumadian (coarse, ~100 m).",
		Queryables: []Queryable{
			q("code", TypeString, "t.code", "Administrative division code"),
			q("name", TypeString, "t.name", "County name"),
			q("source", TypeString, "t.source", "Where the boundary comes from"),
		},
		src: source{from: "county t", geom: "t.geom", geom3857: "ST_Transform(t.geom, 3857)", id: "t.code", idType: TypeString,
			tile: []string{"code", "name"}},
	}
}

func layerCollection(p catalogProbe, id int64, name, title, kind string, version, features int, overview bool) Collection {
	src := source{layerID: id, overview: overview,
		from: "layer_feature f JOIN layer l ON l.id = f.layer_id", args: []any{name}, where: "l.name = $1 AND l.current",
		geom: "f.geom", geom3857: "ST_Transform(f.geom, 3857)", id: "f.fid", idType: TypeString,
		// The layer's own attributes, less the names GIS formats keep for
		// their feature ids (GeoPackage and Shapefile fid, OGR's ogc_fid):
		// a text "fid" makes GDAL drop the field and QGIS write no features.
		extra: "(f.properties - 'fid' - 'FID' - 'ogc_fid' - 'OGC_FID')", tile: []string{"feature_id", "name"},
	}
	if p.stored3857 {
		src.geom3857, src.size3857 = "f.geom_3857", "f.size_3857"
	}
	return Collection{
		ID: name, Title: title, Kind: kind, Version: version, Features: features, GeometryType: "MultiPolygon",
		Description: fmt.Sprintf("Check layer %s (kind %s), current version %d.", name, kind, version),
		Queryables: []Queryable{
			// The feature's id within the layer is also its OGC id; as a
			// property it is feature_id, a name no GIS format reserves.
			q("feature_id", TypeString, "f.fid", "Feature id within the layer (the feature's id)"),
			q("name", TypeString, "f.name", "Feature name"),
			q("layer", TypeString, "l.name", "Layer name"),
			q("kind", TypeString, "l.kind", "Layer kind"),
			q("layer_version", TypeInteger, "l.version", "Layer version"),
			q("elevation_top_m", TypeNumber, "f.elevation_top_m", "Upper elevation, m"),
			q("elevation_bottom_m", TypeNumber, "f.elevation_bottom_m", "Lower elevation, m"),
		},
		src: src,
	}
}

func salesCollection(p catalogProbe) (Collection, bool) {
	if !p.sales || p.saleCols["parcel_id"] == "" {
		return Collection{}, false
	}
	id := "s.parcel_id"
	for _, c := range []string{"sale_id", "id"} {
		if p.saleCols[c] != "" {
			id = "s." + c
			break
		}
	}
	var qs []Queryable
	for col, typ := range p.saleCols {
		t := jsonType(typ)
		// Only plain scalar columns become queryables; the view decides what
		// is public, this code adds nothing to it.
		if t == "" || !plainName.MatchString(col) {
			continue
		}
		qs = append(qs, q(col, t, "s."+pgx.Identifier{col}.Sanitize(), ""))
	}
	sortQueryables(qs)
	return Collection{
		ID: "sales", Title: "Sales (出让)", Kind: "sales", GeometryType: "MultiPolygon",
		Description: "Public sale records with the parcel's geometry; prices and winners appear only once a sale closes.",
		Queryables:  qs,
		src: source{from: "sale_public s JOIN parcel p ON p.id = s.parcel_id", geom: "p.geom",
			geom3857: "ST_Transform(p.geom, 3857)", id: id, idType: jsonType(p.saleCols[strings.TrimPrefix(id, "s.")]),
			tile: []string{strings.TrimPrefix(id, "s."), "parcel_id", "state"}},
	}, true
}

func sortQueryables(qs []Queryable) {
	for i := 1; i < len(qs); i++ {
		for j := i; j > 0 && qs[j].Name < qs[j-1].Name; j-- {
			qs[j], qs[j-1] = qs[j-1], qs[j]
		}
	}
}

// MapCollections lists the collections the map layers serve: parcels,
// counties, every current check layer, and the public sale records, each
// with its extent in CRS84.
func (s *Store) MapCollections(ctx context.Context) ([]Collection, error) {
	var out []Collection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		p, err := probeCatalog(ctx, tx)
		if err != nil {
			return err
		}
		out = append(out, parcelCollection(p), countyCollection())
		if p.layers {
			rows, err := tx.Query(ctx, `SELECT l.id, l.name, COALESCE(NULLIF(l.title, ''), l.name), l.kind, l.version, l.feature_count,
					EXISTS (SELECT 1 FROM map_overview_built b WHERE b.layer_id = l.id)
				FROM layer l WHERE l.current AND l.name <> 'counties' ORDER BY l.name`)
			if err != nil {
				return err
			}
			var id int64
			var name, title, kind string
			var version, features int
			var overview bool
			_, err = pgx.ForEachRow(rows, []any{&id, &name, &title, &kind, &version, &features, &overview}, func() error {
				if plainName.MatchString(name) {
					out = append(out, layerCollection(p, id, name, title, kind, version, features, overview))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if c, ok := salesCollection(p); ok {
			out = append(out, c)
		}
		for i := range out {
			src := out[i].src
			where := ""
			if src.where != "" {
				where = " WHERE " + src.where
			}
			var minx, miny, maxx, maxy *float64
			err := tx.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(`+src.geom+`) AS e FROM `+src.from+where+`) x`, src.args...).
				Scan(&minx, &miny, &maxx, &maxy)
			if err != nil {
				return fmt.Errorf("extent of %s: %w", out[i].ID, err)
			}
			if minx != nil {
				out[i].Extent = orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: map collections: %w", err)
	}
	return out, nil
}

// ItemsQuery selects a page of a collection's features.
type ItemsQuery struct {
	// BBox, when set, keeps the features that intersect it; its corners are
	// in BBoxCRS, axes in that CRS's order.
	BBox    []float64
	BBoxCRS CRS
	// Filter, when set, is a parsed CQL2 filter; its geometry literals are
	// in FilterCRS.
	Filter    cql2.Expr
	FilterCRS CRS
	// CRS is the CRS of the geometry written out.
	CRS CRS
	// Properties, when not nil, lists the properties to write out.
	Properties []string
	// ID, when not empty, selects the one feature with that id.
	ID     string
	Limit  int
	Offset int
}

// ItemsPage is one page of GeoJSON features, each a complete Feature
// object, and the number of features that match the query.
type ItemsPage struct {
	Features      [][]byte
	NumberMatched int
}

// Items returns a page of the collection's features as GeoJSON, ordered by
// the collection's unique id so that paging with offset neither skips nor
// repeats a feature. Bad input (an unknown property, a filter that does not
// fit the queryables, an invalid geometry literal) is a *ValidationError
// naming the query parameter.
func (s *Store) Items(ctx context.Context, c Collection, iq ItemsQuery) (ItemsPage, error) {
	var page ItemsPage
	n, err := s.EachItem(ctx, c, iq, func(f []byte) error {
		page.Features = append(page.Features, append([]byte(nil), f...))
		return nil
	})
	page.NumberMatched = n
	return page, err
}

// EachItem is Items without holding the page: it calls fn with each
// feature, in order, as it arrives from the database (f is valid only
// during the call), and returns the number of features that match. A page
// of 10,000 features thus costs one feature's memory, not the page's.
// An error from fn stops the query and is returned as is.
func (s *Store) EachItem(ctx context.Context, c Collection, iq ItemsQuery, fn func(f []byte) error) (numberMatched int, err error) {
	var page struct{ NumberMatched, returned int }
	b := &sqlBuilder{args: append([]any(nil), c.src.args...), c: c, crs: iq.FilterCRS}
	if b.crs.URI == "" {
		b.crs = CRS84
	}
	var where []string
	if c.src.where != "" {
		where = append(where, c.src.where)
	}
	if iq.ID != "" {
		switch c.src.idType {
		case TypeInteger:
			where = append(where, c.src.id+" = "+b.param(iq.ID, "numeric"))
		default:
			where = append(where, c.src.id+"::text = "+b.param(iq.ID, "text"))
		}
	}
	if iq.BBox != nil {
		env, err := b.envelope(iq.BBox, iq.BBoxCRS)
		if err != nil {
			return 0, err
		}
		where = append(where, "ST_Intersects("+c.src.geom+", "+env+")")
	}
	var literals []geomLiteral
	if iq.Filter != nil {
		cond, err := b.expr(iq.Filter)
		if err != nil {
			return 0, &ValidationError{Field: "filter", Reason: err.Error()}
		}
		where = append(where, cond)
		literals = b.geoms
	}
	props, err := c.featureProps(iq.Properties)
	if err != nil {
		return 0, err
	}
	outCRS := iq.CRS
	if outCRS.URI == "" {
		outCRS = CRS84
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := iq.Limit
	if limit <= 0 {
		limit = 10
	}
	// The page is chosen first, by key alone, and only its rows are turned
	// into GeoJSON: the count and the order never pay for encoding
	// features that fall outside the page.
	args := append(b.args, limit, iq.Offset)
	query := `WITH page AS MATERIALIZED (SELECT ` + c.src.id + ` AS k, count(*) OVER () AS n FROM ` + c.src.from + cond +
		fmt.Sprintf(` ORDER BY 1 LIMIT $%d OFFSET $%d)`, len(args)-1, len(args)) +
		` SELECT page.n, '{"type":"Feature","id":' || to_json(` + c.src.id + `)::text || ',"geometry":' || COALESCE(` + geoJSON(c.src.geom, outCRS) + `, 'null')` +
		` || ',"properties":' || (` + props + `)::text || '}' FROM page JOIN ` + c.src.from + ` ON ` + c.src.id + ` = page.k` +
		andWhere(c.src.where) + ` ORDER BY page.k`
	// Single statements on the pool, no transaction: an items page is one
	// round trip unless the filter has geometry literals to check first.
	// Items are public reads and may come from the replica; tiles and the
	// collection list, which are cached until a change notification, come
	// from the primary, so nothing older than the notification is cached.
	db := s.reader(ctx)
	err = func() error {
		if err := checkLiterals(ctx, db, literals); err != nil {
			return err
		}
		rows, err := db.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var n int
		var f []byte
		for rows.Next() {
			if err := rows.Scan(&n, &f); err != nil {
				return err
			}
			page.NumberMatched = n
			page.returned++
			if err := fn(f); err != nil {
				return callbackError{err}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if page.returned == 0 && iq.Offset > 0 {
			return db.QueryRow(ctx, `SELECT count(*) FROM `+c.src.from+cond, b.args...).Scan(&page.NumberMatched)
		}
		return nil
	}()
	var ce callbackError
	if errors.As(err, &ce) {
		return page.NumberMatched, ce.err
	}
	err = mapErr(err)
	if err != nil {
		return 0, fmt.Errorf("registry: items of %s: %w", c.ID, err)
	}
	if iq.ID != "" && page.returned == 0 {
		return 0, fmt.Errorf("registry: feature %s of %s: %w", iq.ID, c.ID, ErrNotFound)
	}
	return page.NumberMatched, nil
}

// callbackError carries an error of EachItem's fn past mapErr unchanged.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

func andWhere(w string) string {
	if w == "" {
		return ""
	}
	return " AND " + w
}

// geoJSON is the SQL that writes geom (SRID 4490) as GeoJSON in crs.
func geoJSON(geom string, crs CRS) string {
	g := geom
	if crs.SRID != 4490 {
		g = fmt.Sprintf("ST_Transform(%s, %d)", g, crs.SRID)
	}
	if crs.Flip {
		g = "ST_FlipCoordinates(" + g + ")"
	}
	// Options 0: no bbox and no "crs" member, which RFC 7946 removed.
	return fmt.Sprintf("ST_AsGeoJSON(%s, %d, 0)", g, crs.Decimals)
}

// featureProps is the SQL json(b) object of the properties to write out.
func (c Collection) featureProps(names []string) (string, error) {
	var sel []Queryable
	if names == nil {
		sel = c.Queryables
	} else {
		for _, n := range names {
			qq, ok := c.Queryable(n)
			if !ok {
				return "", &ValidationError{Field: "properties", Reason: fmt.Sprintf("collection %s has no property %q; it has %s", c.ID, n, c.propertyNames())}
			}
			sel = append(sel, qq)
		}
	}
	var kv []string
	for _, qq := range sel {
		if !plainName.MatchString(qq.Name) {
			continue
		}
		kv = append(kv, "'"+qq.Name+"', "+qq.expr)
	}
	obj := "json_build_object(" + strings.Join(kv, ", ") + ")"
	if c.src.extra != "" && names == nil {
		// The layer's own attributes come first so that the registry's
		// columns win a clash of names.
		return "(" + c.src.extra + " || jsonb_build_object(" + strings.Join(kv, ", ") + "))", nil
	}
	return obj, nil
}

func (c Collection) propertyNames() string {
	names := make([]string, len(c.Queryables))
	for i, qq := range c.Queryables {
		names[i] = qq.Name
	}
	return strings.Join(names, ", ")
}

// sqlBuilder turns a CQL2 tree into a SQL condition whose every value is a
// $n parameter.
type sqlBuilder struct {
	args  []any
	c     Collection
	crs   CRS
	geoms []geomLiteral
}

type geomLiteral struct {
	wkb  []byte
	srid int
	text string // the literal as the filter wrote it
}

func (b *sqlBuilder) param(v any, cast string) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d::%s", len(b.args), cast)
}

// envelope is the SQL of a bbox in SRID 4490.
func (b *sqlBuilder) envelope(v []float64, crs CRS) (string, error) {
	if crs.URI == "" {
		crs = CRS84
	}
	var x1, y1, x2, y2 float64
	switch len(v) {
	case 4:
		x1, y1, x2, y2 = v[0], v[1], v[2], v[3]
	case 6:
		x1, y1, x2, y2 = v[0], v[1], v[3], v[4]
	default:
		return "", &ValidationError{Field: "bbox", Reason: fmt.Sprintf("needs 4 numbers (or 6 with heights), found %d", len(v))}
	}
	for _, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", &ValidationError{Field: "bbox", Reason: "has a number that is not finite"}
		}
	}
	if crs.Flip {
		x1, y1, x2, y2 = y1, x1, y2, x2
	}
	if x1 > x2 || y1 > y2 {
		return "", &ValidationError{Field: "bbox", Reason: "the lower corner must come first and lie below and left of the upper corner (boxes across the antimeridian are not supported)"}
	}
	if crs.SRID == 4490 && (x1 < -180 || x2 > 180 || y1 < -90 || y2 > 90) {
		return "", &ValidationError{Field: "bbox", Reason: fmt.Sprintf("longitude must lie in [-180, 180] and latitude in [-90, 90]; check the axis order of %s", crs.URI)}
	}
	env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, %d)", b.param(x1, "float8"), b.param(y1, "float8"), b.param(x2, "float8"), b.param(y2, "float8"), crs.SRID)
	if crs.SRID != 4490 {
		// Straight edges in metres are curves in degrees: densify first so
		// the transformed box still covers what was asked for.
		env = "ST_Transform(ST_Segmentize(" + env + ", 500), 4490)"
	}
	return env, nil
}

// operand is a resolved side of a predicate: SQL text and its type.
type operand struct {
	sql, typ string
	prop     bool
	lit      cql2.Operand
}

func literalType(o cql2.Operand) string {
	switch o.(type) {
	case cql2.String:
		return TypeString
	case cql2.Number:
		return TypeNumber
	case cql2.Boolean:
		return TypeBoolean
	case cql2.Timestamp:
		return TypeTimestamp
	case cql2.Geometry:
		return "geometry"
	}
	return ""
}

func compatible(prop, lit string) bool {
	if prop == lit {
		return true
	}
	return (prop == TypeInteger || prop == TypeNumber) && (lit == TypeInteger || lit == TypeNumber)
}

// resolve turns a property into its SQL and leaves a literal for bind.
func (b *sqlBuilder) resolve(o cql2.Operand) (operand, error) {
	switch v := o.(type) {
	case cql2.Property:
		if v.Name == "geometry" || v.Name == "geom" {
			return operand{sql: b.c.src.geom, typ: "geometry", prop: true}, nil
		}
		qq, ok := b.c.Queryable(v.Name)
		if !ok {
			return operand{}, fmt.Errorf("collection %s has no queryable %q; see /queryables (it has %s, geometry)", b.c.ID, v.Name, b.c.propertyNames())
		}
		return operand{sql: qq.expr, typ: qq.Type, prop: true}, nil
	}
	return operand{typ: literalType(o), lit: o}, nil
}

// bind turns a literal into a parameter of type typ.
func (b *sqlBuilder) bind(o operand, typ string) (string, error) {
	if o.prop {
		return o.sql, nil
	}
	if !compatible(typ, o.typ) {
		return "", fmt.Errorf("%s is a %s, not a %s", o.lit.String(), o.typ, typ)
	}
	switch v := o.lit.(type) {
	case cql2.String:
		return b.param(v.Value, "text"), nil
	case cql2.Number:
		return b.param(v.Text, "numeric"), nil
	case cql2.Boolean:
		return b.param(v.Value, "boolean"), nil
	case cql2.Timestamp:
		return b.param(v.Value, "timestamptz"), nil
	case cql2.Geometry:
		g := v.Geom
		if b.crs.Flip {
			g = flip(g)
		}
		data, err := wkb.Marshal(g)
		if err != nil {
			return "", fmt.Errorf("geometry %s: %v", v.String(), err)
		}
		sql := fmt.Sprintf("ST_GeomFromWKB(%s, %d)", b.param(data, "bytea"), b.crs.SRID)
		if b.crs.SRID != 4490 {
			sql = "ST_Transform(" + sql + ", 4490)"
		}
		b.geoms = append(b.geoms, geomLiteral{wkb: data, srid: b.crs.SRID, text: v.String()})
		return sql, nil
	}
	return "", fmt.Errorf("unsupported value %s", o.lit.String())
}

// bindAll resolves the operands of one predicate and binds its literals to
// the type of its first property (or, with no property, of its first
// literal), so that every value reaches the database as a typed parameter.
func (b *sqlBuilder) bindAll(ops ...cql2.Operand) ([]string, string, error) {
	res := make([]operand, len(ops))
	typ := ""
	for i, o := range ops {
		r, err := b.resolve(o)
		if err != nil {
			return nil, "", err
		}
		res[i] = r
		if r.prop {
			if typ == "" {
				typ = r.typ
			} else if !compatible(typ, r.typ) {
				return nil, "", fmt.Errorf("%s is a %s and cannot be compared with a %s", o.String(), r.typ, typ)
			}
		}
	}
	if typ == "" {
		typ = res[0].typ
	}
	out := make([]string, len(res))
	for i, r := range res {
		s, err := b.bind(r, typ)
		if err != nil {
			return nil, "", err
		}
		out[i] = s
	}
	return out, typ, nil
}

var spatialSQL = map[string]string{
	"s_intersects": "ST_Intersects", "s_disjoint": "ST_Disjoint", "s_equals": "ST_Equals", "s_touches": "ST_Touches",
	"s_within": "ST_Within", "s_overlaps": "ST_Overlaps", "s_crosses": "ST_Crosses", "s_contains": "ST_Contains",
}

func (b *sqlBuilder) expr(e cql2.Expr) (string, error) {
	switch v := e.(type) {
	case cql2.And, cql2.Or:
		args, op := []cql2.Expr(nil), " AND "
		if a, ok := v.(cql2.And); ok {
			args = a.Args
		} else {
			args, op = v.(cql2.Or).Args, " OR "
		}
		parts := make([]string, len(args))
		for i, a := range args {
			s, err := b.expr(a)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, op) + ")", nil
	case cql2.Not:
		s, err := b.expr(v.Arg)
		if err != nil {
			return "", err
		}
		return "NOT (" + s + ")", nil
	case cql2.BoolLiteral:
		if v.Value {
			return "TRUE", nil
		}
		return "FALSE", nil
	case cql2.Comparison:
		sq, typ, err := b.bindAll(v.Left, v.Right)
		if err != nil {
			return "", err
		}
		if typ == "geometry" {
			return "", fmt.Errorf("geometries are compared with S_EQUALS, not %s", v.Op)
		}
		if typ == TypeBoolean && v.Op != "=" && v.Op != "<>" {
			return "", fmt.Errorf("booleans compare only with = and <>")
		}
		return "(" + sq[0] + " " + v.Op + " " + sq[1] + ")", nil
	case cql2.Like:
		sq, typ, err := b.bindAll(v.Arg, v.Pattern)
		if err != nil {
			return "", err
		}
		if typ != TypeString {
			return "", fmt.Errorf("LIKE needs a string, and %s is a %s", v.Arg.String(), typ)
		}
		return "(" + sq[0] + " " + notSQL(v.Not) + "LIKE " + sq[1] + ")", nil
	case cql2.Between:
		sq, typ, err := b.bindAll(v.Arg, v.Low, v.High)
		if err != nil {
			return "", err
		}
		if typ == TypeBoolean || typ == "geometry" {
			return "", fmt.Errorf("BETWEEN needs numbers, strings or instants, not a %s", typ)
		}
		return "(" + sq[0] + " " + notSQL(v.Not) + "BETWEEN " + sq[1] + " AND " + sq[2] + ")", nil
	case cql2.In:
		sq, typ, err := b.bindAll(append([]cql2.Operand{v.Arg}, v.List...)...)
		if err != nil {
			return "", err
		}
		if typ == "geometry" {
			return "", fmt.Errorf("IN does not take geometries")
		}
		return "(" + sq[0] + " " + notSQL(v.Not) + "IN (" + strings.Join(sq[1:], ", ") + "))", nil
	case cql2.IsNull:
		sq, _, err := b.bindAll(v.Arg)
		if err != nil {
			return "", err
		}
		return "(" + sq[0] + " IS " + notSQL(v.Not) + "NULL)", nil
	case cql2.Spatial:
		sq, typ, err := b.bindAll(v.A, v.B)
		if err != nil {
			return "", err
		}
		if typ != "geometry" {
			return "", fmt.Errorf("%s needs geometries: the geometry property or a WKT or BBOX literal", strings.ToUpper(v.Op))
		}
		return spatialSQL[v.Op] + "(" + sq[0] + ", " + sq[1] + ")", nil
	}
	return "", fmt.Errorf("unsupported expression %s", e.String())
}

func notSQL(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func flip(g orb.Geometry) orb.Geometry {
	sw := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			out[i] = orb.Point{p[1], p[0]}
		}
		return out
	}
	switch v := g.(type) {
	case orb.Point:
		return orb.Point{v[1], v[0]}
	case orb.MultiPoint:
		return orb.MultiPoint(sw(v))
	case orb.LineString:
		return orb.LineString(sw(v))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(v))
		for i, l := range v {
			out[i] = orb.LineString(sw(l))
		}
		return out
	case orb.Ring:
		return orb.Ring(sw(v))
	case orb.Polygon:
		out := make(orb.Polygon, len(v))
		for i, r := range v {
			out[i] = orb.Ring(sw(r))
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(v))
		for i, p := range v {
			out[i] = flip(p).(orb.Polygon)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(v))
		for i, x := range v {
			out[i] = flip(x)
		}
		return out
	}
	return g
}

// checkLiterals refuses geometry literals PostGIS cannot compare (a
// self-intersecting polygon makes GEOS throw), naming the reason.
func checkLiterals(ctx context.Context, db querier, lits []geomLiteral) error {
	for _, l := range lits {
		var reason *string
		err := db.QueryRow(ctx, `SELECT NULLIF(ST_IsValidReason(g), 'Valid Geometry') FROM ST_GeomFromWKB($1::bytea, $2::int) g`, l.wkb, l.srid).Scan(&reason)
		if err != nil {
			return err
		}
		if reason != nil {
			return &ValidationError{Field: "filter", Reason: "geometry " + l.text + " is not valid: " + *reason}
		}
	}
	return nil
}

// querier is what both a pool and a transaction offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
