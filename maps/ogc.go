package maps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"minerights/internal/problem"
	"minerights/registry"
)

// OGC API - Features limits on a page of items. The default suits GIS
// clients that read a whole layer (GDAL, QGIS): a page of 10 makes a
// thousand-feature layer a hundred requests; a page of 1,000 features is
// about a megabyte of GeoJSON. A larger limit is cut to the maximum, which
// the API definition (/ogc/api) documents.
const (
	ogcDefaultLimit = 1000
	ogcMaxLimit     = 10000
)

var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// format is the representation a client asked for: f=json|html, else the
// Accept header, else JSON.
func format(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("f"); f {
	case "json", "geojson", "application/json", "application/geo+json":
		return "json", nil
	case "html", "text/html":
		return "html", nil
	case "":
	default:
		return "", badParam("f", "format %q is not served; use f=json or f=html", f)
	}
	accept := r.Header.Get("Accept")
	html := strings.Index(accept, "text/html")
	if html < 0 {
		return "json", nil
	}
	for _, t := range []string{"application/json", "application/geo+json", "application/schema+json"} {
		if i := strings.Index(accept, t); i >= 0 && i < html {
			return "json", nil
		}
	}
	return "html", nil
}

// marshal writes JSON without HTML escaping, so links keep their & as is.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, ctype string, v any) {
	b, err := marshal(v)
	if err != nil {
		problem.Write(w, http.StatusInternalServerError, "internal error", "")
		return
	}
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write(b)
}

// self is the request's own URL with f set.
func (m *handlers) self(r *http.Request, f string) string {
	q := r.URL.Query()
	q.Set("f", f)
	return m.baseURL(r) + r.URL.Path + "?" + q.Encode()
}

