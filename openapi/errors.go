package openapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/geo"
	"minerights/registry"
)

// toProblem maps a domain error to an RFC 9457 problem. Anything it does not
// recognise is a 500 whose body says only "internal error": the cause goes to
// the log, never to the client, because it may carry SQL.
func toProblem(ctx context.Context, err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		return err
	}
	var ve *registry.ValidationError
	if errors.As(err, &ve) {
		return huma.Error422UnprocessableEntity("the request has an invalid field: "+ve.Error(),
			&huma.ErrorDetail{Location: "body." + ve.Field, Message: ve.Reason})
	}
	var re *auction.RuleError
	if errors.As(err, &re) {
		// A refusal by the transfer rules: the status says what kind, the
		// detail names the rule, and the minimum bid or the time to retry
		// where the bidder needs it to act.
		d := &huma.ErrorDetail{Location: "rule", Message: re.Rule}
		status := http.StatusConflict
		switch {
		case errors.Is(err, auction.ErrRateLimited):
			status = http.StatusTooManyRequests
		case errors.Is(err, auction.ErrNotApplied), errors.Is(err, auction.ErrNotQualified),
			errors.Is(err, auction.ErrDepositUnpaid), errors.Is(err, auction.ErrNoQuoteInListing),
			errors.Is(err, auction.ErrBarred):
			status = http.StatusForbidden
		case errors.Is(err, auction.ErrBidTooLow):
			status, d = http.StatusUnprocessableEntity, &huma.ErrorDetail{Location: "body.amount", Message: re.Msg, Value: re.Min}
		case errors.Is(err, auction.ErrInvalidAmount):
			status, d = http.StatusUnprocessableEntity, &huma.ErrorDetail{Location: "body.amount", Message: re.Msg}
		case errors.Is(err, auction.ErrInvalidTerms), errors.Is(err, auction.ErrInvalidReserve),
			errors.Is(err, auction.ErrInvalidWindows), errors.Is(err, auction.ErrRequired),
			errors.Is(err, auction.ErrCalendarNotLoaded), errors.Is(err, auction.ErrUnknownObjection):
			status = http.StatusUnprocessableEntity
		}
		msg, details := re.Msg, []error{d}
		if errors.Is(err, auction.ErrCalendarNotLoaded) {
			msg += calendarHint(re.Years)
			for _, y := range re.Years {
				details = append(details, &huma.ErrorDetail{Location: fmt.Sprintf("calendar.%d", y),
					Message: fmt.Sprintf("the working-day calendar for %d is not loaded: PUT /api/v1/calendars/%d", y, y)})
			}
		}
		pe := huma.NewError(status, msg, details...)
		if !re.After.IsZero() {
			secs := max(int(math.Ceil(time.Until(re.After).Seconds())), 1)
			return huma.ErrorWithHeaders(pe, http.Header{"Retry-After": {strconv.Itoa(secs)}})
		}
		return pe
	}
	if details := geoDetails(err, "body.geometry"); details != nil {
		return huma.Error422UnprocessableEntity("the geometry is not acceptable: "+err.Error(), details...)
	}
	switch {
	case errors.Is(err, registry.ErrIdempotencyMismatch):
		return huma.Error422UnprocessableEntity("this Idempotency-Key was already used for a different bid; use a new key for a new bid",
			&huma.ErrorDetail{Location: "header.Idempotency-Key", Message: "reused with a different request"})
	case errors.Is(err, registry.ErrNotCompliant):
		_, why, _ := strings.Cut(err.Error(), registry.ErrNotCompliant.Error()+": ")
		return huma.Error409Conflict("the parcel cannot be offered until it passes the compliance check: "+why,
			&huma.ErrorDetail{Location: "parcel", Message: "the parcel has not passed the compliance check"})
	case errors.Is(err, auction.ErrInvalidCalendar):
		// The years in force do not fit together: a year loaded into the
		// database disagrees with a file of this server.
		var ce *auction.CalendarError
		loc, why := "calendar", "calendars disagree"
		if errors.As(err, &ce) {
			why = ce.Error()
			if ce.Year != 0 {
				loc = fmt.Sprintf("calendar.%d", ce.Year)
			}
		}
		return huma.Error409Conflict("the working-day calendars in force (this server's files and the years loaded into the database) disagree, so no working day can be counted: "+
			why+"; load the year again with PUT /api/v1/calendars/{year} so that it agrees with its neighbours",
			&huma.ErrorDetail{Location: loc, Message: why})
	case errors.Is(err, registry.ErrNotFound):
		return huma.Error404NotFound("no such record")
	case errors.Is(err, registry.ErrConflict):
		return huma.Error409Conflict(conflictText(err))
	case errors.Is(err, context.Canceled):
		return huma.NewError(499, "request cancelled")
	case errors.Is(err, registry.ErrUnavailable):
		slog.WarnContext(ctx, "database unavailable", "err", err)
		return unavailable()
	case errors.Is(err, registry.ErrBusy), errors.Is(err, context.DeadlineExceeded):
		return huma.ErrorWithHeaders(huma.Error503ServiceUnavailable(busyText), http.Header{"Retry-After": {busyRetryAfter}})
	}
	slog.ErrorContext(ctx, "internal error", "err", err)
	return huma.Error500InternalServerError("internal error")
}

// retryAfter is how long clients are asked to wait while the database is
// unreachable: the pool reconnects on the next request after it is back.
const retryAfter = "2"

// unavailable is a 503 with Retry-After.
func unavailable() error {
	return huma.ErrorWithHeaders(huma.Error503ServiceUnavailable("the database is unavailable; retry shortly"),
		http.Header{"Retry-After": {retryAfter}})
}

// conflictText keeps the domain part of a wrapped conflict, the text after
// "conflict: ", which names the clash without any SQL.
func conflictText(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, registry.ErrConflict.Error()+": "); i >= 0 {
		return msg[i+len(registry.ErrConflict.Error())+2:]
	}
	return "the request conflicts with the current state"
}

// geoDetails turns every geo.Error in err into a problem detail at loc; nil
// when err carries none.
func geoDetails(err error, loc string) []error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		var ge *geo.Error
		if errors.As(e, &ge) && ge == e {
			out = append(out, &huma.ErrorDetail{Location: loc, Message: ge.Error()})
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if u := errors.Unwrap(e); u != nil {
			walk(u)
			return
		}
		if errors.As(e, &ge) {
			out = append(out, &huma.ErrorDetail{Location: loc, Message: ge.Error()})
		}
	}
	walk(err)
	return out
}

// invalid is a 422 naming one input location.
func invalid(loc, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return huma.Error422UnprocessableEntity(msg, &huma.ErrorDetail{Location: loc, Message: msg})
}
