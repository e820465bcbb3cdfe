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

// Store reads and writes the registry. Its methods are safe for concurrent
// use; each public method runs in its own transaction.
type Store struct {
	pool     *pgxpool.Pool
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

// Pool exposes the pool for health checks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

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
	return mapErr(pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, fn))
}

// readTx runs fn in a read-only transaction on the replica when it is
// healthy, else on the primary.
func (s *Store) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return mapErr(pgx.BeginTxFunc(ctx, s.reader(), pgx.TxOptions{AccessMode: pgx.ReadOnly}, fn))
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
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, constraintText(pe))
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