func (m *handlers) landing(w http.ResponseWriter, r *http.Request) {
	f, err := format(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	base := m.baseURL(r)
	doc := map[string]any{
		"title":       "minerights map layers",
		"description": "Mining parcels with their status, compliance verdict and sale state, the check layers and the counties, as OGC API - Features.",
		"links": []link{
			{Href: m.self(r, "json"), Rel: "self", Type: "application/json", Title: "This document"},
			{Href: m.self(r, "html"), Rel: "alternate", Type: "text/html", Title: "This document as HTML"},
			{Href: base + "/ogc/api", Rel: "service-desc", Type: mediaTypeOAS30, Title: "The API definition of the map layers (OpenAPI 3.0)"},
			{Href: base + "/ogc/api?f=html", Rel: "service-doc", Type: "text/html", Title: "The API definition of the map layers as HTML"},
			{Href: base + "/docs", Rel: "describedby", Type: "text/html", Title: "The whole API's documentation (/openapi.json, OpenAPI 3.1)"},
			{Href: base + "/ogc/conformance", Rel: "conformance", Type: "application/json", Title: "Conformance classes"},
			{Href: base + "/ogc/collections", Rel: "data", Type: "application/json", Title: "Collections"},
		},
	}
	if f == "html" {
		m.html(w, "landing", doc)
		return
	}
	writeJSON(w, "application/json", doc)
}

func (m *handlers) conformance(w http.ResponseWriter, r *http.Request) {
	f, err := format(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	doc := map[string]any{"conformsTo": conformance}
	if f == "html" {
		m.html(w, "conformance", doc)
		return
	}
	writeJSON(w, "application/json", doc)
}

func crsList() []string {
	out := make([]string, len(registry.SupportedCRS))
	for i, c := range registry.SupportedCRS {
		out[i] = c.URI
	}
	return out
}

func (m *handlers) collectionDoc(r *http.Request, c registry.Collection) map[string]any {
	base := m.baseURL(r) + "/ogc/collections/" + url.PathEscape(c.ID)
	doc := map[string]any{
		"id":          c.ID,
		"title":       c.Title,
		"description": c.Description,
		"itemType":    "feature",
		"crs":         crsList(),
		"storageCrs":  registry.StorageCRS.URI,
		"links": []link{
			{Href: base + "?f=json", Rel: "self", Type: "application/json", Title: c.Title},
			{Href: base + "?f=html", Rel: "alternate", Type: "text/html", Title: c.Title},
			// No query string: clients (GDAL) append /{featureId} to it.
			{Href: base + "/items", Rel: "items", Type: "application/geo+json", Title: "Features"},
			{Href: base + "/items?f=html", Rel: "items", Type: "text/html", Title: "Features as HTML"},
			{Href: base + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: "application/schema+json", Title: "Queryables"},
			{Href: m.baseURL(r) + "/tiles/" + url.PathEscape(c.ID) + ".json", Rel: "describedby", Type: "application/json", Title: "Vector tiles (TileJSON)"},
		},
	}
	if c.Extent != (orb.Bound{}) {
		doc["extent"] = map[string]any{"spatial": map[string]any{
			"bbox": [][]float64{{c.Extent.Min[0], c.Extent.Min[1], c.Extent.Max[0], c.Extent.Max[1]}},
			"crs":  registry.CRS84.URI,
		}}
	}
	return doc
}

// collectionsRequest reads the answer format and the collection list that
// the collections document and the API definition are both made of; when it
// answers false it has already written the problem.
func (m *handlers) collectionsRequest(w http.ResponseWriter, r *http.Request) (string, []registry.Collection, bool) {
	f, err := format(r)
	if err != nil {
		m.fail(w, r, err)
		return "", nil, false
	}
	list, err := m.collections(r.Context())
	if err != nil {
		m.fail(w, r, err)
		return "", nil, false
	}
	return f, list, true
}

func (m *handlers) collectionsDoc(w http.ResponseWriter, r *http.Request) {
	f, list, ok := m.collectionsRequest(w, r)
	if !ok {
		return
	}
	cols := make([]map[string]any, len(list))
	for i, c := range list {
		cols[i] = m.collectionDoc(r, c)
	}
	doc := map[string]any{
		"links": []link{
			{Href: m.self(r, "json"), Rel: "self", Type: "application/json", Title: "Collections"},
			{Href: m.self(r, "html"), Rel: "alternate", Type: "text/html", Title: "Collections as HTML"},
		},
		"crs":         crsList(),
		"collections": cols,
	}
	if f == "html" {
		m.html(w, "collections", doc)
		return
	}
	writeJSON(w, "application/json", doc)
}

// collectionRequest reads the output format and the {collection} of a
// request; on a bad one it answers the problem itself and ok is false.
func (m *handlers) collectionRequest(w http.ResponseWriter, r *http.Request) (f string, c registry.Collection, ok bool) {
	f, err := format(r)
	if err == nil {
		c, err = m.collection(r.Context(), r.PathValue("collection"))
	}
	if err != nil {
		m.fail(w, r, err)
		return "", c, false
	}
	return f, c, true
}

func (m *handlers) collectionOne(w http.ResponseWriter, r *http.Request) {
	f, c, ok := m.collectionRequest(w, r)
	if !ok {
		return
	}
	doc := m.collectionDoc(r, c)
	if f == "html" {
		m.html(w, "collection", doc)
		return
	}
	writeJSON(w, "application/json", doc)
}

func (m *handlers) queryables(w http.ResponseWriter, r *http.Request) {
	f, c, ok := m.collectionRequest(w, r)
	if !ok {
		return
	}
	props := map[string]any{
		"geometry": map[string]any{"title": "Geometry", "format": "geometry-multipolygon", "x-ogc-role": "primary-geometry"},
	}
	for _, q := range c.Queryables {
		p := map[string]any{"title": q.Title, "type": q.Type}
		if q.Type == registry.TypeTimestamp {
			p["type"], p["format"] = "string", "date-time"
		}
		props[q.Name] = p
	}
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  m.baseURL(r) + "/ogc/collections/" + url.PathEscape(c.ID) + "/queryables",
		"type":                 "object",
		"title":                c.Title,
		"properties":           props,
		"additionalProperties": false,
	}
	if f == "html" {
		m.html(w, "queryables", doc)
		return
	}
	writeJSON(w, "application/schema+json", doc)
}

func (m *handlers) pageLink(r *http.Request, f string, offset int) string {
	q := r.URL.Query()
	q.Set("f", f)
	q.Set("offset", strconv.Itoa(offset))
	return m.baseURL(r) + r.URL.Path + "?" + q.Encode()
}

func (m *handlers) items(w http.ResponseWriter, r *http.Request) {
	f, c, ok := m.collectionRequest(w, r)
	if !ok {
		return
	}
	iq, err := parseItems(r, c)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Crs", "<"+iq.CRS.URI+">")
	if f == "html" {
		page, err := m.store.Items(r.Context(), c, iq)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		m.itemsHTML(w, c, page, m.itemsLinks(r, c, iq, page.NumberMatched, len(page.Features)), iq)
		return
	}
	m.itemsJSON(w, r, c, iq)
}

// itemsLinks are the links of a page of items: itself, its HTML, its
// collection, and the next and previous pages.
func (m *handlers) itemsLinks(r *http.Request, c registry.Collection, iq registry.ItemsQuery, matched, returned int) []link {
	links := []link{
		{Href: m.self(r, "json"), Rel: "self", Type: "application/geo+json", Title: "This page"},
		{Href: m.self(r, "html"), Rel: "alternate", Type: "text/html", Title: "This page as HTML"},
		{Href: m.baseURL(r) + "/ogc/collections/" + url.PathEscape(c.ID), Rel: "collection", Type: "application/json", Title: c.Title},
	}
	if iq.Offset+returned < matched {
		links = append(links, link{Href: m.pageLink(r, "json", iq.Offset+returned), Rel: "next", Type: "application/geo+json", Title: "Next page"})
	}
	if iq.Offset > 0 {
		links = append(links, link{Href: m.pageLink(r, "json", max(0, iq.Offset-iq.Limit)), Rel: "prev", Type: "application/geo+json", Title: "Previous page"})
	}
	return links
}

// itemsJSON streams a page of items as a GeoJSON FeatureCollection. The
// features are GeoJSON text already, made by PostGIS; each is written as it
// arrives, without decoding it and without holding the page, so twenty
// pages of 10,000 features cost twenty write buffers, not twenty pages.
// The counts and links, known only at the end, follow the features (member
// order means nothing in JSON). Until the first buffer is flushed a
// failure is still a problem answer; after it, the connection is cut so
// that no client mistakes a truncated page for a whole one.
func (m *handlers) itemsJSON(w http.ResponseWriter, r *http.Request, c registry.Collection, iq registry.ItemsQuery) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 32<<10)
	returned := 0
	open := func() {
		w.Header().Set("Content-Type", "application/geo+json")
		_, _ = bw.WriteString(`{"type":"FeatureCollection","features":[`)
	}
	matched, err := m.store.EachItem(r.Context(), c, iq, func(f []byte) error {
		if returned == 0 {
			open()
		} else {
			_ = bw.WriteByte(',')
		}
		returned++
		_, err := bw.Write(f)
		return err
	})
	if err != nil {
		if cw.n > 0 {
			m.log.WarnContext(r.Context(), "items stream cut", "path", r.URL.Path, "err", err)
			panic(http.ErrAbortHandler)
		}
		w.Header().Del("Content-Type")
		m.fail(w, r, err)
		return
	}
	if returned == 0 {
		open()
	}
	_, _ = bw.WriteString(`],"numberMatched":` + strconv.Itoa(matched) + `,"numberReturned":` + strconv.Itoa(returned) +
		`,"timeStamp":"` + time.Now().UTC().Format(time.RFC3339) + `","links":`)
	lb, _ := marshal(m.itemsLinks(r, c, iq, matched, returned))
	_, _ = bw.Write(lb)
	_, _ = bw.WriteString("}")
	if err := bw.Flush(); err != nil && cw.n > 0 {
		panic(http.ErrAbortHandler)
	}
}

