package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/compliance"
	"minerights/registry"
)

// RuleIn is one row of the rule table as the bureau sets it: what a layer
// kind forbids. A new kind (e.g. railway with a 1 km exclusion) needs only
// this row and a layer of that kind, no code.
type RuleIn struct {
	Title          string   `json:"title" minLength:"1" maxLength:"200" example:"铁路 (railway)"`
	Effect         string   `json:"effect" enum:"exclude,separate_3d,within_any,within_own_county" doc:"exclude: stay out of the features and their exclusion distance; separate_3d: as exclude, but a plan overlap with disjoint elevation ranges is vertical layering (warning); within_any: lie inside the features; within_own_county: lie inside the feature whose id is the parcel's county code"`
	HardDistanceM  float64  `json:"hard_distance_m" minimum:"0" maximum:"100000" doc:"Closer than this (metres, in the parcel's own 3° zone) fails; 0 means only an overlap fails"`
	WarnDistanceM  float64  `json:"warn_distance_m" minimum:"0" maximum:"100000" default:"300" doc:"Closer than this is a setback warning; at least hard_distance_m"`
	ExemptMinerals []string `json:"exempt_minerals,omitempty" maxItems:"200" doc:"A parcel whose mineral contains one of these gets a warning to review instead of a failure"`
	Exemption      *string  `json:"exemption,omitempty" maxLength:"2000" doc:"Why the exempt minerals are allowed, shown in the warning"`
	Basis          *string  `json:"basis,omitempty" maxLength:"2000" doc:"The regulation the rule comes from"`
	Enabled        *bool    `json:"enabled,omitempty" doc:"Default true"`
}

// RulesOut is the rule table and the settings.
type RulesOut struct {
	Rules    []Rule   `json:"rules"`
	Settings Settings `json:"settings"`
}

// CheckIn is a what-if compliance check of a geometry that is not
// registered.
type CheckIn struct {
	Geometry      json.RawMessage `json:"geometry,omitempty" doc:"GeoJSON Polygon, MultiPolygon, or a Feature of one, in CGCS2000 lon/lat (EPSG:4490)"`
	CornersTXT    *string         `json:"corners_txt,omitempty" maxLength:"1000000" doc:"国土 TXT corner-point file, CGCS2000 3° Gauss-Krüger"`
	CountyCode    string          `json:"county_code,omitempty" pattern:"^[0-9]{6}$" doc:"County the parcel should lie in; absent: any one county"`
	Mineral       string          `json:"mineral,omitempty" maxLength:"200" doc:"Mineral, for the rule table's exceptions (e.g. 矿泉水 on farmland)"`
	StatedAreaKm2 string          `json:"stated_area_km2,omitempty" pattern:"^[0-9]{1,6}(\\.[0-9]{1,6})?$" doc:"Stated area to compare with the geometry"`
	Elevation     *Elevation      `json:"elevation,omitempty" doc:"Mining elevation range, for the 3-D rule against other mining rights; absent means unknown"`
}

