package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// ParcelVerdict is the latest compliance verdict of one parcel: what the
// map colours the parcel by.
type ParcelVerdict struct {
	ParcelID   int64     `json:"parcel_id"`
	GazetteNo  *int      `json:"gazette_no"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	Verdict    string    `json:"verdict"`
	Stale      bool      `json:"stale"` // a layer, a rule or the parcel changed since the report
	ReportedAt time.Time `json:"reported_at"`
}

// VerdictFilter selects the verdicts LatestVerdicts returns.
type VerdictFilter struct {
	// Unannounced includes parcels that are only registered. A verdict is
	// public from the announcement on (as in the parcels layer of the
	// tiles and OGC API); before it only the bureau and planners see it.
	Unannounced bool
	// BBox, when set, keeps the parcels whose box meets it (CRS84 /
	// CGCS2000 lon/lat).
	BBox *orb.Bound
	// Limit bounds the rows; at most 10000.
	Limit int
}

// MaxVerdicts bounds one page of LatestVerdicts.
const MaxVerdicts = 10000

// verdictPublicSQL is the condition, over parcel p, under which a parcel's
// compliance verdict is public: the parcel is announced or further on in a
// sale, or was once announced (a sale of it has an announcement) — so that
// a parcel withdrawn before any announcement keeps its verdict private.
// sales says whether the transfer schema (table sale) exists.
func verdictPublicSQL(sales bool) string {
	cond := "p.status IN ('announced', 'in_sale', 'sold', 'failed')"
	if sales {
		// Not correlated with p: Citus plans it once and joins its result
		// (a correlated subquery over the distributed sale table it refuses).
		cond = "(" + cond + " OR p.id IN (SELECT vs.parcel_id FROM sale vs WHERE vs.announced_at IS NOT NULL))"
	}
	return cond
}

// verdictsSQL reads the latest report of each parcel, in the order and with
// the visibility rule of the parcels layer (parcelCollection); $1 admits
// unannounced parcels, $2..$5 the box (or NULL), $6 the limit.
var verdictsSQL = `SELECT p.id, p.gazette_no, p.name, p.status, cr.verdict,
		compliance_report_staleness(cr.id) IS NOT NULL, cr.created_at
	FROM parcel p
	JOIN LATERAL (SELECT r.id, r.verdict, r.created_at FROM compliance_report r
		WHERE r.parcel_id = p.id ORDER BY r.created_at DESC, r.id DESC LIMIT 1) cr ON true
	WHERE ($1::boolean OR ` + verdictPublicSQL(true) + `)
	  AND ($2::float8 IS NULL OR p.geom && ST_MakeEnvelope($2, $3, $4, $5, 4490))
	ORDER BY p.id
	LIMIT $6`

// LatestVerdicts returns the latest compliance verdict of every parcel the
// filter admits, by parcel id. Parcels without a report are left out.
func (s *Store) LatestVerdicts(ctx context.Context, f VerdictFilter) ([]ParcelVerdict, error) {
	limit := f.Limit
	if limit <= 0 || limit > MaxVerdicts {
		limit = MaxVerdicts
	}
	var box [4]*float64
	if f.BBox != nil {
		box = [4]*float64{&f.BBox.Min[0], &f.BBox.Min[1], &f.BBox.Max[0], &f.BBox.Max[1]}
	}
	out := []ParcelVerdict{}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, verdictsSQL, f.Unannounced, box[0], box[1], box[2], box[3], limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ParcelVerdict, error) {
			var v ParcelVerdict
			err := row.Scan(&v.ParcelID, &v.GazetteNo, &v.Name, &v.Status, &v.Verdict, &v.Stale, &v.ReportedAt)
			return v, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: latest verdicts: %w", err)
	}
	return out, nil
}