// countingWriter counts the bytes that reached the client's connection.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (m *handlers) item(w http.ResponseWriter, r *http.Request) {
	f, c, ok := m.collectionRequest(w, r)
	if !ok {
		return
	}
	iq := registry.ItemsQuery{ID: r.PathValue("featureId"), Limit: 1, CRS: registry.CRS84}
	if err := c.CheckFeatureID(iq.ID); err != nil {
		m.fail(w, r, err)
		return
	}
	if q := r.URL.Query(); q.Has("crs") {
		crs, ok := registry.ParseCRS(q.Get("crs"))
		if !ok {
			m.fail(w, r, badParam("crs", "CRS %q is not served; use one of %s", q.Get("crs"), strings.Join(crsList(), ", ")))
			return
		}
		iq.CRS = crs
	}
	page, err := m.store.Items(r.Context(), c, iq)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	base := m.baseURL(r) + "/ogc/collections/" + url.PathEscape(c.ID)
	links := []link{
		{Href: m.self(r, "json"), Rel: "self", Type: "application/geo+json"},
		{Href: m.self(r, "html"), Rel: "alternate", Type: "text/html"},
		{Href: base, Rel: "collection", Type: "application/json", Title: c.Title},
	}
	w.Header().Set("Content-Crs", "<"+iq.CRS.URI+">")
	if f == "html" {
		m.itemsHTML(w, c, page, links, iq)
		return
	}
	feat := page.Features[0]
	lb, _ := marshal(links)
	var b bytes.Buffer
	b.Write(feat[:len(feat)-1])
	b.WriteString(`,"links":`)
	b.Write(lb)
	b.WriteByte('}')
	w.Header().Set("Content-Type", "application/geo+json")
	_, _ = w.Write(b.Bytes())
}
