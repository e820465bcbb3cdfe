// Package apitest holds what the HTTP tests of several packages share: a
// request helper for the API and the shortened drill rules.
package apitest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"minerights/auction"
	"minerights/data"
)

// Reply is an HTTP answer read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Reply) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends method path to the API at base with a bearer token (none when
// empty), a JSON body (none when empty) and extra headers as name, value
// pairs, and reads the whole answer.
func Do(c *http.Client, base, method, path, token, body string, hdr ...string) (Reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return Reply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return Reply{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

// DrillRules returns the shipped drill rules named "test", changed by edit,
// for tests that run whole sales in seconds.
func DrillRules(t testing.TB, edit func(*auction.Rules)) auction.Rules {
	t.Helper()
	b, ok := data.Rules("drill")
	if !ok {
		t.Fatal("no drill rules")
	}
	r, err := auction.ParseRules(b)
	if err != nil {
		t.Fatal(err)
	}
	r.Name = "test"
	edit(&r)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	return r
}

// TakenOverStream opens GET path (an event stream) on the API at base over
// a connection of its own, reads the response head and fails t unless the
// stream was taken over from the HTTP server by its sale's hall: 200, no
// chunked encoding, the body delimited by the connection's close. The
// connection is closed when the test ends; res.Body reads the stream.
func TakenOverStream(t testing.TB, base, path string) (net.Conn, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || len(res.TransferEncoding) > 0 || !res.Close || res.ContentLength != -1 {
		t.Fatalf("the stream was not taken over by its hall: %d, transfer-encoding %v, close %v, length %d",
			res.StatusCode, res.TransferEncoding, res.Close, res.ContentLength)
	}
	return conn, res
}
