package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TokenInfo describes a token without its secret: what `token list` shows.
type TokenInfo struct {
	ID        int64      `json:"id"`
	Role      string     `json:"role"`
	Name      string     `json:"name"`
	BidderID  *int64     `json:"bidder_id,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// LastUsedAt is when a server last authenticated the token from the
	// database, to the minute; nil when it never was.
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Tokens lists every token, revoked and expired ones too, by id.
func (s *Store) Tokens(ctx context.Context) ([]TokenInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, role, name, bidder_id, created_at, expires_at, revoked_at, last_used_at
		FROM api_token ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("registry: tokens: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TokenInfo])
	if err != nil {
		return nil, fmt.Errorf("registry: tokens: %w", mapErr(err))
	}
	return out, nil
}

// TokenID returns the id of a token, for the command line to print next to
// the token it has just made.
func (s *Store) TokenID(ctx context.Context, token string) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT id FROM api_token WHERE digest = $1`, digest(token)).Scan(&id); err != nil {
		return 0, fmt.Errorf("registry: token id: %w", mapErr(err))
	}
	return id, nil
}
