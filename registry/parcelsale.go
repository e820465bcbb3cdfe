package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"minerights/auction"
)

// ParcelInSaleError refuses a change to a parcel that belongs to a sale:
// a draft keeps the starting price it copied and its parcel in the
// registry; from the announcement on, a parcel's figures and boundary are
// those the sale was announced and sold on, and a sold parcel is history.
// It is an ErrConflict.
type ParcelInSaleError struct {
	ParcelID int64
	SaleID   int64
	// State is the sale's state; empty when only the database's own guard
	// (migration 009) saw the sale.
	State string
}

func (e *ParcelInSaleError) Error() string {
	return fmt.Sprintf("%v: parcel %d is in sale %d (%s): it changes only through the sale", ErrConflict, e.ParcelID, e.SaleID, e.State)
}

// Is makes a ParcelInSaleError an ErrConflict.
func (e *ParcelInSaleError) Is(target error) bool { return target == ErrConflict }

// checkParcelChange fails with a ParcelInSaleError when pt may not be
// applied to the parcel because of a sale of it that has not ended (failed,
// terminated or defaulted). A draft is not public yet: the parcel may still
// be corrected, all but what the draft copied (the starting price) and its
// status (it cannot be withdrawn from under the draft); from the
// announcement on, nothing changes but through the sale. The caller holds
// the parcel's row lock, which every sale takes before it is created
// (insertSale), so no sale can appear between this check and the commit.
func checkParcelChange(ctx context.Context, tx pgx.Tx, parcelID int64, pt ParcelPatch, price *int64, status string) error {
	var id int64
	var state string
	err := tx.QueryRow(ctx, `SELECT id, state FROM sale
		WHERE parcel_id = $1 AND state NOT IN ('failed', 'terminated', 'defaulted')
		ORDER BY id DESC LIMIT 1`, parcelID).Scan(&id, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if state == string(auction.StateDraft) {
		priceChanges := pt.StartingPriceYuan != nil && (price == nil || *pt.StartingPriceYuan != *price)
		statusChanges := pt.Status != nil && *pt.Status != status
		if !priceChanges && !statusChanges {
			return nil
		}
	}
	return &ParcelInSaleError{ParcelID: parcelID, SaleID: id, State: state}
}

// inSaleGuard turns the refusal of migration 009's trigger (SQLSTATE 55006,
// the sale's id in DETAIL) into a ParcelInSaleError; other errors pass.
func inSaleGuard(err error, parcelID int64) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55006" {
		id, _ := strconv.ParseInt(pe.Detail, 10, 64)
		return &ParcelInSaleError{ParcelID: parcelID, SaleID: id}
	}
	return err
}
