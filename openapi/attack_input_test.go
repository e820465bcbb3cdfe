package openapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"minerights/auction"
	"minerights/internal/apitest"
	"minerights/internal/money"
	"minerights/openapi"
)

// attackCase is one hostile request and what must come back: a 4xx with
// the problem's location and words, and nothing stored.
type attackCase struct {
	name   string
	method string
	path   string
	role   string // "bureau", "planner" or "" for anonymous
	ctype  string // "" sends no Content-Type
	body   string
	status int
	loc    string // a substring of one error location, when not empty
	text   string // a substring of the problem's text, when not empty
}

// TestAttackInput sends the inputs that answered 500, or were stored
// against the rules, through the production handler stack (issue 10,
// findings 4, 5 and 9): each is now a 4xx problem naming the field, in
// Chinese where this service words it, and changes nothing.
func TestAttackInput(t *testing.T) {
	t.Parallel()
	srv, db, tokens := server(t)
	over := money.MaxAmountYuan + 1
	parcel := func(mod func(map[string]any)) string { return string(with(mod)) }
	rawParcel := func(extra string) string {
		// a valid registration with raw JSON members added at its start
		return "{" + extra + "," + strings.TrimPrefix(parcel(func(map[string]any) {}), "{")
	}
	bigText := strings.Repeat("异", 250000)
	cornersTXT := strings.Repeat("J1,1,3626000.000,38500000.000\n", (9<<20)/30)
	props := make([]string, 51)
	for i := range props {
		props[i] = "name"
	}
	cases := []attackCase{
		// 4: money beyond the bound is 422 naming the field, before anything is stored.
		{name: "parcel price 1e16", method: "POST", path: "/api/v1/parcels", role: "bureau", ctype: "application/json",
			body: parcel(func(p map[string]any) { p["starting_price_yuan"] = int64(1e16) }), status: 422, loc: "body.starting_price_yuan"},
		{name: "parcel price bound+1", method: "POST", path: "/api/v1/parcels", role: "bureau", ctype: "application/json",
			body: parcel(func(p map[string]any) { p["starting_price_yuan"] = over }), status: 422, loc: "body.starting_price_yuan"},
		{name: "patch price", method: "PATCH", path: "/api/v1/parcels/1", role: "bureau", ctype: "application/json",
			body: fmt.Sprintf(`{"starting_price_yuan":%d}`, over), status: 422, loc: "body.starting_price_yuan"},
		{name: "sale increment", method: "POST", path: "/api/v1/sales", role: "bureau", ctype: "application/json",
			body: fmt.Sprintf(`{"parcel_id":1,"increment":%d,"deposit":1}`, over), status: 422, loc: "body.increment"},
		{name: "sale deposit", method: "POST", path: "/api/v1/sales", role: "bureau", ctype: "application/json",
			body: fmt.Sprintf(`{"parcel_id":1,"increment":1,"deposit":%d}`, over), status: 422, loc: "body.deposit"},
		{name: "sale reserve", method: "POST", path: "/api/v1/sales", role: "bureau", ctype: "application/json",
			body: fmt.Sprintf(`{"parcel_id":1,"increment":1,"deposit":1,"reserve":%d}`, over), status: 422, loc: "body.reserve"},
		{name: "reoffer increment", method: "POST", path: "/api/v1/sales/1/reoffer", role: "bureau", ctype: "application/json",
			body: fmt.Sprintf(`{"increment":%d,"deposit":1}`, over), status: 422, loc: "body.increment"},
		{name: "deposit payment", method: "POST", path: "/api/v1/sales/1/deposits", role: "bureau", ctype: "application/json",
			body: fmt.Sprintf(`{"bidder_id":1,"amount":%d}`, over), status: 422, loc: "body.amount"},
		{name: "contract payment", method: "POST", path: "/api/v1/sales/1/payments", role: "bureau", ctype: "application/json",
			body: fmt.Sprintf(`{"amount":%d}`, over), status: 422, loc: "body.amount"},
		{name: "contract instalment", method: "POST", path: "/api/v1/sales/1/contract", role: "bureau", ctype: "application/json",
			body: fmt.Sprintf(`{"schedule":"lump_sum","instalments":[{"due":"2026-09-30","amount":%d}]}`, over), status: 422, loc: "body.instalments[0].amount"},

		// 5: keys that collide under case folding are refused, at any depth.
		{name: "parcel name and Name", method: "POST", path: "/api/v1/parcels", role: "bureau", ctype: "application/json",
			body: rawParcel(`"Name":"` + strings.Repeat("名", 10000) + `"`), status: 422, loc: "body.name", text: "大小写"},
		{name: "objection text and Text", method: "POST", path: "/api/v1/sales/1/objections", role: "planner", ctype: "application/json",
			body: `{"text":"ok","Text":"` + bigText + `"}`, status: 422, loc: "body.Text", text: "大小写"},
		{name: "nested reserve commodity", method: "POST", path: "/api/v1/parcels", role: "bureau", ctype: "application/json",
			body: parcel(func(p map[string]any) {
				p["reserves"] = []map[string]any{{"commodity": "灰岩", "COMMODITY": "x", "quantity": "1", "unit": "万吨"}}
			}), status: 422, loc: "body.reserves[0]"},
		{name: "long s folds with s", method: "POST", path: "/api/v1/parcels", role: "bureau", ctype: "application/json",
			body: rawParcel(`"ba\u017fis":"reconnaissance"`), status: 422, loc: "body.basis"},
		{name: "same key twice", method: "POST", path: "/api/v1/parcels", role: "bureau", ctype: "application/json",
			body: rawParcel(`"mineral":"x"`), status: 422, loc: "body.mineral"},
		{name: "no content type", method: "POST", path: "/api/v1/sales/1/objections", role: "planner",
			body: `{"text":"ok","TEXT":"x"}`, status: 422, loc: "body.TEXT"},

		// 9: NUL and bytes that are not UTF-8, in bodies, keys, paths and queries.
		{name: "NUL in a JSON string", method: "POST", path: "/api/v1/parcels", role: "bureau", ctype: "application/json",
			body: parcel(func(p map[string]any) { p["name"] = "测试\u0000矿" }), status: 422, loc: "body.name", text: "U+0000"},
		{name: "NUL in a JSON key", method: "POST", path: "/api/v1/parcels", role: "bureau", ctype: "application/json",
			body: rawParcel(`"na\u0000me":"x"`), status: 422, text: "U+0000"},
		{name: "not UTF-8, no content type", method: "POST", path: "/api/v1/parcels", role: "bureau",
			body: rawParcel("\"statement\":\"\xff\xfe\""), status: 400, text: "UTF-8"},
		{name: "NUL in a query value", method: "GET", path: "/api/v1/parcels?county=%00", status: 400, text: "U+0000"},
		{name: "not UTF-8 in a query value", method: "GET", path: "/api/v1/parcels?mineral=%ff", status: 400, text: "UTF-8"},
		{name: "NUL in an OGC queryable", method: "GET", path: "/ogc/collections/parcels/items?name=%00", status: 400},
		{name: "NUL in a query name", method: "GET", path: "/api/v1/sales?%00=1", status: 400},
		{name: "NUL in a layer name", method: "GET", path: "/ogc/collections/a%00b/items", status: 400},
		{name: "corners over 8 MiB", method: "PUT", path: "/api/v1/parcels/1/corners", role: "bureau", ctype: "text/plain",
			body: cornersTXT, status: 413},

		// 9: OGC parameters.
		{name: "featureId not a number", method: "GET", path: "/ogc/collections/parcels/items/abc", status: 404},
		{name: "featureId too long", method: "GET", path: "/ogc/collections/parcels/items/99999999999999999999999", status: 404},
		{name: "datetime", method: "GET", path: "/ogc/collections/parcels/items?datetime=2026-01-01T00:00:00Z", status: 400, text: "datetime"},
		{name: "51 properties", method: "GET", path: "/ogc/collections/parcels/items?properties=" + strings.Join(props, ","), status: 400, text: "50"},
		{name: "CQL2 longitude 500", method: "GET", path: "/ogc/collections/parcels/items?filter=" +
			urlq("S_INTERSECTS(geometry, POINT(500 30))"), status: 400, text: "经度"},
		{name: "CQL2 in EPSG:4526 outside its domain", method: "GET", path: "/ogc/collections/parcels/items?filter-crs=" +
			urlq("http://www.opengis.net/def/crs/EPSG/0/4526") + "&filter=" + urlq("S_INTERSECTS(geometry, POINT(1e12 1e12))"), status: 400, text: "EPSG:4526"},
		{name: "CQL2 polygon in EPSG:4526 far west", method: "GET", path: "/ogc/collections/counties/items?filter-crs=" +
			urlq("http://www.opengis.net/def/crs/EPSG/0/4526") + "&filter=" + urlq("S_DISJOINT(geometry, POLYGON((3600000 0, 3600000 1, 3600001 1, 3600000 0)))"), status: 400, text: "EPSG:4526"},
	}
	before := countRows(t, db.Pool, "parcel")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{}
			if tc.ctype != "" {
				hdr = append(hdr, "Content-Type", tc.ctype)
			}
			r := send(t, srv.URL, tc.method, tc.path, tokens[tc.role], tc.body, hdr...)
			checkProblem(t, r, tc)
		})
	}
	if after := countRows(t, db.Pool, "parcel"); after != before {
		t.Errorf("parcels: %d before, %d after: a refused request stored one", before, after)
	}

	// The same registration without the attack goes through the same stack.
	r := send(t, srv.URL, "POST", "/api/v1/parcels", tokens["bureau"], parcel(func(map[string]any) {}), "Content-Type", "application/json")
	if r.Status != http.StatusCreated {
		t.Fatalf("a valid parcel: %d %s", r.Status, r.Body)
	}
	var p openapi.Parcel
	if err := json.Unmarshal(r.Body, &p); err != nil || p.StartingPrice.Capital == "" {
		t.Fatalf("a valid parcel: %v %s", err, r.Body)
	}
}

