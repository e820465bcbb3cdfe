package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ParcelInSaleError refuses a change to a parcel that belongs to a sale:
// from the draft on, a parcel's figures and boundary are those the sale was
// drafted, announced and sold on, and a sold parcel is history. It is an
// ErrConflict.
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

// checkParcelFree fails with a ParcelInSaleError when a sale of the parcel
// exists that has not ended (failed, terminated or defaulted). The caller
// holds the parcel's row lock, which every sale takes before it is created
// (insertSale), so no sale can appear between this check and the commit.
func checkParcelFree(ctx context.Context, tx pgx.Tx, parcelID int64) error {
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
