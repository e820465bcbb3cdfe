package openapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/danielgtaylor/huma/v2"

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
	if details := geoDetails(err, "body.geometry"); details != nil {
		return huma.Error422UnprocessableEntity("the geometry is not acceptable: "+err.Error(), details...)
	}
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return huma.Error404NotFound("no such record")
	case errors.Is(err, registry.ErrConflict):
		return huma.Error409Conflict(conflictText(err))
	case errors.Is(err, context.Canceled):
		return huma.NewError(499, "request cancelled")
	}
	slog.ErrorContext(ctx, "internal error", "err", err)
	return huma.Error500InternalServerError("internal error")
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
