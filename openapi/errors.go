package openapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
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
	var ise *registry.ParcelInSaleError
	if errors.As(err, &ise) {
		return parcelInSale(ise)
	}
	switch {
	case errors.Is(err, registry.ErrIdempotencyMismatch):
		return huma.Error422UnprocessableEntity("this Idempotency-Key was already used for a different bid; use a new key for a new bid",
			&huma.ErrorDetail{Location: "header.Idempotency-Key", Message: "reused with a different request"})
	case errors.Is(err, registry.ErrNotCompliant):
		var why string
		var nc *registry.NotCompliantError
		if errors.As(err, &nc) {
			why = nc.Reason
		}
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

// conflictText is the clash a conflict names (registry.ConflictError's
// reason, which carries no SQL), or a general statement when it names none.
func conflictText(err error) string {
	var ce *registry.ConflictError
	if errors.As(err, &ce) && ce.Reason != "" {
		return ce.Reason
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

// parcelInSale is the 409 for a change to a parcel that belongs to a sale,
// in words the clerk can act on: which sale, and what to do instead.
func parcelInSale(e *registry.ParcelInSaleError) error {
	var msg string
	switch e.State {
	case "draft":
		msg = fmt.Sprintf("地块 %d 已列入出让 %d（草稿），出让的起始价取自地块：草稿存续期间不得修改地块的起始价，也不得撤回地块（其他数据和界址在公告前仍可更正）。"+
			"如需修改起始价或撤回，请先终止出让 %d（POST /api/v1/sales/%d/termination），修改后重新创建出让。", e.ParcelID, e.SaleID, e.SaleID, e.SaleID)
	case "closed_sold", "confirmed", "publicity", "contracted":
		msg = fmt.Sprintf("地块 %d 已在出让 %d 中成交，成交地块为历史记录：其数据、界址和状态不得修改，也不得撤回或重新登记。", e.ParcelID, e.SaleID)
	case "":
		msg = fmt.Sprintf("地块 %d 属于出让 %d，其数据、界址和状态只能随该出让的流程变更。", e.ParcelID, e.SaleID)
	default:
		msg = fmt.Sprintf("地块 %d 正在出让 %d 中（已公告），自公告起地块的数据和界址不得直接修改，地块也不得撤回："+
			"竞价开始前的更正以补充公告发布（POST /api/v1/sales/%d/corrections），竞价开始后不得更改；确需停止出让的，请终止出让 %d。", e.ParcelID, e.SaleID, e.SaleID, e.SaleID)
	}
	return huma.Error409Conflict(msg, &huma.ErrorDetail{Location: "sale", Message: fmt.Sprintf("出让 %d", e.SaleID), Value: e.SaleID})
}
