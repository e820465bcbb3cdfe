package openapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"minerights/registry"
)

// specOperation is one operation of openapi.yaml with its access rule.
type specOperation struct {
	Method, Path, ID string
	Roles            []string
}

// specOperations reads every operation from the OpenAPI document, so that
// an endpoint added without an access rule fails the matrix.
func specOperations(t *testing.T) []specOperation {
	t.Helper()
	b, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string   `yaml:"operationId"`
			Roles       []string `yaml:"x-minerights-roles"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []specOperation
	for path, methods := range doc.Paths {
		for method, op := range methods {
			if op.OperationID == "" {
				continue // parameters shared by a path, not an operation
			}
			ops = append(ops, specOperation{Method: strings.ToUpper(method), Path: path, ID: op.OperationID, Roles: op.Roles})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].ID < ops[j].ID })
	return ops
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestAuthorizationMatrix: every operation × every role is allowed or
// refused exactly as its x-minerights-roles rule says. Refusal is 401 for
// an anonymous caller or a bad token and 403 for a token of another role;
// an allowed caller is never refused for who it is (it may still get 404 or
// 422 for the placeholder ids and empty bodies used here).
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	ops := specOperations(t)
	if len(ops) < 8 {
		t.Fatalf("only %d operations in openapi.yaml", len(ops))
	}
	callers := []struct{ name, role string }{
		{"public", ""},
		{"forged token", "mrt_forged"},
		{registry.RolePlanner, registry.RolePlanner},
		{registry.RoleBidder, registry.RoleBidder},
		{registry.RoleBureau, registry.RoleBureau},
	}
	for _, op := range ops {
		if len(op.Roles) == 0 {
			t.Errorf("%s (%s %s) has no access rule (x-minerights-roles)", op.ID, op.Method, op.Path)
			continue
		}
		for _, c := range callers {
			t.Run(op.ID+"/"+c.name, func(t *testing.T) {
				if strings.HasSuffix(op.Path, "/events") && c.role != "mrt_forged" && (slices.Contains(op.Roles, "public") || slices.Contains(op.Roles, c.role)) {
					t.Skip("an allowed event stream stays open; its access is tested with the sales")
				}
				path := pathParam.ReplaceAllString(op.Path, "1")
				var body []byte
				ctype := ""
				if op.Method != http.MethodGet && op.Method != http.MethodDelete && op.Method != http.MethodHead {
					body, ctype = []byte(`{}`), "application/json"
				}
				r := e.do(op.Method, path, c.role, ctype, body)
				allowed := slices.Contains(op.Roles, "public") || slices.Contains(op.Roles, c.role)
				switch {
				case c.role == "mrt_forged":
					if r.Status != http.StatusUnauthorized {
						t.Fatalf("forged token: %d, want 401", r.Status)
					}
				case allowed:
					if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden && !ruleRefusal(r.Body) {
						t.Fatalf("%s is allowed %v but got %d: %s", c.name, op.Roles, r.Status, r.Body)
					}
					if r.Status >= 500 {
						t.Fatalf("%d: %s", r.Status, r.Body)
					}
				case c.role == "":
					if r.Status != http.StatusUnauthorized {
						t.Fatalf("anonymous: %d, want 401", r.Status)
					}
				default:
					if r.Status != http.StatusForbidden {
						t.Fatalf("%s: %d, want 403 (allowed: %v)", c.name, r.Status, op.Roles)
					}
				}
			})
		}
	}
}

// ruleRefusal tells a 403 from the transfer rules (e.g. a bidder who has
// not paid the deposit) from a 403 for the caller's role.
func ruleRefusal(body []byte) bool { return !strings.Contains(string(body), "may not do this") }

// TestNoIdentityBeforeClose crawls every GET operation of the OpenAPI
// document, the OGC collections, the tiles and the event stream while a sale
// is in timed bidding, as the public, a planner, a bidder of another sale
// and a bidder of this sale: none of them sees another bidder's name.
func TestNoIdentityBeforeClose(t *testing.T) {
	rules := fast(t)
	rules.Countdown = 2 * time.Minute // the sale stays open while the test crawls
	x := newXfer(t, rules, 1)
	sale, _ := x.offer(3, `"method":"listing","increment":1000,"deposit":1000`)
	names := []string{"甲矿业有限公司ZX1", "乙建材有限公司ZX2", "丙石材有限公司ZX3"}
	var bidders []registered
	for _, n := range names {
		bidders = append(bidders, x.bidder(n))
	}
	outsider := x.bidder("丁旁观者ZX4")
	x.open(sale.ID, "listing", bidders...)
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)
	for _, b := range bidders {
		x.must(201, "POST", path+"/bids", b.token, `{"raise":1}`)
	}
	planner, err := x.db.Store.CreateToken(context.Background(), registry.RolePlanner, "规划科", 0)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, op := range specOperations(t) {
		if op.Method != http.MethodGet || strings.HasSuffix(op.Path, "/events") {
			continue
		}
		paths = append(paths, strings.ReplaceAll(strings.ReplaceAll(op.Path, "{id}", fmt.Sprint(sale.ID)), "{no}", "1"))
	}
	paths = append(paths, "/ogc/collections", "/ogc/collections/sales/items", "/ogc/collections/parcels/items",
		"/ogc/collections/sales/items?f=html", "/tiles/sales/0/0/0.mvt", "/tiles/parcels/8/212/104.mvt")
	callers := []struct {
		name, token string
		own         string // the caller's own name, which it may see
	}{
		{"public", "", ""}, {"planner", planner, ""}, {"bidder of another sale", outsider.token, "丁旁观者ZX4"},
		{"bidder of this sale", bidders[0].token, names[0]},
	}
	for _, c := range callers {
		for _, p := range paths {
			r := x.call(0, "GET", p, c.token, "")
			for _, n := range names {
				if n != c.own && strings.Contains(string(r.body), n) {
					t.Errorf("%s sees %q at %s (%d)", c.name, n, p, r.status)
				}
			}
		}
		// The live stream: read what a subscriber gets for a moment.
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "GET", x.urls[0]+path+"/events", nil)
		req.Header.Set("Last-Event-ID", "0")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if res, err := http.DefaultClient.Do(req); err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			for _, n := range names {
				if n != c.own && strings.Contains(string(b), n) {
					t.Errorf("%s sees %q in the event stream", c.name, n)
				}
			}
		}
		cancel()
	}
	if st := x.sale(sale.ID).State; st != "listing" && st != "timed_bidding" {
		t.Fatalf("the sale closed (%s) before the crawl ended: the test proves nothing", st)
	}
}
