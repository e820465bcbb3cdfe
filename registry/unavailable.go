package registry

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable is returned when the database cannot be reached or is
// shutting down or starting up. It is temporary: callers answer 503 with
// Retry-After, and the pool reconnects by itself once the server is back.
var ErrUnavailable = errors.New("database unavailable")

// unavailable reports whether err means the database is down rather than
// that the request was wrong.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-57P03: admin shutdown,
		// crash shutdown, cannot connect now; 53300: too many connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" ||
			pe.Code == "57P03" || pe.Code == "53300"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	// pgconn.ErrConnClosed: the driver closed the connection under the
	// statement (the socket went away, or a cancelled query left it unusable).
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || pgconn.SafeToRetry(err) ||
		errors.Is(err, pgconn.ErrConnClosed)
}

// asUnavailable wraps err as ErrUnavailable when it means the database is
// down.
func asUnavailable(err error) error {
	if err != nil && !errors.Is(err, ErrUnavailable) && unavailable(err) {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return err
}
