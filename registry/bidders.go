package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bidder is a registered bidder (竞买人).
type Bidder struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreditCode *string   `json:"credit_code"`
	Contact    *string   `json:"contact"`
	CreatedAt  time.Time `json:"created_at"`
}

// BidderInput registers a bidder.
type BidderInput struct {
	Name       string
	CreditCode *string
	Contact    *string
}

// BidderKey is how package auction identifies a registered bidder: the
// bidder id in decimal.
func BidderKey(id int64) string { return strconv.FormatInt(id, 10) }

// ParseBidderKey returns the bidder id of an auction bidder key.
func ParseBidderKey(k string) (int64, bool) {
	id, err := strconv.ParseInt(k, 10, 64)
	return id, err == nil && id > 0
}

// CreateBidder registers a bidder.
func (s *Store) CreateBidder(ctx context.Context, in BidderInput) (Bidder, error) {
	b, _, err := s.registerBidder(ctx, in, false)
	return b, err
}

// CreateBidderWithToken registers a bidder and issues its token in one
// transaction, so that an answer that fails can be retried: either both
// exist or neither does.
func (s *Store) CreateBidderWithToken(ctx context.Context, in BidderInput) (Bidder, string, error) {
	return s.registerBidder(ctx, in, true)
}

func (s *Store) registerBidder(ctx context.Context, in BidderInput, withToken bool) (Bidder, string, error) {
	var b Bidder
	var token string
	if strings.TrimSpace(in.Name) == "" {
		return b, "", &ValidationError{Field: "name", Reason: "the bidder's registered name is required"}
	}
	if in.CreditCode != nil {
		if err := CheckCreditCode("credit_code", *in.CreditCode); err != nil {
			return b, "", err
		}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO bidder (name, credit_code, contact) VALUES ($1, $2, $3)
			RETURNING id, name, credit_code, contact, created_at`, in.Name, in.CreditCode, in.Contact).
			Scan(&b.ID, &b.Name, &b.CreditCode, &b.Contact, &b.CreatedAt)
		if err != nil || !withToken {
			return err
		}
		token, err = insertBidderToken(ctx, tx, b.ID, b.Name, 0)
		return err
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) && strings.Contains(ve.Field, "credit_code") {
			ve.Field, ve.Reason = "credit_code", "not a unified social credit code (统一社会信用代码): 18 characters, digits and capital letters other than I, O, S, V, Z"
		}
		if errors.Is(err, ErrConflict) {
			err = conflict("a bidder with this credit code is already registered")
		}
		return b, "", fmt.Errorf("registry: create bidder: %w", err)
	}
	return b, token, nil
}

// GetBidder returns a bidder.
func (s *Store) GetBidder(ctx context.Context, id int64) (Bidder, error) {
	var b Bidder
	err := s.db(ctx).QueryRow(ctx, `SELECT id, name, credit_code, contact, created_at FROM bidder WHERE id = $1`, id).
		Scan(&b.ID, &b.Name, &b.CreditCode, &b.Contact, &b.CreatedAt)
	if err != nil {
		return b, fmt.Errorf("registry: get bidder %d: %w", id, mapErr(err))
	}
	return b, nil
}

// CreateBidderToken issues a bidder token linked to a registered bidder.
func (s *Store) CreateBidderToken(ctx context.Context, bidderID int64, name string, ttl time.Duration) (string, error) {
	var token string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		token, err = insertBidderToken(ctx, tx, bidderID, name, ttl)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("registry: create bidder token: %w", err)
	}
	return token, nil
}

func insertBidderToken(ctx context.Context, tx pgx.Tx, bidderID int64, name string, ttl time.Duration) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	var expires *time.Duration
	if ttl > 0 {
		expires = &ttl
	}
	_, err = tx.Exec(ctx, `INSERT INTO api_token (name, role, digest, expires_at, bidder_id)
		VALUES ($1, 'bidder', $2, now() + $3::interval, $4)`, name, digest(token), expires, bidderID)
	if err != nil {
		return "", err
	}
	return token, nil
}