// send is apitest.Do with the Content-Type left to the caller.
func send(t *testing.T, base, method, path, token, body string, hdr ...string) apitest.Reply {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apitest.Reply{Status: res.StatusCode, Header: res.Header, Body: b}
}

func checkProblem(t *testing.T, r apitest.Reply, tc attackCase) {
	t.Helper()
	if r.Status != tc.status {
		t.Fatalf("status %d, want %d: %.400s", r.Status, tc.status, r.Body)
	}
	var p problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("not a problem: %v: %.200s", err, r.Body)
	}
	text := p.text()
	for _, leak := range []string{"SQLSTATE", "invalid input syntax", "pq:", "ERROR:"} {
		if strings.Contains(text, leak) {
			t.Errorf("the problem shows database text %q: %s", leak, text)
		}
	}
	if tc.text != "" && !strings.Contains(text, tc.text) {
		t.Errorf("problem %q does not say %q", text, tc.text)
	}
	if tc.loc != "" {
		found := false
		for _, e := range p.Errors {
			found = found || strings.Contains(e.Location, tc.loc)
		}
		if !found {
			t.Errorf("no error at %q: %s", tc.loc, text)
		}
	}
}

func urlq(s string) string {
	r := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", ",", "%2C", ":", "%3A", "/", "%2F", "+", "%2B")
	return r.Replace(s)
}

