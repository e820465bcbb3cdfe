package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"minerights/auction"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Announce publishes a draft sale (公告) with its windows, once the parcel
// passes compliance. The announcement is stored as notice 1, never edited.
func (s *Store) Announce(ctx context.Context, id int64, cal auction.Calendar, w auction.Windows, actor string) (Sale, error) {
	var out Sale
	_, _, err := s.transitionThen(ctx, id, actor, func(tx pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		if err := checkCompliance(ctx, tx, l.parcelID); err != nil {
			return l.m, nil, err
		}
		return l.m.Announce(l.now, cal, w)
	}, func(tx pgx.Tx, l *locked, next auction.Sale, b *pgx.Batch, c *chain) error {
		p, err := findParcel(ctx, tx, l.parcelID)
		if err != nil {
			return err
		}
		body := map[string]any{
			"parcel": map[string]any{
				"id": p.ID, "name": p.Name, "county": p.CountyName, "mineral": p.Mineral,
				"area_km2": p.StatedAreaKm2, "elevation_top_m": p.ElevationTopM, "elevation_bottom_m": p.ElevationBottomM,
				"service_life_years": p.ServiceLifeYears, "geometry_source": p.GeometrySource,
			},
			"method": next.Method, "terms": next.Terms, "windows": next.Windows,
			"reserve_commitment": next.Reserve.Commitment, "rules": next.Rules.Name,
		}
		// The working-day calendar the windows were checked with, year by
		// year: the SHA-256 of each document (a file or a version loaded
		// into the database, GET /api/v1/calendars/{year}).
		if d := cal.Digests(); len(d) > 0 {
			body["calendar_sha256"] = d
		}
		return queueNotice(b, c, 1, "announcement", l.now, body)
	}, s.readSaleInto(ctx, id, &out))
	if err != nil {
		return Sale{}, fmt.Errorf("registry: announce sale %d: %w", id, err)
	}
	return out, nil
}

func queueNotice(b *pgx.Batch, c *chain, no int, kind string, at time.Time, body map[string]any) error {
	bb, err := json.Marshal(body)
	if err != nil {
		return err
	}
	b.Queue(`INSERT INTO sale_notice (sale_id, no, kind, published_at, body) VALUES ($1, $2, $3, $4, $5::jsonb)`,
		c.saleID, no, kind, at, string(bb))
	data, err := json.Marshal(map[string]any{"no": no, "kind": kind, "at": at, "body": json.RawMessage(bb)})
	if err != nil {
		return err
	}
	return c.add(KindNoticePublished, at, data)
}

// Notice is an announcement or a supplementary notice.
type Notice struct {
	No          int             `json:"no"`
	Kind        string          `json:"kind"`
	PublishedAt time.Time       `json:"published_at"`
	Body        json.RawMessage `json:"body"`
}

// AddNotice publishes a supplementary notice (补充公告) of an announced sale:
// the announcement itself is never edited.
func (s *Store) AddNotice(ctx context.Context, id int64, text string, actor string) (Notice, error) {
	var n Notice
	if strings.TrimSpace(text) == "" {
		return n, &ValidationError{Field: "text", Reason: "the notice text is required"}
	}
	_, _, err := s.transition(ctx, id, actor, func(tx pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		if l.m.State == auction.StateDraft {
			return l.m, nil, conflict("the sale is not announced yet; change the draft instead")
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(no), 0) + 1 FROM sale_notice WHERE sale_id = $1`, id).Scan(&n.No); err != nil {
			return l.m, nil, err
		}
		return l.m, nil, nil
	}, func(tx pgx.Tx, l *locked, _ auction.Sale, b *pgx.Batch, c *chain) error {
		n.Kind, n.PublishedAt = "supplementary", l.now
		body := map[string]any{"text": text}
		n.Body, _ = json.Marshal(body)
		return queueNotice(b, c, n.No, n.Kind, l.now, body)
	})
	if err != nil {
		return n, fmt.Errorf("registry: notice of sale %d: %w", id, err)
	}
	s.notify(ctx, id, 0, false)
	return n, nil
}

// Notices lists a sale's announcement and supplementary notices.
func (s *Store) Notices(ctx context.Context, id int64) ([]Notice, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT no, kind, published_at, body::text FROM sale_notice WHERE sale_id = $1 ORDER BY no`, id)
	if err != nil {
		return nil, fmt.Errorf("registry: notices of sale %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notice, error) {
		var n Notice
		var body string
		err := r.Scan(&n.No, &n.Kind, &n.PublishedAt, &body)
		n.Body = json.RawMessage(body)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: notices of sale %d: %w", id, err)
	}
	return out, nil
}
