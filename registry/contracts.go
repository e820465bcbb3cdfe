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

// Default records the winner's refusal to sign or pay: the deposit is
// forfeited and the bidder barred from the parcel.
func (s *Store) Default(ctx context.Context, id int64, reason, actor string) (Sale, error) {
	if strings.TrimSpace(reason) == "" {
		return Sale{}, &ValidationError{Field: "reason", Reason: "a reason is required"}
	}
	return s.act(ctx, id, actor, "record default", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Default(now, reason)
	})
}

// Contract schedules of 出让收益.
const (
	ScheduleLumpSum     = "lump_sum"
	ScheduleInstalments = "instalments"
)

// InstalmentInput is one due payment of the price: a date (China Standard
// Time, YYYY-MM-DD) and an amount in 元.
type InstalmentInput struct {
	Due    string
	Amount int64
}

// ContractInput is the payment schedule agreed in the contract (出让合同):
// a lump sum (one instalment) or instalments adding up to the price.
type ContractInput struct {
	Schedule    string
	Instalments []InstalmentInput
	Reference   string
}

// Instalment is a due payment and how much of it is paid.
type Instalment struct {
	No     int    `json:"no"`
	Due    string `json:"due"`
	Amount int64  `json:"amount"`
	Paid   int64  `json:"paid"`
	// Status is paid, due or overdue.
	Status string `json:"status"`
}

// Payment is one payment of the price; the winner's deposit is the first.
type Payment struct {
	Amount    int64     `json:"amount"`
	PaidAt    time.Time `json:"paid_at"`
	Reference *string   `json:"reference"`
}

// Contract is a signed contract with its schedule and payments.
type Contract struct {
	SaleID          int64        `json:"sale_id"`
	SignedAt        time.Time    `json:"signed_at"`
	Price           int64        `json:"price"`
	DepositCredited int64        `json:"deposit_credited"`
	Schedule        string       `json:"schedule"`
	Instalments     []Instalment `json:"instalments"`
	Payments        []Payment    `json:"payments"`
	Paid            int64        `json:"paid"`
	Outstanding     int64        `json:"outstanding"`
	Overdue         bool         `json:"overdue"`
}

func (in ContractInput) validate(price int64) error {
	switch in.Schedule {
	case ScheduleLumpSum:
		if len(in.Instalments) != 1 {
			return &ValidationError{Field: "instalments", Reason: "a lump sum has exactly one due payment"}
		}
	case ScheduleInstalments:
		if len(in.Instalments) < 2 {
			return &ValidationError{Field: "instalments", Reason: "payment in instalments needs at least two due payments"}
		}
	default:
		return &ValidationError{Field: "schedule", Reason: "use lump_sum or instalments"}
	}
	var sum int64
	prev := ""
	for i, it := range in.Instalments {
		if _, err := time.Parse("2006-01-02", it.Due); err != nil {
			return &ValidationError{Field: fmt.Sprintf("instalments[%d].due", i), Reason: "not a date (YYYY-MM-DD)"}
		}
		if it.Due <= prev {
			return &ValidationError{Field: fmt.Sprintf("instalments[%d].due", i), Reason: "due dates must increase"}
		}
		if it.Amount <= 0 || it.Amount > auction.MaxAmount {
			return &ValidationError{Field: fmt.Sprintf("instalments[%d].amount", i), Reason: "must be a positive amount in 元"}
		}
		prev = it.Due
		sum += it.Amount
	}
	if sum != price {
		return &ValidationError{Field: "instalments", Reason: fmt.Sprintf("the instalments add up to %d 元, the price is %d 元", sum, price)}
	}
	return nil
}

