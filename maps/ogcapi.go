package maps

import (
	"net/http"

	"minerights/internal/problem"
	"minerights/registry"
)

// mediaTypeOAS30 is the media type OGC API - Features Part 1 (7.2.4, the
// OpenAPI 3.0 requirements class) names for the API definition; GDAL's
// OAPIF driver, which QGIS uses, asks for it and refuses any other.
const mediaTypeOAS30 = "application/vnd.oai.openapi+json;version=3.0"

// ogcAPIDefinition is the OpenAPI 3.0 document of the OGC API - Features
// endpoints under /ogc, the landing page's service-desc. Clients read the
// items parameters from it: the page size (limit's default and maximum),
// the filter language, and which properties may be filtered on. The rest
// of the API is described by /openapi.json (OpenAPI 3.1).
func (m *handlers) apiDefinition(w http.ResponseWriter, r *http.Request) {
	f, list, ok := m.collectionsRequest(w, r)
	if !ok {
		return
	}
	doc := ogcOpenAPI(m.baseURL(r)+"/ogc", list)
	if f == "html" {
		m.html(w, "apidef", doc)
		return
	}
	b, err := marshal(doc)
	if err != nil {
		problem.Write(w, http.StatusInternalServerError, "internal error", "")
		return
	}
	w.Header().Set("Content-Type", mediaTypeOAS30)
	_, _ = w.Write(b)
}

func ogcOpenAPI(server string, collections []registry.Collection) map[string]any {
	type obj = map[string]any
	param := func(name, in, desc string, schema obj, required bool) obj {
		p := obj{"name": name, "in": in, "description": desc, "schema": schema, "required": required}
		if in == "query" {
			p["style"], p["explode"] = "form", false
		}
		return p
	}
	str := obj{"type": "string"}
	crsEnum := obj{"type": "string", "format": "uri", "enum": crsList()}
	fParam := param("f", "query", "Representation: json (GeoJSON) or html.", obj{"type": "string", "enum": []string{"json", "html"}}, false)
	collectionID := param("collectionId", "path", "The collection: parcels, counties, a check layer, or sales.", str, true)
	jsonOrHTML := func(desc string, jsonType string) obj {
		return obj{"description": desc, "content": obj{jsonType: obj{"schema": obj{"type": "object"}}, "text/html": obj{"schema": str}}}
	}
	problem := obj{"description": "The request cannot be served as asked; the problem names the parameter to fix.",
		"content": obj{"application/problem+json": obj{"schema": obj{"type": "object"}}}}
	get := func(id, summary string, params []obj, ok obj, errs ...string) obj {
		resp := obj{"200": ok}
		for _, e := range errs {
			resp[e] = problem
		}
		return obj{"get": obj{"operationId": id, "summary": summary, "tags": []string{"OGC API - Features"}, "parameters": params, "responses": resp}}
	}
	items := []obj{
		collectionID,
		param("limit", "query", "Features per page.", obj{"type": "integer", "minimum": 1, "maximum": ogcMaxLimit, "default": ogcDefaultLimit}, false),
		param("offset", "query", "Features to skip; the next link of a page carries it.", obj{"type": "integer", "minimum": 0, "default": 0}, false),
		{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Features that intersect the box: minx,miny,maxx,maxy in the axis order of bbox-crs.",
			"schema":      obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
		param("bbox-crs", "query", "CRS of bbox (default CRS84).", crsEnum, false),
		param("crs", "query", "CRS of the geometry written out (default CRS84).", crsEnum, false),
		param("filter", "query", "A CQL2 text filter over the collection's queryables.", str, false),
		// cql-text is the draft's name of the same language; GDAL up to
		// 3.6 pushes a filter to the server only when it sees it here.
		param("filter-lang", "query", "The language of filter: cql2-text (cql-text, the draft's name, is taken as the same).",
			obj{"type": "string", "enum": []string{"cql2-text", "cql-text"}, "default": "cql2-text"}, false),
		param("filter-crs", "query", "CRS of the geometry literals of filter (default CRS84).", crsEnum, false),
		param("properties", "query", "Comma-separated properties to write out.", obj{"type": "array", "items": str}, false),
		fParam,
	}
	paths := obj{
		"/": get("ogc-landing", "Landing page", []obj{fParam}, jsonOrHTML("Links to the API definition, the conformance classes and the collections.", "application/json")),
		"/conformance": get("ogc-conformance", "Conformance classes", []obj{fParam},
			jsonOrHTML("The conformance classes served.", "application/json")),
		"/collections": get("ogc-collections", "Collections", []obj{fParam}, jsonOrHTML("Every collection with its extent and CRSs.", "application/json")),
		"/collections/{collectionId}": get("ogc-collection", "A collection", []obj{collectionID, fParam},
			jsonOrHTML("The collection.", "application/json"), "404"),
		"/collections/{collectionId}/queryables": get("ogc-queryables", "Queryables of a collection", []obj{collectionID, fParam},
			jsonOrHTML("A JSON Schema of the properties filters may name.", "application/schema+json"), "404"),
		"/collections/{collectionId}/items": get("ogc-items", "Features of a collection", items,
			jsonOrHTML("A page of features, with numberMatched and a next link while more remain.", "application/geo+json"), "400", "404"),
		"/collections/{collectionId}/items/{featureId}": get("ogc-item", "One feature", []obj{collectionID,
			param("featureId", "path", "The feature's id: the parcel's registry id, the county code, the check-layer feature's id, the sale's id.", str, true),
			param("crs", "query", "CRS of the geometry written out (default CRS84).", crsEnum, false), fParam},
			jsonOrHTML("The feature.", "application/geo+json"), "400", "404"),
	}
	// Each collection's items with its queryables as query parameters
	// (Part 3, queryables as query parameters): clients learn from them
	// which properties a filter they send to the server may name.
	for _, c := range collections {
		ps := append([]obj(nil), items[1:]...)
		for _, q := range c.Queryables {
			typ := q.Type
			schema := obj{"type": typ}
			if typ == registry.TypeTimestamp {
				schema = obj{"type": "string", "format": "date-time"}
			}
			ps = append(ps, param(q.Name, "query", "Features whose "+q.Name+" equals the value. "+q.Title, schema, false))
		}
		paths["/collections/"+c.ID+"/items"] = get("ogc-items-"+c.ID, c.Title, ps,
			jsonOrHTML("A page of features.", "application/geo+json"), "400")
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "minerights map layers (OGC API - Features)",
			"version":     "1.0.0",
			"description": "Mining parcels, counties, check layers and public sale records as OGC API - Features Parts 1-3. The rest of the API is described at /openapi.json.",
		},
		"servers": []obj{{"url": server}},
		"paths":   paths,
	}
}
