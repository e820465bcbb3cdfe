package openapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// access lists the roles an operation admits; no roles means anyone,
// including anonymous callers.
type access struct{ roles []string }

var public = access{}

func roles(r ...string) access { return access{roles: r} }

// rolesExtension names the OpenAPI extension that records, per operation, the
// roles allowed to call it, so that clients and the authorization test read
// the rule from the document itself.
const rolesExtension = "x-minerights-roles"

type principalKey struct{}

// principalFrom returns the caller; ok is false for an anonymous caller.
func principalFrom(ctx context.Context) (registry.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(registry.Principal)
	return p, ok
}

// register adds an operation with its access rule and routes every error the
// handler returns through toProblem.
func register[I, O any](api huma.API, op huma.Operation, a access, h func(context.Context, *I) (*O, error)) {
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	if len(a.roles) > 0 {
		op.Security = []map[string][]string{{"bearer": {}}}
		op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
		op.Extensions[rolesExtension] = a.roles
		op.Description = strings.TrimSpace(op.Description + "\n\nRequires a bearer token with role: " + strings.Join(a.roles, ", ") + ".")
	} else {
		op.Extensions[rolesExtension] = []string{"public"}
	}
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata["roles"] = a.roles
	huma.Register(api, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, toProblem(ctx, err)
		}
		return out, nil
	})
}

// authenticate resolves the bearer token, if any, and enforces the
// operation's roles: no or a bad token where one is needed is 401, a token of
// the wrong role is 403. A token that is sent must be valid even on a public
// operation, so that a client learns at once that its token is wrong.
func (s *server) authenticate(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		var need []string
		if op := ctx.Operation(); op != nil {
			need, _ = op.Metadata["roles"].([]string)
		}
		h := ctx.Header("Authorization")
		if h == "" {
			if len(need) > 0 {
				ctx.SetHeader("WWW-Authenticate", `Bearer realm="minerights"`)
				_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "this operation needs a bearer token with role "+strings.Join(need, " or "))
				return
			}
			next(ctx)
			return
		}
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="minerights"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "the Authorization header must be 'Bearer <token>'")
			return
		}
		p, err := s.store.Authenticate(ctx.Context(), strings.TrimSpace(token))
		if err != nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="minerights", error="invalid_token"`)
			if errors.Is(err, registry.ErrUnauthenticated) {
				_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "the token is unknown, revoked or expired")
				return
			}
			s.log.Error("authenticate", "err", err)
			ctx.SetHeader("Retry-After", retryAfter)
			_ = huma.WriteErr(api, ctx, http.StatusServiceUnavailable, "authentication is unavailable; retry shortly")
			return
		}
		if len(need) > 0 && !slices.Contains(need, p.Role) {
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, "role "+p.Role+" may not do this; it needs role "+strings.Join(need, " or "))
			return
		}
		next(huma.WithValue(ctx, principalKey{}, p))
	}
}