func countRows(t *testing.T, pool interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, table string) int64 {
	t.Helper()
	tag, err := pool.Exec(context.Background(), "SELECT 1 FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	return tag.RowsAffected()
}

// TestMoneyColumnsBounded: every money column of the schema (a bigint
// named *_yuan) has a CHECK that holds it to money.MaxAmountYuan, which is
// the API's maximum and the transfer rules' MaxAmount; a new money column
// without one fails this test.
func TestMoneyColumnsBounded(t *testing.T) {
	t.Parallel()
	if money.MaxAmountYuan != auction.MaxAmount {
		t.Fatalf("money.MaxAmountYuan %d, auction.MaxAmount %d", money.MaxAmountYuan, auction.MaxAmount)
	}
	srv, db, _ := server(t)
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT c.table_name, c.column_name,
			EXISTS (SELECT 1 FROM pg_constraint k
				WHERE k.conrelid = (quote_ident(c.table_name))::regclass AND k.contype = 'c'
				AND k.conname = c.table_name || '_' || c.column_name || '_bound'
				AND pg_get_constraintdef(k.oid) LIKE '%1000000000000000%')
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema = 'public' AND c.data_type = 'bigint' AND c.column_name LIKE '%yuan'
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var table, column string
		var bounded bool
		if err := rows.Scan(&table, &column, &bounded); err != nil {
			t.Fatal(err)
		}
		n++
		if !bounded {
			t.Errorf("%s.%s has no CHECK (%s <= %d) named %s_%s_bound", table, column, column, money.MaxAmountYuan, table, column)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("found only %d money columns", n)
	}
	// The database refuses what the API would: an amount beyond the bound
	// is a check violation, not a stored row.
	_, err = db.Pool.Exec(ctx, `UPDATE parcel SET starting_price_yuan = $1 WHERE id = (SELECT min(id) FROM parcel)`, money.MaxAmountYuan+1)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23514" {
		t.Fatalf("a price of %d 元 was not refused by the database: %v", money.MaxAmountYuan+1, err)
	}
	// At the bound, the public list writes the price in capitals.
	if _, err := db.Pool.Exec(ctx, `UPDATE parcel SET starting_price_yuan = $1 WHERE id = (SELECT min(id) FROM parcel)`, money.MaxAmountYuan); err != nil {
		t.Fatal(err)
	}
	r := send(t, srv.URL, "GET", "/api/v1/parcels", "", "")
	if r.Status != 200 || !strings.Contains(string(r.Body), "壹仟万亿元整") {
		t.Fatalf("list with a price at the bound: %d %.300s", r.Status, r.Body)
	}
}

