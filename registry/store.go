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
	"slices"

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
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, machines: &machineCache{}, audit: newAuditCache()}
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
	if err := loadMigrations(m, fsys); err != nil {
		return fmt.Errorf("registry: migrate: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("registry: migrate: %w", err)
	}
	return nil
}

// loadMigrations hands tern the NNN_name.sql files of fsys in the order of
// their numbers. Unlike tern's LoadMigrations it allows gaps in the numbers:
// work on a branch takes a number reserved for it, and the numbers are made
// contiguous when branches merge. Two files with one number are refused.
func loadMigrations(m *migrate.Migrator, fsys fs.FS) error {
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return err
	}
	seen := map[int]string{}
	type file struct {
		n    int
		name string
	}
	var list []file
	for _, f := range files {
		var n int
		if _, err := fmt.Sscanf(f, "%d_", &n); err != nil || n <= 0 {
			return fmt.Errorf("migration %s: the name must start with its number, as 009_name.sql", f)
		}
		if other, ok := seen[n]; ok {
			return fmt.Errorf("migrations %s and %s have the same number", other, f)
		}
		seen[n] = f
		list = append(list, file{n, f})
	}
	slices.SortFunc(list, func(a, b file) int { return a.n - b.n })
	for _, f := range list {
		b, err := fs.ReadFile(fsys, f.name)
		if err != nil {
			return err
		}
		m.AppendMigration(f.name, string(b), "")
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
