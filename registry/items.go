package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Params numbers the values of a query as its SQL is written: each Bind
// appends one value and returns its placeholder, so that no value is ever
// written into SQL text.
type Params struct {
	collection string
	args       []any
}

// Params starts the values of a query over the collection: the
// collection's own values come first, and a condition compiled on them
// (Params.Condition) numbers its placeholders after them.
func (c Collection) Params() *Params {
	return &Params{collection: c.ID, args: append([]any(nil), c.src.args...)}
}

// Bind appends v and returns its placeholder cast to cast, e.g. $3::text.
func (p *Params) Bind(v any, cast string) string {
	p.args = append(p.args, v)
	return fmt.Sprintf("$%d::%s", len(p.args), cast)
}

// Args are the values bound so far; $n is Args()[n-1].
func (p *Params) Args() []any { return p.args }

// Condition makes the compiled condition sql, whose values are the ones
// bound so far; geoms are its geometry literals.
func (p *Params) Condition(sql string, geoms []GeometryLiteral) *Condition {
	return &Condition{SQL: sql, Args: append([]any(nil), p.args...), Geometries: geoms, collection: p.collection}
}

// Condition is a condition over a collection's rows compiled outside the
// store (the map layers compile bbox and CQL2 filters into one): SQL text
// over the collection's queryables (Queryable.SQL) and geometry
// (Collection.GeometrySQL) whose every value is a $n placeholder of Args.
type Condition struct {
	SQL  string
	Args []any
	// Geometries are the condition's geometry literals: the store checks
	// them before the query, since PostGIS cannot compare an invalid one.
	Geometries []GeometryLiteral
	collection string
}

// GeometryLiteral is a geometry a filter names, as WKB with its SRID.
type GeometryLiteral struct {
	WKB  []byte
	SRID int
	// Text is the literal as the filter wrote it, for the refusal.
	Text string
}

// ItemsQuery selects a page of a collection's features.
type ItemsQuery struct {
	// Where, when set, keeps the features that meet it: the bbox and the
	// filter of the query, compiled to SQL by the map layers (see
	// Collection.Params).
	Where *Condition
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
// repeats a feature. Bad input (an unknown property, an invalid geometry
// literal in the condition) is a *ValidationError naming the query
// parameter; a condition compiled for another collection is refused.
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
	p := c.Params()
	var where []string
	if c.src.where != "" {
		where = append(where, c.src.where)
	}
	var literals []GeometryLiteral
	if w := iq.Where; w != nil {
		if w.collection != c.ID {
			return 0, fmt.Errorf("registry: items of %s: a condition compiled for collection %q", c.ID, w.collection)
		}
		p = &Params{collection: c.ID, args: append([]any(nil), w.Args...)}
		literals = w.Geometries
	}
	if iq.ID != "" {
		switch c.src.idType {
		case TypeInteger:
			where = append(where, c.src.id+" = "+p.Bind(iq.ID, "numeric"))
		default:
			where = append(where, c.src.id+"::text = "+p.Bind(iq.ID, "text"))
		}
	}
	if iq.Where != nil {
		where = append(where, iq.Where.SQL)
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
	args := append(p.Args(), limit, iq.Offset)
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
			return db.QueryRow(ctx, `SELECT count(*) FROM `+c.src.from+cond, p.Args()...).Scan(&page.NumberMatched)
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
				return "", &ValidationError{Field: "properties", Reason: fmt.Sprintf("collection %s has no property %q; it has %s", c.ID, n, c.PropertyNames())}
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

// checkLiterals refuses geometry literals PostGIS cannot compare (a
// self-intersecting polygon makes GEOS throw), naming the reason.
func checkLiterals(ctx context.Context, db querier, lits []GeometryLiteral) error {
	for _, l := range lits {
		var reason *string
		err := db.QueryRow(ctx, `SELECT NULLIF(ST_IsValidReason(g), 'Valid Geometry') FROM ST_GeomFromWKB($1::bytea, $2::int) g`, l.WKB, l.SRID).Scan(&reason)
		if err != nil {
			return err
		}
		if reason != nil {
			return &ValidationError{Field: "filter", Reason: "geometry " + l.Text + " is not valid: " + *reason}
		}
	}
	return nil
}

// querier is what both a pool and a transaction offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