// moneyName is a request field that holds an amount of money.
var moneyName = regexp.MustCompile(`^(amount|deposit|increment|reserve|price)$|_yuan$`)

// TestMoneyFieldsBounded: every money field of every request body in the
// OpenAPI document has maximum money.MaxAmountYuan (and a minimum), so a
// new money field without its bound fails here.
func TestMoneyFieldsBounded(t *testing.T) {
	api := openapi.New(http.NewServeMux(), openapi.Deps{})
	reg := api.OpenAPI().Components.Schemas
	found := 0
	seen := map[*huma.Schema]bool{}
	var walk func(where string, s *huma.Schema)
	walk = func(where string, s *huma.Schema) {
		if s == nil {
			return
		}
		if s.Ref != "" {
			s = reg.SchemaFromRef(s.Ref)
		}
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for name, p := range s.Properties {
			if p.Ref == "" && p.Type == huma.TypeInteger && moneyName.MatchString(name) {
				found++
				if p.Maximum == nil || *p.Maximum != float64(money.MaxAmountYuan) || p.Minimum == nil {
					t.Errorf("%s.%s: minimum %v, maximum %v; want a maximum of %d", where, name, p.Minimum, p.Maximum, money.MaxAmountYuan)
				}
			}
			walk(where+"."+name, p)
		}
		walk(where+"[]", s.Items)
	}
	for path, item := range api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Post, item.Put, item.Patch} {
			if op == nil || op.RequestBody == nil {
				continue
			}
			for _, mt := range op.RequestBody.Content {
				clear(seen)
				walk(op.OperationID+" "+path, mt.Schema)
			}
		}
	}
	t.Logf("%d money fields in request bodies", found)
	if found < 12 {
		t.Fatalf("found %d money fields in request bodies", found)
	}
}
