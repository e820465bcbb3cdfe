package wiretest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

type inner struct {
	N   int
	Raw json.RawMessage
}

type sample struct {
	S      string
	T      string
	I      int64
	F      float64
	B      bool
	P      *float64
	At     time.Time
	L      []inner
	M      map[string]int
	A      any
	Ptr    *inner
	hidden int
}

// TestFilledFillsEveryField: every exported field, at every depth, is set,
// and fields of one type hold different values.
func TestFilledFillsEveryField(t *testing.T) {
	v := Filled[sample]()
	var zero func(reflect.Value, string)
	zero = func(rv reflect.Value, path string) {
		for i := range rv.NumField() {
			f := rv.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			fv := rv.Field(i)
			if fv.IsZero() {
				t.Errorf("%s.%s is zero", path, f.Name)
			}
			switch {
			case fv.Kind() == reflect.Slice && fv.Len() > 0 && fv.Index(0).Kind() == reflect.Struct:
				zero(fv.Index(0), path+"."+f.Name+"[0]")
			case fv.Kind() == reflect.Pointer && fv.Elem().Kind() == reflect.Struct && fv.Type().Elem() != reflect.TypeOf(time.Time{}):
				zero(fv.Elem(), path+"."+f.Name)
			}
		}
	}
	zero(reflect.ValueOf(v), "sample")
	if v.S == v.T {
		t.Errorf("two string fields hold the same value %q: a swap would not show", v.S)
	}
	if !json.Valid(v.L[0].Raw) {
		t.Errorf("the raw JSON %q is not JSON", v.L[0].Raw)
	}
}

// TestSameJSONTellsADifference: a wire value that lost a field fails.
func TestSameJSONTellsADifference(t *testing.T) {
	type store struct{ A, B string }
	type wire struct{ A string }
	st := Filled[store]()
	rec := &recorder{}
	SameJSON(rec, st, wire{A: st.A})
	if !rec.failed {
		t.Error("a lost field passed")
	}
	SameJSON(t, st, struct{ A, B string }{st.A, st.B})
}

// recorder is a T that notes a failure.
type recorder struct{ failed bool }

func (r *recorder) Helper()               {}
func (r *recorder) Fatal(...any)          { r.failed = true }
func (r *recorder) Errorf(string, ...any) { r.failed = true }
