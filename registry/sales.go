package registry

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"minerights/auction"
)

// Sale is a sale as the registry holds it. Machine is the whole state,
// secrets included: callers build what each reader may see from it.
type Sale struct {
	ID             int64
	ParcelID       int64
	ParcelName     string
	Round          int
	PreviousSaleID *int64
	Machine        auction.Sale
	AuditSeq       int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Bidders names the participants, by auction bidder key.
	Bidders map[string]Bidder
}

// SaleInput creates a sale (or a re-offer). The starting price is the
// parcel's; Reserve is the secret 底价, zero for none.
type SaleInput struct {
	ParcelID  int64
	Method    auction.Method
	Increment int64
	Deposit   int64
	Reserve   int64
}

// SaleFilter selects sales.
type SaleFilter struct {
	ParcelID int64
	State    string
	// BidderID, when set, keeps the sales the bidder applied for.
	BidderID int64
	Limit    int
	Offset   int
}

// CreateSale creates a draft sale of a parcel that has a starting price, by
// rules, with the reserve committed when one is given. The salt of the
// reserve commitment is drawn here and kept secret until the close.
func (s *Store) CreateSale(ctx context.Context, in SaleInput, rules auction.Rules, actor string) (Sale, error) {
	var out Sale
	err := s.inTxRetry(ctx, func(tx pgx.Tx) error {
		id, err := insertSale(ctx, tx, in, rules, actor, 1, nil, nil)
		if err != nil {
			return err
		}
		return s.readSaleInto(ctx, id, &out)(tx)
	})
	if err != nil {
		return Sale{}, fmt.Errorf("registry: create sale: %w", err)
	}
	return out, nil
}

func insertSale(ctx context.Context, tx pgx.Tx, in SaleInput, rules auction.Rules, actor string, round int, prev *int64, barred []string) (int64, error) {
	var price *int64
	var status string
	err := tx.QueryRow(ctx, `SELECT starting_price_yuan, status FROM parcel WHERE id = $1 FOR UPDATE`, in.ParcelID).Scan(&price, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, &ValidationError{Field: "parcel_id", Reason: fmt.Sprintf("there is no parcel %d", in.ParcelID)}
	}
	if err != nil {
		return 0, err
	}
	if price == nil {
		return 0, &ValidationError{Field: "parcel_id", Reason: fmt.Sprintf("parcel %d has no starting price (出让收益起始价): record one before creating a sale", in.ParcelID)}
	}
	if status == StatusWithdrawn {
		return 0, &ValidationError{Field: "parcel_id", Reason: fmt.Sprintf("parcel %d is withdrawn", in.ParcelID)}
	}
	if err := checkCompliance(ctx, tx, in.ParcelID); err != nil {
		return 0, err
	}
	// The parcel row is written before the sales are searched: on Citus the
	// search reads every shard in parallel, after which a transaction may
	// not write a reference table such as parcel.
	if _, err := tx.Exec(ctx, `UPDATE parcel SET status = 'registered', updated_at = now() WHERE id = $1 AND status <> 'registered'`, in.ParcelID); err != nil {
		return 0, err
	}
	var live int64
	err = tx.QueryRow(ctx, `SELECT id FROM sale WHERE parcel_id = $1 AND state NOT IN ('failed', 'terminated', 'defaulted')`, in.ParcelID).Scan(&live)
	if err == nil {
		return 0, conflict("parcel %d is already in sale %d", in.ParcelID, live)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	m, err := auction.NewSale(in.Method, auction.Terms{StartingPrice: *price, Increment: in.Increment, Deposit: in.Deposit}, rules)
	if err != nil {
		return 0, err
	}
	m.Barred = barred
	var now time.Time
	if err := tx.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
		return 0, err
	}
	var evs []auction.Event
	if in.Reserve != 0 {
		salt := make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			return 0, err
		}
		m, evs, err = m.SetReserve(now, in.Reserve, salt)
		if err != nil {
			return 0, err
		}
	}
	machine, err := json.Marshal(m)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO sale (parcel_id, round, previous_sale_id, method, state, rules_name,
			starting_price_yuan, increment_yuan, deposit_yuan, machine, machine_tag, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json, $11, $12, $12) RETURNING id`,
		in.ParcelID, round, prev, string(m.Method), string(m.State), rules.Name, m.Terms.StartingPrice,
		m.Terms.Increment, m.Terms.Deposit, string(machine), newMachineTag(), now).Scan(&id)
	if err != nil {
		return 0, err
	}
	if len(evs) > 0 {
		l := &locked{id: id, parcelID: in.ParcelID, round: round, base: m, m: m, full: true, now: now}
		if _, err := save(ctx, tx, l, m, evs, actor, nil); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// checkCompliance asks the compliance engine's SQL function whether the
// parcel may be offered: NULL means it passed, anything else is the reason.
func checkCompliance(ctx context.Context, tx pgx.Tx, parcelID int64) error {
	var problem *string
	if err := tx.QueryRow(ctx, `SELECT parcel_compliance_problem($1)`, parcelID).Scan(&problem); err != nil {
		return err
	}
	if problem != nil {
		return &NotCompliantError{Reason: *problem}
	}
	return nil
}

const saleColumns = `s.id, s.parcel_id, p.name, s.round, s.previous_sale_id, s.machine::text, ` + overlaySQL + `,
	s.audit_seq, s.created_at, s.updated_at`

func scanSale(row pgx.Row) (Sale, error) {
	var sl Sale
	var raw string
	var ov *string
	if err := row.Scan(&sl.ID, &sl.ParcelID, &sl.ParcelName, &sl.Round, &sl.PreviousSaleID, &raw, &ov, &sl.AuditSeq, &sl.CreatedAt, &sl.UpdatedAt); err != nil {
		return sl, err
	}
	var base auction.Sale
	if err := json.Unmarshal([]byte(raw), &base); err != nil {
		return sl, err
	}
	o, err := decodeOverlay(ov)
	if err != nil {
		return sl, err
	}
	sl.Machine = withOverlay(base, o)
	return sl, nil
}

// GetSale returns a sale with the names of its participants.
func (s *Store) GetSale(ctx context.Context, id int64) (Sale, error) {
	return findSale(ctx, s.db(ctx), id)
}

// saleQuerier is what reads of several rows need: a pool, or the
// transaction of a change the read answers with.
type saleQuerier interface {
	querier
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func findSale(ctx context.Context, q saleQuerier, id int64) (Sale, error) {
	sl, err := scanSale(q.QueryRow(ctx, `SELECT `+saleColumns+` FROM sale s JOIN parcel p ON p.id = s.parcel_id WHERE s.id = $1`, id))
	if err != nil {
		return sl, fmt.Errorf("registry: get sale %d: %w", id, mapErr(err))
	}
	rows, err := q.Query(ctx, `SELECT b.id, b.name, b.credit_code, b.contact, b.created_at
		FROM sale_participant sp JOIN bidder b ON b.id = sp.bidder_id WHERE sp.sale_id = $1`, id)
	if err != nil {
		return sl, fmt.Errorf("registry: get sale %d: %w", id, err)
	}
	bs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Bidder])
	if err != nil {
		return sl, fmt.Errorf("registry: get sale %d: %w", id, err)
	}
	sl.Bidders = map[string]Bidder{}
	for _, b := range bs {
		sl.Bidders[BidderKey(b.ID)] = b
	}
	return sl, nil
}

// ListSales returns sales, newest first, and how many match.
func (s *Store) ListSales(ctx context.Context, f SaleFilter) ([]Sale, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ParcelID != 0 {
		add("s.parcel_id = $%d", f.ParcelID)
	}
	if f.State != "" {
		add("s.state = $%d", f.State)
	}
	if f.BidderID != 0 {
		add("EXISTS (SELECT 1 FROM sale_participant sp WHERE sp.sale_id = s.id AND sp.bidder_id = $%d)", f.BidderID)
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var total int
	if err := s.db(ctx).QueryRow(ctx, `SELECT count(*) FROM sale s `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("registry: list sales: %w", err)
	}
	rows, err := s.db(ctx).Query(ctx, `SELECT `+saleColumns+` FROM sale s JOIN parcel p ON p.id = s.parcel_id `+cond+
		fmt.Sprintf(` ORDER BY s.id DESC LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2), append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("registry: list sales: %w", err)
	}
	defer rows.Close()
	var out []Sale
	for rows.Next() {
		sl, err := scanSale(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("registry: list sales: %w", err)
		}
		out = append(out, sl)
	}
	return out, total, rows.Err()
}