func (s *server) registerCompliance(api huma.API) {
	type complianceIDIn struct {
		ID int64 `path:"id" minimum:"1"`
	}
	type complianceReportOut struct {
		Body Report
	}
	register(api, huma.Operation{
		OperationID:   "run-compliance",
		Method:        http.MethodPost,
		Path:          "/api/v1/parcels/{id}/compliance",
		Summary:       "Check a parcel and store the report",
		Description:   "Checks the parcel, in its own CGCS2000 3° zone (EPSG:4526 for zone 38), against every current layer whose kind has a rule (red lines, farmland, protected mountains, existing mining rights in 3-D, planned mining zones, its county), the other registered parcels, its stated area and its validity, and stores the report with the layer versions it used. A parcel can be announced only while its latest report passes or warns and is not stale.",
		Tags:          []string{"compliance"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound},
	}, roles(registry.RoleBureau), func(ctx context.Context, in *complianceIDIn) (*complianceReportOut, error) {
		rep, err := s.store.RunCompliance(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &complianceReportOut{Body: reportOf(rep)}, nil
	})
	register(api, huma.Operation{
		OperationID: "get-compliance",
		Method:      http.MethodGet,
		Path:        "/api/v1/parcels/{id}/compliance",
		Summary:     "The parcel's latest compliance report",
		Description: "The latest report, marked stale when a layer it used has a newer version, a layer was added, a rule changed, or the parcel changed since.",
		Tags:        []string{"compliance"},
		Errors:      []int{http.StatusNotFound},
	}, roles(registry.RoleBureau, registry.RolePlanner), func(ctx context.Context, in *complianceIDIn) (*complianceReportOut, error) {
		rep, err := s.store.LatestReport(ctx, in.ID)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, noReportYet(in.ID)
		}
		if err != nil {
			return nil, err
		}
		return &complianceReportOut{Body: reportOf(rep)}, nil
	})

	type whatIfIn struct {
		Body CheckIn
	}
	register(api, huma.Operation{
		OperationID: "check-compliance",
		Method:      http.MethodPost,
		Path:        "/api/v1/compliance/check",
		Summary:     "What-if: check a geometry that is not registered",
		Description: "Runs the same checks as for a parcel on the geometry given; nothing is stored.",
		Tags:        []string{"compliance"},
		Errors:      []int{http.StatusUnprocessableEntity},
	}, roles(registry.RoleBureau, registry.RolePlanner), func(ctx context.Context, in *whatIfIn) (*complianceReportOut, error) {
		b := in.Body
		mp, err := s.geometryOf(b.Geometry, b.CornersTXT)
		if err != nil {
			return nil, err
		}
		if err := checkElevation(b.Elevation, "body.elevation"); err != nil {
			return nil, err
		}
		subj := compliance.Subject{Name: "what-if", CountyCode: b.CountyCode, Mineral: b.Mineral, Geometry: mp, StatedAreaKm2: b.StatedAreaKm2}
		if b.Elevation != nil {
			subj.ElevationTopM, subj.ElevationBottomM = &b.Elevation.TopM, &b.Elevation.BottomM
		}
		rep, err := s.store.CheckGeometry(ctx, subj)
		if err != nil {
			return nil, err
		}
		return &complianceReportOut{Body: reportOf(rep)}, nil
	})

	type complianceRulesOut struct {
		Body RulesOut
	}
	register(api, huma.Operation{
		OperationID: "list-compliance-rules",
		Method:      http.MethodGet,
		Path:        "/api/v1/compliance/rules",
		Summary:     "The rule table: what each layer kind forbids",
		Tags:        []string{"compliance"},
	}, roles(registry.RoleBureau, registry.RolePlanner), func(ctx context.Context, _ *struct{}) (*complianceRulesOut, error) {
		rules, st, err := s.store.Rules(ctx)
		if err != nil {
			return nil, err
		}
		return &complianceRulesOut{Body: RulesOut{Rules: each(rules, ruleOf), Settings: settingsOf(st)}}, nil
	})

	type complianceRuleIn struct {
		Kind string `path:"kind" pattern:"^[a-z][a-z0-9_]{0,62}$" doc:"Layer kind, e.g. redline, farmland, railway"`
		Body RuleIn
	}
	type complianceRuleOut struct {
		Body Rule
	}
	register(api, huma.Operation{
		OperationID: "put-compliance-rule",
		Method:      http.MethodPut,
		Path:        "/api/v1/compliance/rules/{kind}",
		Summary:     "Create or change the rule of a layer kind",
		Description: "Reports made under the old rule become stale.",
		Tags:        []string{"compliance"},
		Errors:      []int{http.StatusUnprocessableEntity},
	}, roles(registry.RoleBureau), func(ctx context.Context, in *complianceRuleIn) (*complianceRuleOut, error) {
		b := in.Body
		enabled := b.Enabled == nil || *b.Enabled
		r, err := s.store.PutRule(ctx, compliance.Rule{LayerKind: in.Kind, Title: b.Title, Effect: b.Effect,
			HardDistanceM: b.HardDistanceM, WarnDistanceM: b.WarnDistanceM, ExemptMinerals: b.ExemptMinerals,
			Exemption: b.Exemption, Basis: b.Basis, Enabled: enabled})
		if err != nil {
			return nil, err
		}
		return &complianceRuleOut{Body: ruleOf(r)}, nil
	})

	type complianceSettingsIn struct {
		Body struct {
			AreaTolerancePct float64 `json:"area_tolerance_pct" minimum:"0" maximum:"50" doc:"How far, in percent, a stated area may differ from the geometry's beyond the rounding of its decimals"`
		}
	}
	type complianceSettingsOut struct {
		Body Settings
	}
	register(api, huma.Operation{
		OperationID: "put-compliance-settings",
		Method:      http.MethodPut,
		Path:        "/api/v1/compliance/settings",
		Summary:     "Change the compliance settings (area tolerance)",
		Tags:        []string{"compliance"},
		Errors:      []int{http.StatusUnprocessableEntity},
	}, roles(registry.RoleBureau), func(ctx context.Context, in *complianceSettingsIn) (*complianceSettingsOut, error) {
		st, err := s.store.PutSettings(ctx, compliance.Settings{AreaTolerancePct: in.Body.AreaTolerancePct})
		if err != nil {
			return nil, err
		}
		return &complianceSettingsOut{Body: settingsOf(st)}, nil
	})
}

// noReportYet is the 404 for a parcel that has never been checked, saying
// how to check it.
func noReportYet(id int64) error {
	return huma.Error404NotFound(fmt.Sprintf("parcel %d has no compliance report yet: run POST /api/v1/parcels/%d/compliance", id, id))
}
