package openapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// FiguresIn are a parcel's figures and boundary as they are changed: by
// PATCH while no sale is announced, and by a 补充公告 of an announced sale
// before bidding (never the starting price, a term of the sale, or the
// status). Absent fields keep their value.
type FiguresIn struct {
	Name             *string         `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Mineral          *string         `json:"mineral,omitempty" minLength:"1" maxLength:"200"`
	StatedAreaKm2    *string         `json:"stated_area_km2,omitempty" pattern:"^[0-9]{1,6}(\\.[0-9]{1,6})?$"`
	Elevation        *Elevation      `json:"elevation,omitempty"`
	MiningMethod     *string         `json:"mining_method,omitempty" maxLength:"200"`
	ServiceLifeYears *string         `json:"service_life_years,omitempty" pattern:"^[0-9]{1,4}(\\.[0-9]{1,2})?$"`
	Statement        *string         `json:"statement,omitempty" maxLength:"2000"`
	Schedule         *string         `json:"schedule,omitempty" maxLength:"2000"`
	Reserves         []ReserveIn     `json:"reserves,omitempty" maxItems:"50" doc:"Replaces all reserve lines"`
	Capacity         []CapacityIn    `json:"capacity,omitempty" maxItems:"50" doc:"Replaces all capacity lines"`
	Geometry         json.RawMessage `json:"geometry,omitempty" doc:"Replaces the geometry (GeoJSON, CGCS2000 lon/lat)"`
}

// registerCorrections adds the one way an announced sale's parcel changes.
func (s *server) registerCorrections(api huma.API) {
	type correctionIn struct {
		ID   int64 `path:"id" minimum:"1" doc:"Sale id"`
		Body struct {
			Text   string    `json:"text" minLength:"1" maxLength:"20000" doc:"The supplementary notice (补充公告) that publishes the correction"`
			Parcel FiguresIn `json:"parcel" doc:"The corrected figures or boundary of the sale's parcel"`
		}
	}
	type correctionOut struct {
		Body struct {
			Notice Notice `json:"notice"`
			Parcel Parcel `json:"parcel"`
		}
	}
	register(api, huma.Operation{
		OperationID:   "correct-sale-parcel",
		Method:        http.MethodPost,
		Path:          "/api/v1/sales/{id}/corrections",
		Summary:       "Correct the parcel of an announced sale by a supplementary notice (补充公告)",
		Description:   "After the announcement and before bidding opens, the one way the sale's parcel changes: the figures or the boundary given are corrected, the compliance check runs again and must pass, and a supplementary notice publishes the corrected values, all at once. The starting price and the status cannot be corrected (terminate the sale instead); once bidding has opened, nothing of the parcel changes (409).",
		Tags:          []string{"sales"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, roles(registry.RoleBureau), func(ctx context.Context, in *correctionIn) (*correctionOut, error) {
		c := in.Body.Parcel
		pt := registry.ParcelPatch{
			Name: c.Name, Mineral: c.Mineral, StatedAreaKm2: c.StatedAreaKm2, MiningMethod: c.MiningMethod,
			ServiceLifeYears: c.ServiceLifeYears, Statement: c.Statement, Schedule: c.Schedule,
			Reserves: reservesIn(c.Reserves), Capacity: capacityIn(c.Capacity),
		}
		if err := s.patchShape(&pt, c.Elevation, c.Geometry, "body.parcel.elevation"); err != nil {
			return nil, err
		}
		n, p, err := s.store.CorrectParcel(ctx, in.ID, in.Body.Text, pt, viewerOf(ctx).actor)
		if err != nil {
			return nil, err
		}
		out := &correctionOut{}
		out.Body.Notice, out.Body.Parcel = noticeOf(n), parcelOut(p, true)
		return out, nil
	})
}
