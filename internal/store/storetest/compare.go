package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"time"
)

// Canonical returns t as a conforming store returns it: in UTC, truncated
// to the microsecond, without a monotonic clock reading.
func Canonical(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

var timeType = reflect.TypeFor[time.Time]()

// diff compares a record a store returned (got) with the record that was
// stored (want) and describes the first difference, or returns "".
//
// It compares whole values, field by field, with the suite's equivalences:
// a time in got must be in UTC and equal Canonical of the time in want; a
// nil slice or map equals an empty one.
func diff(want, got any) string {
	return diffValue("", reflect.ValueOf(want), reflect.ValueOf(got))
}

func diffValue(path string, w, g reflect.Value) string {
	if !w.IsValid() || !g.IsValid() {
		if w.IsValid() != g.IsValid() {
			return fmt.Sprintf("%s: got %v, want %v", pathOrRoot(path), g, w)
		}
		return ""
	}
	if w.Type() != g.Type() {
		return fmt.Sprintf("%s: got type %v, want %v", pathOrRoot(path), g.Type(), w.Type())
	}
	if w.Type() == timeType {
		wt, gt := Canonical(w.Interface().(time.Time)), g.Interface().(time.Time)
		if !gt.Equal(wt) || gt.Location() != time.UTC {
			return fmt.Sprintf("%s: got %v, want %v", pathOrRoot(path), gt, wt)
		}
		return ""
	}

	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				return fmt.Sprintf("%s: got %v, want %v", pathOrRoot(path), describe(g), describe(w))
			}
			return ""
		}
		return diffValue(path, w.Elem(), g.Elem())

	case reflect.Struct:
		for i := range w.NumField() {
			f := w.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if d := diffValue(path+"."+f.Name, w.Field(i), g.Field(i)); d != "" {
				return d
			}
		}
		return ""

	case reflect.Slice:
		if w.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(w.Bytes(), g.Bytes()) {
				return fmt.Sprintf("%s: got %q, want %q", pathOrRoot(path), g.Bytes(), w.Bytes())
			}
			return ""
		}
		if w.Len() != g.Len() {
			return fmt.Sprintf("%s: got %d elements, want %d:\n\tgot  %v\n\twant %v",
				pathOrRoot(path), g.Len(), w.Len(), describe(g), describe(w))
		}
		for i := range w.Len() {
			if d := diffValue(fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i)); d != "" {
				return d
			}
		}
		return ""

	case reflect.Map:
		if w.Len() != g.Len() {
			return fmt.Sprintf("%s: got %d entries, want %d:\n\tgot  %v\n\twant %v",
				pathOrRoot(path), g.Len(), w.Len(), describe(g), describe(w))
		}
		iter := w.MapRange()
		for iter.Next() {
			gv := g.MapIndex(iter.Key())
			p := fmt.Sprintf("%s[%#v]", path, iter.Key())
			if !gv.IsValid() {
				return fmt.Sprintf("%s: missing", p)
			}
			if d := diffValue(p, iter.Value(), gv); d != "" {
				return d
			}
		}
		return ""

	default:
		if !w.Equal(g) {
			return fmt.Sprintf("%s: got %#v, want %#v", pathOrRoot(path), g, w)
		}
		return ""
	}
}

// describe formats v for a message, following pointers.
func describe(v reflect.Value) string {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		return fmt.Sprintf("&%+v", v.Elem())
	}
	return fmt.Sprintf("%+v", v)
}

func pathOrRoot(path string) string {
	if path == "" {
		return "value"
	}
	return path
}
