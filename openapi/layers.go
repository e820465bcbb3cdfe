package openapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/geo"
	"minerights/registry"
)

// ImportOut is what an import loaded.
type ImportOut struct {
	Layer    Layer `json:"layer"`
	Features int   `json:"features" doc:"Features loaded"`
	Previous int   `json:"previous_version" doc:"Version that was current before, 0 for a new layer; it stays for the reports that used it"`
}

func (s *server) registerLayers(api huma.API) {
	type layerListIn struct {
		All bool `query:"all" doc:"Every version, not only the current ones"`
	}
	type layerListOut struct {
		Body struct {
			Items []Layer `json:"items"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-layers",
		Method:      http.MethodGet,
		Path:        "/api/v1/layers",
		Summary:     "Check layers and their versions",
		Tags:        []string{"compliance"},
	}, public, func(ctx context.Context, in *layerListIn) (*layerListOut, error) {
		ls, err := s.store.Layers(ctx, in.All)
		if err != nil {
			return nil, err
		}
		out := &layerListOut{}
		out.Body.Items = each(ls, layerOf)
		if out.Body.Items == nil {
			out.Body.Items = []Layer{}
		}
		return out, nil
	})

	type layerImportIn struct {
		Name    string `path:"name" pattern:"^[a-z][a-z0-9_]{0,62}$" doc:"Layer name, e.g. redlines or railways"`
		Kind    string `query:"kind" pattern:"^[a-z][a-z0-9_]{0,62}$" doc:"Layer kind; needed for a new layer unless it is one of the seeded names; must match the current version's"`
		Title   string `query:"title" maxLength:"200"`
		Source  string `query:"source" maxLength:"500" doc:"Where the data comes from (document, agency, date)"`
		SRID    int    `query:"srid" doc:"4326, 4490, or a CGCS2000 3° Gauss-Krüger zone 4513-4554; absent: detected from the GeoJSON crs, the TXT 带号, or the coordinates"`
		RawBody []byte `contentType:"application/geo+json" doc:"A GeoJSON FeatureCollection of Polygon/MultiPolygon features, or a 国土 TXT file (one block per feature)"`
	}
	type layerImportOut struct {
		// 200 when the file is the current version's: nothing was made.
		Status int
		Body   ImportOut
	}
	register(api, huma.Operation{
		OperationID:   "import-layer",
		Method:        http.MethodPost,
		Path:          "/api/v1/layers/{name}/features",
		Summary:       "Import a new version of a check layer",
		Description:   "Loads every feature or none: one invalid feature refuses the whole file with a 422 naming it, and the previous version stays current. A successful import becomes the current version (201); reports made on the old one become stale. A file identical to the current version's (same SHA-256) makes no new version and stales nothing (200, `layer.unchanged`). Files over 8 MiB are imported with `minerights import LAYER FILE`.",
		Tags:          []string{"compliance"},
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  MaxBodyBytes,
		Errors:        []int{http.StatusUnprocessableEntity},
	}, roles(registry.RoleBureau), func(ctx context.Context, in *layerImportIn) (*layerImportOut, error) {
		if in.SRID != 0 && in.SRID != geo.SRIDWGS84 && in.SRID != geo.SRIDCGCS2000 && (in.SRID < 4513 || in.SRID > 4554) {
			return nil, invalid("query.srid", "SRID %d is not supported: use 4326, 4490, or a CGCS2000 3-degree Gauss-Krüger zone 4513-4554 (4526 is zone 38)", in.SRID)
		}
		prev := 0
		if l, err := s.store.CurrentLayer(ctx, in.Name); err == nil {
			prev = l.Version
		} else if !errors.Is(err, registry.ErrNotFound) {
			return nil, err
		}
		r, err := geo.NewLayerReader(bytes.NewReader(in.RawBody), in.SRID)
		if err != nil {
			return nil, invalid("body", "the layer file cannot be read: %v", err)
		}
		who, _ := principalFrom(ctx)
		l, err := s.store.ImportLayer(ctx, registry.LayerImport{Name: in.Name, Kind: in.Kind, Title: in.Title, Source: in.Source,
			Provenance: map[string]any{"imported_by": who.Name, "via": "POST /api/v1/layers/{name}/features", "bytes": len(in.RawBody)},
			Features:   r, SHA256: fmt.Sprintf("%x", sha256.Sum256(in.RawBody))})
		if err != nil {
			return nil, layerProblem(err)
		}
		if l.Unchanged {
			return &layerImportOut{Status: http.StatusOK, Body: ImportOut{Layer: layerOf(l), Features: l.FeatureCount, Previous: prev}}, nil
		}
		return &layerImportOut{Status: http.StatusCreated, Body: ImportOut{Layer: layerOf(l), Features: l.FeatureCount, Previous: prev}}, nil
	})
}

// layerProblem turns a refused import into a 422 with one detail per bad
// feature; other errors go to toProblem.
func layerProblem(err error) error {
	var le *registry.LayerError
	if !errors.As(err, &le) {
		return err
	}
	details := make([]error, 0, len(le.Problems)+1)
	for _, p := range le.Problems {
		details = append(details, &huma.ErrorDetail{Location: fmt.Sprintf("body.features[%d]", p.Index-1), Message: p.String(), Value: p.FID})
	}
	if le.More > 0 {
		details = append(details, &huma.ErrorDetail{Location: "body.features", Message: fmt.Sprintf("and %d more problems not listed", le.More)})
	}
	return huma.Error422UnprocessableEntity(le.Error(), details...)
}
