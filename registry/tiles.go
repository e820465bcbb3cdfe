package registry

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Tile geometry: the MVT extent and the buffer around a tile, in tile units.
const (
	TileExtent = 4096
	TileBuffer = 64
	// MaxZoom is the deepest zoom served; at z22 a tile is 10 m wide.
	MaxZoom = 22
	// OverviewMaxZoom is the deepest zoom drawn from a layer's overview.
	OverviewMaxZoom = 10
	// OverviewMinFeatures is the size from which a layer gets an overview:
	// below it, a low-zoom tile of every feature is cheap enough.
	OverviewMinFeatures = 20000
	// webMercatorSpan is the width of the Web Mercator square, metres.
	webMercatorSpan = 2 * math.Pi * 6378137
)

// ValidTile reports whether z/x/y names a tile of the Web Mercator
// pyramid, and why not.
func ValidTile(z, x, y int) error {
	if z < 0 || z > MaxZoom {
		return &ValidationError{Field: "z", Reason: fmt.Sprintf("zoom %d is outside 0-%d", z, MaxZoom)}
	}
	n := 1 << z
	if x < 0 || x >= n {
		return &ValidationError{Field: "x", Reason: fmt.Sprintf("column %d is outside 0-%d at zoom %d", x, n-1, z)}
	}
	if y < 0 || y >= n {
		return &ValidationError{Field: "y", Reason: fmt.Sprintf("row %d is outside 0-%d at zoom %d", y, n-1, z)}
	}
	return nil
}

// TileOptions tune how a tile is cut.
type TileOptions struct {
	// Generalise simplifies geometry to the zoom and drops features
	// smaller than a pixel; off, every feature is cut at full detail.
	Generalise bool
}

// Tolerance is the generalisation tolerance at zoom z in Web Mercator
// metres: a quarter of a pixel of a 256-pixel tile, below what a screen
// shows. Features whose box is smaller than a pixel are dropped.
func Tolerance(z int) (tolerance, pixel float64) {
	pixel = webMercatorSpan / float64(int(1)<<z) / 256
	return pixel / 4, pixel
}

// Tile cuts the vector tile z/x/y of the collection: one MVT layer named
// after it, features with the collection's tile properties and its id.
// An empty tile is an empty slice.
func (s *Store) Tile(ctx context.Context, c Collection, z, x, y int, o TileOptions) ([]byte, error) {
	if err := ValidTile(z, x, y); err != nil {
		return nil, err
	}
	query, args := tileSQL(c, z, x, y, o)
	// One statement, so no transaction around it: a tile costs one round
	// trip. Tiles read the primary, not a replica: servers cache tiles and
	// drop them on the primary's change notification, and a tile re-read
	// from a lagging replica just after it would stay cached stale.
	var mvt []byte
	if err := mapErr(s.db(ctx).QueryRow(ctx, query, args...).Scan(&mvt)); err != nil {
		return nil, fmt.Errorf("registry: tile %s/%d/%d/%d: %w", c.ID, z, x, y, err)
	}
	return mvt, nil
}

