package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/geojson"

	"minerights/auction"
)

// correctionSetting names the transaction-local setting that tells
// migration 009's guard which sale is correcting its parcel: the guard lets
// that sale's own 补充公告 change the parcel, and nothing else.
const correctionSetting = "minerights.correcting_sale"

// CorrectParcel publishes a supplementary notice (补充公告) of an announced
// sale that corrects its parcel's figures or boundary, before bidding
// opens: with the sale locked, the parcel is changed, checked again by the
// compliance engine (it must still pass), and the notice records the
// corrected values, all in one transaction. The starting price and the
// status are the sale's and cannot be corrected this way; once bidding has
// opened nothing of the parcel changes. It returns the notice and the
// parcel as corrected.
func (s *Store) CorrectParcel(ctx context.Context, saleID int64, text string, pt ParcelPatch, actor string) (Notice, Parcel, error) {
	var n Notice
	var p Parcel
	if strings.TrimSpace(text) == "" {
		return n, p, &ValidationError{Field: "text", Reason: "the notice text is required"}
	}
	if pt.StartingPriceYuan != nil || pt.Status != nil {
		return n, p, &ValidationError{Field: "parcel", Reason: "the starting price and the status of an announced sale's parcel are the sale's: terminate the sale to change them"}
	}
	changes := correctedFields(pt)
	if len(changes) == 0 {
		return n, p, &ValidationError{Field: "parcel", Reason: "the correction changes nothing"}
	}
	_, _, err := s.transition(ctx, saleID, actor, func(tx pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		switch l.m.State {
		case auction.StateAnnounced, auction.StateApplying:
		default:
			return l.m, nil, Conflict("出让 %d 为%s状态：地块只能在公告后、竞价开始前以补充公告更正，竞价开始后不得更改", saleID, l.m.State)
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(no), 0) + 1 FROM sale_notice WHERE sale_id = $1`, saleID).Scan(&n.No); err != nil {
			return l.m, nil, err
		}
		return l.m, nil, nil
	}, func(tx pgx.Tx, l *locked, _ auction.Sale, b *pgx.Batch, c *chain) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM parcel WHERE id = $1 FOR UPDATE`, l.parcelID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT set_config($1, $2, true)`, correctionSetting, fmt.Sprint(saleID)); err != nil {
			return err
		}
		if err := writePatch(ctx, tx, l.parcelID, pt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT set_config($1, '', true)`, correctionSetting); err != nil {
			return err
		}
		if err := storeReport(ctx, tx, l.parcelID); err != nil {
			return err
		}
		if err := checkCompliance(ctx, tx, l.parcelID); err != nil {
			return err
		}
		var err error
		if p, err = findParcel(ctx, tx, l.parcelID); err != nil {
			return err
		}
		changes["version"] = p.Version
		n.Kind, n.PublishedAt = "supplementary", l.now
		body := map[string]any{"text": text, "parcel_corrections": changes}
		n.Body, _ = json.Marshal(body)
		return queueNotice(b, c, n.No, n.Kind, l.now, body)
	})
	if err != nil {
		return Notice{}, Parcel{}, fmt.Errorf("registry: correct the parcel of sale %d: %w", saleID, inSaleGuard(err, p.ID))
	}
	s.notify(ctx, saleID, 0, false)
	return n, p, nil
}

// correctedFields lists what a correction sets, as the notice publishes it.
func correctedFields(pt ParcelPatch) map[string]any {
	out := map[string]any{}
	set := func(k string, v any, ok bool) {
		if ok {
			out[k] = v
		}
	}
	set("name", pt.Name, pt.Name != nil)
	set("mineral", pt.Mineral, pt.Mineral != nil)
	set("stated_area_km2", pt.StatedAreaKm2, pt.StatedAreaKm2 != nil)
	set("elevation_top_m", pt.ElevationTopM, pt.ElevationTopM != nil)
	set("elevation_bottom_m", pt.ElevationBottomM, pt.ElevationBottomM != nil)
	set("mining_method", pt.MiningMethod, pt.MiningMethod != nil)
	set("service_life_years", pt.ServiceLifeYears, pt.ServiceLifeYears != nil)
	set("statement", pt.Statement, pt.Statement != nil)
	set("schedule", pt.Schedule, pt.Schedule != nil)
	set("reserves", pt.Reserves, pt.Reserves != nil)
	set("capacity", pt.Capacity, pt.Capacity != nil)
	set("geometry", geojson.NewGeometry(pt.Geometry), pt.Geometry != nil)
	return out
}