// Suspend suspends a sale (暂停).
func (s *Store) Suspend(ctx context.Context, id int64, reason, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "suspend", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Suspend(now, reason)
	})
}

// Resume resumes a suspended sale.
func (s *Store) Resume(ctx context.Context, id int64, reason, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "resume", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Resume(now, reason)
	})
}

// Terminate ends a sale before its close (终止).
func (s *Store) Terminate(ctx context.Context, id int64, reason, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "terminate", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Terminate(now, reason)
	})
}

// Reoffer creates the next round's draft sale of the parcel after a failure
// or a default, carrying over the barred bidders; a reserve must be
// committed afresh.
func (s *Store) Reoffer(ctx context.Context, id int64, in SaleInput, actor string) (Sale, error) {
	var nid int64
	var out Sale
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		l, err := s.lockSale(ctx, tx, id, nil)
		if err != nil {
			return err
		}
		next, err := l.m.Reoffer(in.Method, auction.Terms{StartingPrice: l.m.Terms.StartingPrice, Increment: in.Increment, Deposit: in.Deposit})
		if err != nil {
			return err
		}
		in.ParcelID = l.parcelID
		prev := id
		nid, err = insertSale(ctx, tx, in, next.Rules, actor, l.round+1, &prev, next.Barred)
		if err != nil {
			return err
		}
		return s.readSaleInto(ctx, nid, &out)(tx)
	})
	if err != nil {
		return Sale{}, fmt.Errorf("registry: re-offer sale %d: %w", id, err)
	}
	return out, nil
}

// Tick applies the time-driven changes due by the database clock; it is
// what the scheduler runs, and is harmless at any time.
func (s *Store) Tick(ctx context.Context, id int64) (Sale, error) {
	return s.act(ctx, id, "scheduler", "tick", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		next, evs := m.Tick(now)
		return next, evs, nil
	})
}
