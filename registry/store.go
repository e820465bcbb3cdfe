// Package registry is the system of record of minerights on PostgreSQL +
// PostGIS: counties, parcels, API tokens, and later layers, compliance
// reports, sales, bids and the audit log. It is the only package that speaks
// to the database; it turns PostgreSQL errors into the domain errors below so
// that nothing above it sees SQLSTATE codes.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

// ErrNotFound is returned when the requested record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write collides with existing data, such as a
// second parcel with the same gazette number.
var ErrConflict = errors.New("conflict")

// ErrUnauthenticated is returned for an unknown, revoked or expired token.
var ErrUnauthenticated = errors.New("unauthenticated")

// ValidationError names the input field a clerk has to correct.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// ErrBusy is returned when a public read was stopped by its statement
// timeout: the query costs more than the public pool grants one request
// (a filter or bbox too wide for the load of the moment). Callers answer
// 503 with Retry-After and say how to narrow the request.
var ErrBusy = errors.New("public read stopped by its statement timeout")

// Store reads and writes the registry. Its methods are safe for concurrent
// use; each public method runs in its own transaction.
//
// It holds up to three pools. pool, on the primary, carries bids, sale
// transitions, the scheduler and every authenticated caller; public, also on
// the primary, carries what anonymous callers read (see PublicRead), with a
// statement timeout; replica, when healthy, carries the public reads that
// tolerate lag. So anonymous load can fill the public pool and no more: it
// never waits in front of a bid.
type Store struct {
	pool     *pgxpool.Pool
	public   *pgxpool.Pool
	replica  *replica
	machines *machineCache
	audit    *auditCache
	// notes gathers the change notifications of committed transactions
	// (see notify).
	notes *notifier
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, machines: &machineCache{}, audit: newAuditCache(), notes: newNotifier(pool)}
}

// WithPublicPool returns a Store that runs the reads of contexts marked
// with PublicRead on public instead of the bid pool. public should be small
// and have a statement timeout (see serve's --public-pool-size and
// --public-statement-timeout).
func (s *Store) WithPublicPool(public *pgxpool.Pool) *Store {
	c := *s
	c.public = public
	return &c
}

// Pool exposes the bid pool for health checks: it is the pool anonymous
// load cannot fill, so readiness answers fast whatever that load.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

type publicReadKey struct{}

// PublicRead marks ctx as an anonymous caller's: the store serves it from
// the public pool (when it has one), so that it cannot take the capacity
// that bids, sale transitions and the scheduler need.
func PublicRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, publicReadKey{}, true)
}

// IsPublicRead reports whether ctx was marked with PublicRead.
func IsPublicRead(ctx context.Context) bool {
	v, _ := ctx.Value(publicReadKey{}).(bool)
	return v
}

// db is the primary pool for ctx: the public pool for public reads, else
// the bid pool.
func (s *Store) db(ctx context.Context) *pgxpool.Pool {
	if s.public != nil && IsPublicRead(ctx) {
		return s.public
	}
	return s.pool
}

// Migrate applies the migrations in fsys to the database at url. tern takes
// a session advisory lock, so several processes may call it at once.
func Migrate(ctx context.Context, url string, fsys fs.FS) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("registry: migrate: connect: %w", err)
	}
	defer conn.Close(ctx)
	m, err := migrate.NewMigrator(ctx, conn, "schema_version")
	if err != nil {
		return fmt.Errorf("registry: migrate: %w", err)
	}
	if err := m.LoadMigrations(fsys); err != nil {
		return fmt.Errorf("registry: migrate: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("registry: migrate: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction and maps database errors to domain errors.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return mapErr(pgx.BeginTxFunc(ctx, s.db(ctx), pgx.TxOptions{}, fn))
}

// readTx runs fn in a read-only transaction on the replica when it is
// healthy, else on the primary.
func (s *Store) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return mapErr(pgx.BeginTxFunc(ctx, s.reader(ctx), pgx.TxOptions{AccessMode: pgx.ReadOnly}, fn))
}

// mapErr turns constraint violations into domain errors. Integrity
// violations that input validation should have caught become a
// ValidationError naming the constraint, never a 500.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if unavailable(err) {
		return asUnavailable(err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == "57014" && strings.Contains(pe.Message, "statement timeout") {
			return fmt.Errorf("%w: %s", ErrBusy, pe.Message)
		}
		switch pe.Code {
		case "23505":
			return Conflict("%s", constraintText(pe))
		case "23503":
			return &ValidationError{Field: fieldOf(pe), Reason: "refers to a record that does not exist"}
		case "23514", "23502", "22P02", "22003":
			return &ValidationError{Field: fieldOf(pe), Reason: constraintText(pe)}
		}
	}
	return err
}

func constraintText(pe *pgconn.PgError) string {
	if pe.ConstraintName != "" {
		return "violates rule " + pe.ConstraintName
	}
	return pe.Message
}

func fieldOf(pe *pgconn.PgError) string {
	if pe.ColumnName != "" {
		return pe.ColumnName
	}
	if pe.ConstraintName != "" {
		return pe.ConstraintName
	}
	return "input"
}
