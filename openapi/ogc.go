package openapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"minerights/internal/cql2"
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
func self(r *http.Request, f string) string {
	q := r.URL.Query()
	q.Set("f", f)
	return baseURL(r) + r.URL.Path + "?" + q.Encode()
}

func (m *maps) landing(w http.ResponseWriter, r *http.Request) {
	f, err := format(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	base := baseURL(r)
	doc := map[string]any{
		"title":       "minerights map layers",
		"description": "Mining parcels with their status, compliance verdict and sale state, the check layers and the counties, as OGC API - Features.",
		"links": []link{
			{Href: self(r, "json"), Rel: "self", Type: "application/json", Title: "This document"},
			{Href: self(r, "html"), Rel: "alternate", Type: "text/html", Title: "This document as HTML"},
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

func (m *maps) conformance(w http.ResponseWriter, r *http.Request) {
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

func collectionDoc(r *http.Request, c registry.Collection) map[string]any {
	base := baseURL(r) + "/ogc/collections/" + url.PathEscape(c.ID)
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
			{Href: baseURL(r) + "/tiles/" + url.PathEscape(c.ID) + ".json", Rel: "describedby", Type: "application/json", Title: "Vector tiles (TileJSON)"},
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
func (m *maps) collectionsRequest(w http.ResponseWriter, r *http.Request) (string, []registry.Collection, bool) {
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

func (m *maps) collectionsDoc(w http.ResponseWriter, r *http.Request) {
	f, list, ok := m.collectionsRequest(w, r)
	if !ok {
		return
	}
	cols := make([]map[string]any, len(list))
	for i, c := range list {
		cols[i] = collectionDoc(r, c)
	}
	doc := map[string]any{
		"links": []link{
			{Href: self(r, "json"), Rel: "self", Type: "application/json", Title: "Collections"},
			{Href: self(r, "html"), Rel: "alternate", Type: "text/html", Title: "Collections as HTML"},
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
func (m *maps) collectionRequest(w http.ResponseWriter, r *http.Request) (f string, c registry.Collection, ok bool) {
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

func (m *maps) collectionOne(w http.ResponseWriter, r *http.Request) {
	f, c, ok := m.collectionRequest(w, r)
	if !ok {
		return
	}
	doc := collectionDoc(r, c)
	if f == "html" {
		m.html(w, "collection", doc)
		return
	}
	writeJSON(w, "application/json", doc)
}

func (m *maps) queryables(w http.ResponseWriter, r *http.Request) {
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
		"$id":                  baseURL(r) + "/ogc/collections/" + url.PathEscape(c.ID) + "/queryables",
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

// itemParams are the query parameters of /items besides property filters.
var itemParams = map[string]bool{
	"f": true, "limit": true, "offset": true, "bbox": true, "bbox-crs": true, "crs": true,
	"properties": true, "filter": true, "filter-lang": true, "filter-crs": true, "datetime": true,
}

// parseItems reads the query of an items request into a registry query.
func parseItems(r *http.Request, c registry.Collection) (registry.ItemsQuery, error) {
	q := r.URL.Query()
	iq := registry.ItemsQuery{Limit: ogcDefaultLimit, CRS: registry.CRS84, BBoxCRS: registry.CRS84, FilterCRS: registry.CRS84}
	if err := checkItemsQuery(q); err != nil {
		return iq, err
	}
	crsParam := func(name string) (registry.CRS, error) {
		v := q.Get(name)
		c, ok := registry.ParseCRS(v)
		if !ok {
			return c, badParam(name, "CRS %q is not served; use one of %s", v, strings.Join(crsList(), ", "))
		}
		return c, nil
	}
	var err error
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 {
			return iq, badParam("limit", "limit %q must be a whole number from 1 to %d", q.Get("limit"), ogcMaxLimit)
		}
		iq.Limit = min(n, ogcMaxLimit)
	}
	if q.Has("offset") {
		n, err := strconv.Atoi(q.Get("offset"))
		if err != nil || n < 0 {
			return iq, badParam("offset", "offset %q must be a whole number, 0 or more", q.Get("offset"))
		}
		iq.Offset = n
	}
	if q.Has("crs") {
		if iq.CRS, err = crsParam("crs"); err != nil {
			return iq, err
		}
	}
	if q.Has("bbox-crs") {
		if !q.Has("bbox") {
			return iq, badParam("bbox-crs", "bbox-crs is given without a bbox")
		}
		if iq.BBoxCRS, err = crsParam("bbox-crs"); err != nil {
			return iq, err
		}
	}
	if q.Has("bbox") {
		parts := strings.Split(q.Get("bbox"), ",")
		if len(parts) != 4 && len(parts) != 6 {
			return iq, badParam("bbox", "bbox %q needs 4 numbers (minx,miny,maxx,maxy in the axis order of bbox-crs) or 6 with heights, found %d", q.Get("bbox"), len(parts))
		}
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return iq, badParam("bbox", "value %d of bbox, %q, is not a number", i+1, p)
			}
			iq.BBox = append(iq.BBox, v)
		}
	}
	if q.Has("properties") {
		iq.Properties = []string{}
		for _, p := range strings.Split(q.Get("properties"), ",") {
			if p = strings.TrimSpace(p); p != "" {
				iq.Properties = append(iq.Properties, p)
			}
		}
	}
	// cql-text is the draft's name of CQL2 text, which GDAL up to 3.6 sends.
	if fl := q.Get("filter-lang"); q.Has("filter-lang") && fl != "cql2-text" && fl != "cql-text" {
		return iq, badParam("filter-lang", "filter language %q is not served; use cql2-text", fl)
	}
	if q.Has("filter-crs") {
		if iq.FilterCRS, err = crsParam("filter-crs"); err != nil {
			return iq, err
		}
	}
	var exprs []cql2.Expr
	if q.Has("filter") {
		e, err := cql2.Parse(q.Get("filter"))
		if err != nil {
			return iq, badParam("filter", "%v", err)
		}
		if err := checkFilterGeometries(e, iq.FilterCRS); err != nil {
			return iq, err
		}
		exprs = append(exprs, e)
	}
	// Property=value query parameters (Part 3, queryables as query
	// parameters) are equality filters; anything else is a mistake the
	// client should hear about.
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if itemParams[k] {
			continue
		}
		qq, ok := c.Queryable(k)
		if !ok {
			return iq, badParam(k, "unknown query parameter %q: use limit, offset, bbox, bbox-crs, crs, properties, filter, filter-lang, filter-crs, f, or a queryable of %s", k, c.ID)
		}
		var lit cql2.Operand = cql2.String{Value: q.Get(k)}
		switch qq.Type {
		case registry.TypeInteger, registry.TypeNumber:
			v, err := strconv.ParseFloat(q.Get(k), 64)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return iq, badParam(k, "%s is a number; %q is not", k, q.Get(k))
			}
			lit = cql2.Number{Text: strconv.FormatFloat(v, 'f', -1, 64), Value: v}
		case registry.TypeBoolean:
			v, err := strconv.ParseBool(q.Get(k))
			if err != nil {
				return iq, badParam(k, "%s is true or false; %q is neither", k, q.Get(k))
			}
			lit = cql2.Boolean{Value: v}
		case registry.TypeTimestamp:
			v, err := time.Parse(time.RFC3339Nano, q.Get(k))
			if err != nil {
				return iq, badParam(k, "%s is an RFC 3339 instant; %q is not", k, q.Get(k))
			}
			lit = cql2.Timestamp{Value: v}
		}
		exprs = append(exprs, cql2.Comparison{Op: "=", Left: cql2.Property{Name: k}, Right: lit})
	}
	switch len(exprs) {
	case 0:
	case 1:
		iq.Filter = exprs[0]
	default:
		iq.Filter = cql2.And{Args: exprs}
	}
	return iq, nil
}

func pageLink(r *http.Request, f string, offset int) string {
	q := r.URL.Query()
	q.Set("f", f)
	q.Set("offset", strconv.Itoa(offset))
	return baseURL(r) + r.URL.Path + "?" + q.Encode()
}

func (m *maps) items(w http.ResponseWriter, r *http.Request) {
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
		m.itemsHTML(w, c, page, itemsLinks(r, c, iq, page.NumberMatched, len(page.Features)), iq)
		return
	}
	m.itemsJSON(w, r, c, iq)
}

// itemsLinks are the links of a page of items: itself, its HTML, its
// collection, and the next and previous pages.
func itemsLinks(r *http.Request, c registry.Collection, iq registry.ItemsQuery, matched, returned int) []link {
	links := []link{
		{Href: self(r, "json"), Rel: "self", Type: "application/geo+json", Title: "This page"},
		{Href: self(r, "html"), Rel: "alternate", Type: "text/html", Title: "This page as HTML"},
		{Href: baseURL(r) + "/ogc/collections/" + url.PathEscape(c.ID), Rel: "collection", Type: "application/json", Title: c.Title},
	}
	if iq.Offset+returned < matched {
		links = append(links, link{Href: pageLink(r, "json", iq.Offset+returned), Rel: "next", Type: "application/geo+json", Title: "Next page"})
	}
	if iq.Offset > 0 {
		links = append(links, link{Href: pageLink(r, "json", max(0, iq.Offset-iq.Limit)), Rel: "prev", Type: "application/geo+json", Title: "Previous page"})
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
func (m *maps) itemsJSON(w http.ResponseWriter, r *http.Request, c registry.Collection, iq registry.ItemsQuery) {
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
	lb, _ := marshal(itemsLinks(r, c, iq, matched, returned))
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

func (m *maps) item(w http.ResponseWriter, r *http.Request) {
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
	base := baseURL(r) + "/ogc/collections/" + url.PathEscape(c.ID)
	links := []link{
		{Href: self(r, "json"), Rel: "self", Type: "application/geo+json"},
		{Href: self(r, "html"), Rel: "alternate", Type: "text/html"},
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

// HTML pages: one layout, plain tables, so a planner can browse the
// collections without a GIS.
var ogcTemplates = template.Must(template.New("ogc").Funcs(template.FuncMap{
	"json": func(v any) string { b, _ := json.MarshalIndent(v, "", "  "); return string(b) },
}).Parse(`
{{define "head"}}<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{.}}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em;max-width:80em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#f4f4f4}pre{background:#f8f8f8;padding:1em;overflow:auto}</style>
</head><body><p><a href="/ogc?f=html">OGC API</a> · <a href="/ogc/collections?f=html">collections</a> · <a href="/">map</a></p>{{end}}
{{define "links"}}<ul>{{range .}}<li><a href="{{.Href}}">{{if .Title}}{{.Title}}{{else}}{{.Rel}}{{end}}</a> ({{.Rel}}{{if .Type}}, {{.Type}}{{end}})</li>{{end}}</ul>{{end}}
{{define "landing"}}{{template "head" .title}}<h1>{{.title}}</h1><p>{{.description}}</p>{{template "links" .links}}</body></html>{{end}}
{{define "conformance"}}{{template "head" "Conformance"}}<h1>Conformance</h1><ul>{{range .conformsTo}}<li>{{.}}</li>{{end}}</ul></body></html>{{end}}
{{define "collections"}}{{template "head" "Collections"}}<h1>Collections</h1><table><tr><th>id</th><th>title</th><th>description</th></tr>
{{range .collections}}<tr><td><a href="/ogc/collections/{{.id}}?f=html">{{.id}}</a></td><td>{{.title}}</td><td>{{.description}}</td></tr>{{end}}</table></body></html>{{end}}
{{define "collection"}}{{template "head" .title}}<h1>{{.title}}</h1><p>{{.description}}</p>{{template "links" .links}}<h2>CRS</h2><ul>{{range .crs}}<li>{{.}}</li>{{end}}</ul></body></html>{{end}}
{{define "apidef"}}{{template "head" "API definition"}}<h1>API definition of the map layers (OpenAPI 3.0)</h1><p><a href="/ogc/api?f=json">JSON</a></p><pre>{{json .}}</pre></body></html>{{end}}
{{define "queryables"}}{{template "head" .title}}<h1>Queryables of {{.title}}</h1><pre>{{json .properties}}</pre></body></html>{{end}}
{{define "items"}}{{template "head" .Title}}<h1>{{.Title}}</h1><p>{{.Matched}} features match; showing {{len .Rows}} from {{.Offset}}.</p>{{template "links" .Links}}
<table><tr><th>id</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>{{range .Rows}}<tr><td><a href="{{.Href}}">{{.ID}}</a></td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>{{end}}</table></body></html>{{end}}
`))

func (m *maps) html(w http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := ogcTemplates.ExecuteTemplate(&b, name, data); err != nil {
		m.log.Error("ogc html", "template", name, "err", err)
		problem.Write(w, http.StatusInternalServerError, "internal error", "")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

type htmlRow struct {
	ID     string
	Href   string
	Values []string
}

func (m *maps) itemsHTML(w http.ResponseWriter, c registry.Collection, page registry.ItemsPage, links []link, iq registry.ItemsQuery) {
	var cols []string
	seen := map[string]bool{}
	var feats []map[string]any
	var ids []string
	for _, raw := range page.Features {
		var f struct {
			ID         any            `json:"id"`
			Properties map[string]any `json:"properties"`
		}
		// Numbers keep the decimals the GeoJSON has (an area of 0.5270
		// km² stays 0.5270, as the API writes it).
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&f); err != nil {
			m.log.Error("ogc html: feature", "err", err)
			continue
		}
		for k, v := range f.Properties {
			// The first column is the feature's id; a property that
			// repeats it is not shown twice.
			if k == "id" && fmt.Sprint(v) == fmt.Sprint(f.ID) {
				continue
			}
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
		feats = append(feats, f.Properties)
		ids = append(ids, fmt.Sprint(f.ID))
	}
	order := map[string]int{}
	for i, q := range c.Queryables {
		order[q.Name] = i
	}
	sort.SliceStable(cols, func(i, j int) bool {
		oi, iok := order[cols[i]]
		oj, jok := order[cols[j]]
		if iok != jok {
			return iok
		}
		if iok {
			return oi < oj
		}
		return cols[i] < cols[j]
	})
	rows := make([]htmlRow, len(feats))
	for i, p := range feats {
		rows[i] = htmlRow{ID: ids[i], Href: "/ogc/collections/" + url.PathEscape(c.ID) + "/items/" + url.PathEscape(ids[i]) + "?f=html"}
		for _, k := range cols {
			v := ""
			if x, ok := p[k]; ok && x != nil {
				if s, ok := x.(string); ok {
					v = s
				} else {
					b, _ := json.Marshal(x)
					v = string(b)
				}
			}
			rows[i].Values = append(rows[i].Values, v)
		}
	}
	m.html(w, "items", struct {
		Title           string
		Matched, Offset int
		Columns         []string
		Rows            []htmlRow
		Links           []link
	}{c.Title, page.NumberMatched, iq.Offset, cols, rows, links})
}
