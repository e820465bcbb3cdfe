package registry

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

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

// PropertyNames lists the names of the collection's queryables.
func (c Collection) PropertyNames() string {
	names := make([]string, len(c.Queryables))
	for i, qq := range c.Queryables {
		names[i] = qq.Name
	}
	return strings.Join(names, ", ")
}

// GeometrySQL is the SQL of the features' geometry (SRID 4490) in a
// condition over the collection's rows (see Params).
func (c Collection) GeometrySQL() string { return c.src.geom }

// SQL is the queryable's SQL expression in a condition over its
// collection's rows (see Params): text written in this package, never
// input.
func (q Queryable) SQL() string { return q.expr }

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