// tileSQL is the query of one tile. The filter runs in the geometry's own
// SRID so its GiST index serves it: against the stored Web Mercator copy
// where there is one, else against the tile's box transformed once. There
// is no "WHERE geom IS NOT NULL" over ST_AsMVTGeom: ST_AsMVT skips null
// geometries itself, and PostgreSQL would push that condition into the
// scan and cut every feature twice.
func tileSQL(c Collection, z, x, y int, o TileOptions) (string, []any) {
	src := c.src
	args := append([]any(nil), src.args...)
	p := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if o.Generalise && src.overview && z <= OverviewMaxZoom {
		args = nil
		zp, xp, yp := p(z), p(x), p(y)
		// The overview's blobs have no feature attributes: a planner
		// zoomed out sees where the layer is, and zooms in for features.
		return `WITH b AS (SELECT ST_TileEnvelope(` + zp + `, ` + xp + `, ` + yp + `) AS env,
	ST_TileEnvelope(` + zp + `, ` + xp + `, ` + yp + `, margin => ` + p(float64(TileBuffer)/TileExtent) + `) AS qenv)
SELECT COALESCE(ST_AsMVT(t, ` + p(c.ID) + `, ` + fmt.Sprint(TileExtent) + `, 'geom'), '') FROM (
	SELECT ST_AsMVTGeom(o.geom, b.env, ` + fmt.Sprint(TileExtent) + `, ` + fmt.Sprint(TileBuffer) + `, true) AS geom, true AS generalised
	FROM b, map_overview o WHERE o.layer_id = ` + p(src.layerID) + ` AND o.geom && b.qenv
) t`, args
	}
	zp, xp, yp := p(z), p(x), p(y)
	margin := p(float64(TileBuffer) / TileExtent)
	env := fmt.Sprintf("ST_TileEnvelope(%s, %s, %s)", zp, xp, yp)
	qenv := fmt.Sprintf("ST_TileEnvelope(%s, %s, %s, margin => %s)", zp, xp, yp, margin)
	var where []string
	if src.where != "" {
		where = append(where, src.where)
	}
	g := src.geom3857
	if strings.HasPrefix(src.geom3857, "ST_Transform(") {
		where = append(where, src.geom+" && ST_Transform(b.qenv, 4490)")
	} else {
		where = append(where, src.geom3857+" && b.qenv")
	}
	if o.Generalise {
		tol, pixel := Tolerance(z)
		// Registry tables are small and every parcel matters at any zoom;
		// only check layers drop what is smaller than a pixel.
		if src.size3857 != "" {
			where = append(where, src.size3857+" >= "+p(pixel)+"::float8")
		}
		// Douglas-Peucker in liblwgeom costs a fraction of the GEOS
		// topology-preserving variant; ST_AsMVTGeom repairs what it breaks
		// and keeps collapsed features, which the size filter has judged.
		g = fmt.Sprintf("ST_Simplify(%s, %s::float8, true)", g, p(tol))
	}
	var cols []string
	for _, name := range src.tile {
		if qq, ok := c.Queryable(name); ok {
			cols = append(cols, qq.expr+" AS "+pgx.Identifier{name}.Sanitize())
		}
	}
	idCol := ""
	if src.idType == TypeInteger {
		// MVT feature ids are unsigned integers: only an integer key can
		// be one; a text key travels as a property.
		cols = append(cols, src.id+" AS mvt_id")
		idCol = ", 'mvt_id'"
	}
	// The rows are a materialised CTE so that ST_AsMVT reads them with
	// their column names wherever they were computed: on Citus the rows
	// of a layer come from every shard and the aggregate runs on the
	// coordinator, which otherwise sees anonymous records.
	query := `WITH b AS (SELECT ` + env + ` AS env, ` + qenv + ` AS qenv),
t AS MATERIALIZED (
	SELECT ST_AsMVTGeom(` + g + `, b.env, ` + fmt.Sprint(TileExtent) + `, ` + fmt.Sprint(TileBuffer) + `, true) AS geom, ` + strings.Join(cols, ", ") + `
	FROM b, ` + src.from + ` WHERE ` + strings.Join(where, " AND ") + `)
SELECT COALESCE(ST_AsMVT(t, ` + p(c.ID) + `, ` + fmt.Sprint(TileExtent) + `, 'geom'` + idCol + `), '') FROM t`
	return query, args
}

// BuildOverviews builds the missing overviews of current layers of at
// least OverviewMinFeatures features and returns the names of the layers it
// built. A layer another process is building is skipped (an advisory lock),
// so every server may call it when layers change.
func (s *Store) BuildOverviews(ctx context.Context) ([]string, error) {
	type todo struct {
		id   int64
		name string
	}
	var list []todo
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if ok, err := hasTable(ctx, tx, "layer"); err != nil || !ok {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT l.id, l.name FROM layer l WHERE l.current AND l.feature_count >= $1
			AND NOT EXISTS (SELECT 1 FROM map_overview_built b WHERE b.layer_id = l.id) ORDER BY l.id`, OverviewMinFeatures)
		if err != nil {
			return err
		}
		var t todo
		_, err = pgx.ForEachRow(rows, []any{&t.id, &t.name}, func() error { list = append(list, t); return nil })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: overviews: %w", err)
	}
	_, pixel := Tolerance(OverviewMaxZoom)
	var built []string
	for _, t := range list {
		var done bool
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			var locked bool
			if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended('minerights.overview:' || $1::bigint::text, 0))`, t.id).Scan(&locked); err != nil || !locked {
				return err
			}
			var fresh bool
			if err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM map_overview_built WHERE layer_id = $1)
				AND EXISTS (SELECT 1 FROM layer WHERE id = $1)`, t.id).Scan(&fresh); err != nil || !fresh {
				return err
			}
			if _, err := tx.Exec(ctx, `SELECT map_build_overview($1, $2)`, t.id, pixel); err != nil {
				return err
			}
			done = true
			return nil
		})
		if err != nil {
			return built, fmt.Errorf("registry: overview of %s: %w", t.name, err)
		}
		if done {
			built = append(built, t.name)
		}
	}
	return built, nil
}

func hasTable(ctx context.Context, tx pgx.Tx, name string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok)
	return ok, err
}
