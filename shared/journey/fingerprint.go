package journey

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Fingerprint identifies a catalogue as a deployment is sized and checked
// from it: every field of every journey (names, tiers, modes, environments,
// targets, pools, steps with their SLAs, retry policy, cleanup budget and
// any field added later), independent of the journeys' order. Only what
// people read or what picks journeys for a deployment is left out
// (Description, Owner, Covers), and code (a step's Do).
//
// The CDK construct sets the catalogue's fingerprint on the runner, which
// refuses to start with a compiled-in catalogue of another fingerprint:
// timeouts, alarms and dashboards never describe journeys that do not run.
func Fingerprint(journeys []Journey) string {
	sorted := slices.Clone(journeys)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].Name < sorted[b].Name })
	h := sha256.New()
	for _, j := range sorted {
		writeValue(h, reflect.ValueOf(j))
		fmt.Fprint(h, ";")
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:12])
}

// Fingerprint is the fingerprint of the registry's journeys (see the
// function Fingerprint).
func (r *Registry) Fingerprint() string { return Fingerprint(r.journeys) }

// notFingerprinted are the Journey fields a deployment does not depend on.
var notFingerprinted = []string{"Description", "Owner", "Covers"}

// writeValue writes v to h unambiguously: struct fields by name (exported,
// not funcs), lists with their length, maps in key order.
func writeValue(h hash.Hash, v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		fmt.Fprint(h, "{")
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Type.Kind() == reflect.Func || t == reflect.TypeOf(Journey{}) && slices.Contains(notFingerprinted, f.Name) {
				continue
			}
			fmt.Fprintf(h, "%s:", f.Name)
			writeValue(h, v.Field(i))
			fmt.Fprint(h, ",")
		}
		fmt.Fprint(h, "}")
	case reflect.Slice, reflect.Array:
		fmt.Fprintf(h, "[%d:", v.Len())
		for i := range v.Len() {
			writeValue(h, v.Index(i))
			fmt.Fprint(h, ",")
		}
		fmt.Fprint(h, "]")
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(a, b int) bool { return fmt.Sprint(keys[a]) < fmt.Sprint(keys[b]) })
		fmt.Fprintf(h, "map[%d:", v.Len())
		for _, k := range keys {
			writeValue(h, k)
			fmt.Fprint(h, "=")
			writeValue(h, v.MapIndex(k))
			fmt.Fprint(h, ",")
		}
		fmt.Fprint(h, "]")
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			fmt.Fprint(h, "nil")
			return
		}
		writeValue(h, v.Elem())
	case reflect.String:
		fmt.Fprintf(h, "%q", v.String())
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		// code and channels say nothing about a deployment
	default:
		fmt.Fprintf(h, "%v", strings.TrimSpace(fmt.Sprint(v.Interface())))
	}
}
