// Package wiretest checks the wire types of the HTTP layers against the
// store's and the rule book's types they are made from: filled in every
// field, both must read the same in JSON, so that a field the store gains
// and a converter forgets fails a test instead of vanishing from the API.
package wiretest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Filled returns a T whose every exported field, recursively, holds a value
// that is not zero and differs from its neighbours' (strings name their
// field, numbers count up), so that two fields swapped by a converter also
// show. Pointers point to filled values, slices and maps hold one filled
// element; a json.RawMessage holds a small JSON object.
func Filled[T any]() T {
	var v T
	f := filler{}
	f.fill(reflect.ValueOf(&v).Elem(), "v", 0)
	return v
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage(nil))
)

type filler struct{ n int }

func (f *filler) fill(v reflect.Value, name string, depth int) {
	if depth > 8 {
		return
	}
	f.n++
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(time.Date(2026, 3, 1, 9, 0, f.n, 0, time.UTC)))
		return
	case v.Type() == rawType:
		v.SetBytes([]byte(fmt.Sprintf(`{"%s":%d}`, name, f.n)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d", name, f.n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.n) + 0.25)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), name, depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		f.fill(s.Index(0), name, depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMapWithSize(v.Type(), 1)
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		f.fill(k, name+"-key", depth+1)
		f.fill(e, name, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Interface:
		if v.NumMethod() == 0 {
			v.Set(reflect.ValueOf(fmt.Sprintf("%s-%d", name, f.n)))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if sf := v.Type().Field(i); sf.IsExported() {
				f.fill(v.Field(i), sf.Name, depth+1)
			}
		}
	}
}

// T is the part of *testing.T that SameJSON uses.
type T interface {
	Helper()
	Fatal(args ...any)
	Errorf(format string, args ...any)
}

// SameJSON fails t when the wire value api does not marshal to exactly the
// bytes of the store's value it was made from.
func SameJSON(t T, store, api any) {
	t.Helper()
	want, err := json.Marshal(store)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(api)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the API writes\n%s\nthe store has\n%s", got, want)
	}
}