// SignContract records the contract after the publicity: the schedule of
// 出让收益, with the winner's deposit credited as the first payment.
func (s *Store) SignContract(ctx context.Context, id int64, in ContractInput, actor string) (Contract, error) {
	var out Contract
	_, _, err := s.transitionThen(ctx, id, actor, func(_ pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		if l.m.State == auction.StatePublicity {
			if err := in.validate(l.m.High.Amount); err != nil {
				return l.m, nil, err
			}
		}
		return l.m.SignContract(l.now)
	}, func(_ pgx.Tx, l *locked, next auction.Sale, b *pgx.Batch, c *chain) error {
		var credited int64
		if p, ok := next.Participant(next.High.Bidder); ok {
			credited = p.Deposit
		}
		b.Queue(`INSERT INTO sale_contract (sale_id, signed_at, price_yuan, deposit_credited_yuan, schedule) VALUES ($1, $2, $3, $4, $5)`,
			id, l.now, next.High.Amount, credited, in.Schedule)
		for i, it := range in.Instalments {
			b.Queue(`INSERT INTO contract_instalment (sale_id, no, due_date, amount_yuan) VALUES ($1, $2, $3::date, $4)`, id, i+1, it.Due, it.Amount)
		}
		if credited > 0 {
			b.Queue(`INSERT INTO contract_payment (sale_id, amount_yuan, paid_at, reference) VALUES ($1, $2, $3, '保证金转作价款')`, id, credited, l.now)
		}
		data, err := json.Marshal(map[string]any{"schedule": in.Schedule, "instalments": in.Instalments, "deposit_credited": credited, "reference": in.Reference})
		if err != nil {
			return err
		}
		return c.add(KindContractTerms, l.now, data)
	}, s.readContractInto(ctx, id, &out))
	if err != nil {
		return Contract{}, fmt.Errorf("registry: sign contract of sale %d: %w", id, err)
	}
	return out, nil
}

// RecordPayment records a payment of the price against the contract.
func (s *Store) RecordPayment(ctx context.Context, id, amount int64, reference, actor string) (Contract, error) {
	if amount <= 0 || amount > auction.MaxAmount {
		return Contract{}, &ValidationError{Field: "amount", Reason: "must be a positive amount in 元"}
	}
	var out Contract
	_, _, err := s.transitionThen(ctx, id, actor, func(_ pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		if l.m.State != auction.StateContracted {
			return l.m, nil, conflict("payments are recorded against a signed contract; the sale is %s", l.m.State)
		}
		return l.m, nil, nil
	}, func(_ pgx.Tx, l *locked, _ auction.Sale, b *pgx.Batch, c *chain) error {
		b.Queue(`INSERT INTO contract_payment (sale_id, amount_yuan, paid_at, reference) VALUES ($1, $2, $3, $4)`, id, amount, l.now, nullString(reference))
		data, err := json.Marshal(map[string]any{"amount": amount, "reference": reference, "at": l.now})
		if err != nil {
			return err
		}
		return c.add(KindPaymentRecorded, l.now, data)
	}, s.readContractInto(ctx, id, &out))
	if err != nil {
		return Contract{}, fmt.Errorf("registry: payment on sale %d: %w", id, err)
	}
	return out, nil
}

// GetContract returns the contract with each instalment's status on the
// database's current date in China Standard Time: payments settle the
// instalments in order, and an instalment past its due date and not fully
// paid is overdue.
func (s *Store) GetContract(ctx context.Context, id int64) (Contract, error) {
	return findContract(ctx, s.db(ctx), id)
}

func findContract(ctx context.Context, q saleQuerier, id int64) (Contract, error) {
	var c Contract
	var today string
	err := q.QueryRow(ctx, `SELECT sale_id, signed_at, price_yuan, deposit_credited_yuan, schedule,
			to_char((clock_timestamp() AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD')
		FROM sale_contract WHERE sale_id = $1`, id).Scan(&c.SaleID, &c.SignedAt, &c.Price, &c.DepositCredited, &c.Schedule, &today)
	if err != nil {
		return c, fmt.Errorf("registry: contract of sale %d: %w", id, mapErr(err))
	}
	rows, err := q.Query(ctx, `SELECT no, to_char(due_date, 'YYYY-MM-DD'), amount_yuan, 0::bigint, '' FROM contract_instalment WHERE sale_id = $1 ORDER BY no`, id)
	if err == nil {
		c.Instalments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Instalment])
	}
	if err != nil {
		return c, fmt.Errorf("registry: contract of sale %d: %w", id, err)
	}
	rows, err = q.Query(ctx, `SELECT amount_yuan, paid_at, reference FROM contract_payment WHERE sale_id = $1 ORDER BY id`, id)
	if err == nil {
		c.Payments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Payment])
	}
	if err != nil {
		return c, fmt.Errorf("registry: contract of sale %d: %w", id, err)
	}
	for _, p := range c.Payments {
		c.Paid += p.Amount
	}
	c.Outstanding = max(c.Price-c.Paid, 0)
	left := c.Paid
	for i := range c.Instalments {
		it := &c.Instalments[i]
		it.Paid = min(left, it.Amount)
		left -= it.Paid
		switch {
		case it.Paid == it.Amount:
			it.Status = "paid"
		case it.Due < today:
			it.Status = "overdue"
			c.Overdue = true
		default:
			it.Status = "due"
		}
	}
	return c, nil
}
