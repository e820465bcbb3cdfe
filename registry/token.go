package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Roles a token can carry. Anonymous callers have no token and see only
// published data.
const (
	RoleBureau  = "bureau"
	RoleBidder  = "bidder"
	RolePlanner = "planner"
)

// tokenPrefix marks minerights tokens so that a leaked one is recognisable.
const tokenPrefix = "mrt_"

// Principal is the caller a token stands for.
type Principal struct {
	TokenID int64
	Name    string
	Role    string
	// BidderID is the bidder a bidder token acts for; nil for other roles
	// and for bidder tokens not linked to a registered bidder.
	BidderID *int64
	// AccountID is the account of a browser session; 0 for an API token.
	AccountID int64
	// CSRF is the session's token that a page sends back with every change
	// (X-CSRF-Token); empty for an API token.
	CSRF string
	// Pending is true for a bidder account the bureau has not approved yet:
	// it may read but not apply (BidderID stays nil).
	Pending bool
	// ExpiresAt is when the token lapses; nil for never.
	ExpiresAt *time.Time
}

func digest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// CreateToken stores a new token for role and returns it; only its digest is
// kept, so the token is shown this once. A zero ttl never expires.
func (s *Store) CreateToken(ctx context.Context, role, name string, ttl time.Duration) (string, error) {
	switch role {
	case RoleBureau, RoleBidder, RolePlanner:
	default:
		return "", &ValidationError{Field: "role", Reason: fmt.Sprintf("unknown role %q: use bureau, bidder or planner", role)}
	}
	token, err := newToken()
	if err != nil {
		return "", err
	}
	var expires *time.Duration
	if ttl > 0 {
		expires = &ttl
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_token (name, role, digest, expires_at)
			VALUES ($1, $2, $3, now() + $4::interval)`, name, role, digest(token), expires)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("registry: create token: %w", err)
	}
	return token, nil
}

func newToken() (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// Authenticate returns the principal of a valid token, or ErrUnauthenticated
// for a token that is unknown, revoked or expired.
func (s *Store) Authenticate(ctx context.Context, token string) (Principal, error) {
	var p Principal
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		return p, ErrUnauthenticated
	}
	// The use is recorded for `token list`, at most once a minute per token
	// so that authenticating stays a read for the most part.
	err := s.pool.QueryRow(ctx, `WITH t AS (SELECT id, name, role, bidder_id, expires_at FROM api_token
			WHERE digest = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())),
		used AS (UPDATE api_token a SET last_used_at = now() FROM t
			WHERE a.id = t.id AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute'))
		SELECT id, name, role, bidder_id, expires_at FROM t`,
		digest(token)).Scan(&p.TokenID, &p.Name, &p.Role, &p.BidderID, &p.ExpiresAt)
	if err != nil {
		if err = mapErr(err); err == ErrNotFound {
			return p, ErrUnauthenticated
		}
		return p, fmt.Errorf("registry: authenticate: %w", err)
	}
	return p, nil
}

// RevokeToken makes a token unusable from now on, and tells every process
// (ChannelTokens) to forget the tokens it remembers.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, ChannelTokens, strconv.FormatInt(id, 10))
		return err
	})
	if err != nil {
		return fmt.Errorf("registry: revoke token %d: %w", id, err)
	}
	return nil
}
