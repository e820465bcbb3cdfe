package maps

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"

	"minerights/internal/problem"
	"minerights/registry"
)

// HTML pages: one layout, plain tables, so a planner can browse the
// collections without a GIS.
//
//go:embed ogc.html
var ogcHTML string

var ogcTemplates = template.Must(template.New("ogc").Funcs(template.FuncMap{
	"json": func(v any) string { b, _ := json.MarshalIndent(v, "", "  "); return string(b) },
}).Parse(ogcHTML))

func (m *Server) html(w http.ResponseWriter, name string, data any) {
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

func (m *Server) itemsHTML(w http.ResponseWriter, c registry.Collection, page registry.ItemsPage, links []link, iq registry.ItemsQuery) {
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
