package openapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
	"minerights/web"
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

// authenticate resolves the bearer token or, without one, the browser
// session cookie, and enforces the
// operation's roles: no or a bad token where one is needed is 401, a token of
// the wrong role is 403. A token that is sent must be valid even on a public
// operation, so that a client learns at once that its token is wrong.
//
// Valid tokens and sessions are remembered (see tokenCache); unknown,
// revoked and expired ones are never remembered. Ending a session, approving
// or disabling an account notify every process as a token revocation does.
// A change (any method but GET, HEAD, OPTIONS) made with the cookie must
// carry the session's CSRF token in X-CSRF-Token. A cookie that is no longer
// valid is ignored on public operations.
func (s *server) authenticate(api huma.API) func(huma.Context, func(huma.Context)) {
	tokens := newTokenCache(s.xfer.hub)
	return func(ctx huma.Context, next func(huma.Context)) {
		var need []string
		if op := ctx.Operation(); op != nil {
			need, _ = op.Metadata["roles"].([]string)
		}
		h := ctx.Header("Authorization")
		var token string
		cookie := false
		if h == "" {
			token = sessionCookie(ctx)
			cookie = token != ""
		}
		if h == "" && !cookie {
			if len(need) > 0 {
				ctx.SetHeader("WWW-Authenticate", `Bearer realm="minerights"`)
				_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "this operation needs a bearer token with role "+strings.Join(need, " or "))
				return
			}
			next(ctx)
			return
		}
		if !cookie {
			var ok bool
			token, ok = strings.CutPrefix(h, "Bearer ")
			if !ok {
				ctx.SetHeader("WWW-Authenticate", `Bearer realm="minerights"`)
				_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "the Authorization header must be 'Bearer <token>'")
				return
			}
			token = strings.TrimSpace(token)
		}
		p, ok := tokens.get(token, time.Now())
		var err error
		if !ok {
			epoch, _ := tokens.epoch()
			if cookie {
				p, err = s.store.SessionPrincipal(ctx.Context(), token)
			} else {
				p, err = s.store.Authenticate(ctx.Context(), token)
			}
			// A bidder account awaiting approval is not remembered, so that
			// the approval takes effect on its very next request.
			if err == nil && !p.Pending {
				tokens.put(token, p, time.Now(), epoch)
			}
		}
		if cookie && errors.Is(err, registry.ErrUnauthenticated) && len(need) == 0 {
			// A stale cookie does not stop anyone reading public data.
			next(ctx)
			return
		}
		if err != nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="minerights", error="invalid_token"`)
			if errors.Is(err, registry.ErrUnauthenticated) {
				if cookie {
					_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "the session has ended or expired: sign in again (会话已结束或已过期，请重新登录)",
						&huma.ErrorDetail{Location: "cookie." + web.SessionCookie, Message: "session-ended"})
					return
				}
				_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "the token is unknown, revoked or expired")
				return
			}
			s.log.Error("authenticate", "err", err)
			ctx.SetHeader("Retry-After", retryAfter)
			_ = huma.WriteErr(api, ctx, http.StatusServiceUnavailable, "authentication is unavailable; retry shortly")
			return
		}
		if cookie && !safeMethod(ctx.Method()) &&
			subtle.ConstantTimeCompare([]byte(ctx.Header(web.CSRFHeader)), []byte(p.CSRF)) != 1 {
			// A change made with the session cookie must prove it comes
			// from one of our pages, which alone know the session's token.
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, "a change made with the session cookie needs the session's "+web.CSRFHeader+" header (请求缺少有效的防伪令牌，请刷新页面后重试)",
				&huma.ErrorDetail{Location: "header." + web.CSRFHeader, Message: "csrf"})
			return
		}
		if len(need) > 0 && !slices.Contains(need, p.Role) {
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, "role "+p.Role+" may not do this; it needs role "+strings.Join(need, " or "))
			return
		}
		next(huma.WithValue(ctx, principalKey{}, p))
	}
}

// sessionCookie returns the session cookie's value, or "".
func sessionCookie(ctx huma.Context) string {
	raw := ctx.Header("Cookie")
	if raw == "" {
		return ""
	}
	cs, err := http.ParseCookie(raw)
	if err != nil {
		return ""
	}
	for _, c := range cs {
		if c.Name == web.SessionCookie && registry.IsSessionToken(c.Value) {
			return c.Value
		}
	}
	return ""
}

// safeMethod is a method that changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// A bid costs one transaction; looking its token up on every request was
// one more query on the same cores, for a token that does not change between
// a bidder's requests. So a process remembers valid tokens:
//
//   - with a hub that is listening, until a revocation is heard (RevokeToken
//     notifies every process) or tokenCacheLive has passed, whichever is
//     first; the hub losing its connection forgets everything;
//   - without one, or while it is not listening, for tokenCacheTTL, which
//     bounds how long a revoked token is still accepted;
//
// and never past the token's own expiry.
const (
	tokenCacheTTL  = 5 * time.Second
	tokenCacheLive = time.Minute
)

// tokenCache remembers valid tokens, keyed by the token's SHA-256 so that
// the cache holds no secret.
type tokenCache struct {
	hub *registry.Hub
	mu  sync.Mutex
	m   map[[sha256.Size]byte]cachedPrincipal
}

type cachedPrincipal struct {
	p     registry.Principal
	at    time.Time
	epoch uint64
}

func newTokenCache(hub *registry.Hub) *tokenCache {
	return &tokenCache{hub: hub, m: map[[sha256.Size]byte]cachedPrincipal{}}
}

// epoch is the hub's token epoch and how long an entry may serve.
func (c *tokenCache) epoch() (uint64, time.Duration) {
	if c.hub == nil {
		return 0, tokenCacheTTL
	}
	e, live := c.hub.TokenEpoch()
	if live {
		return e, tokenCacheLive
	}
	return e, tokenCacheTTL
}

func (c *tokenCache) get(token string, now time.Time) (registry.Principal, bool) {
	k := sha256.Sum256([]byte(token))
	epoch, ttl := c.epoch()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || e.epoch != epoch || now.Sub(e.at) >= ttl || (e.p.ExpiresAt != nil && !now.Before(*e.p.ExpiresAt)) {
		return registry.Principal{}, false
	}
	return e.p, true
}

// put remembers a token found valid; epoch is the one read before the
// lookup, so that a revocation heard during it is not missed.
func (c *tokenCache) put(token string, p registry.Principal, now time.Time, epoch uint64) {
	k := sha256.Sum256([]byte(token))
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 100_000 { // drop what has lapsed rather than grow without bound
		for k, e := range c.m {
			if now.Sub(e.at) >= tokenCacheLive {
				delete(c.m, k)
			}
		}
	}
	c.m[k] = cachedPrincipal{p: p, at: now, epoch: epoch}
}
