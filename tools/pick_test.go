package tools

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestCompiledShapeMatchesPerCall pins that fields and text templates
// compiled once per tool keep and render exactly what splitting them on
// every call did (pickPaths and renderRegexp, the former code).
func TestCompiledShapeMatchesPerCall(t *testing.T) {
	docs := []string{
		`{"login":"octo","id":1,"plan":{"name":"pro","seats":3},"labels":[{"name":"bug","color":"red"},{"name":"ui"}],"empty":{}}`,
		`[{"login":"a","plan":{"name":"x"}},{"login":"b"},"scalar",null,[{"login":"c"}]]`,
		`"just text"`, `null`, `{"a":{"b":{"c":[{"d":1,"e":2},{"d":3}]}},"a.b":"dotted"}`,
	}
	fieldSets := [][]string{
		nil, {"login"}, {"login", "id", "missing"}, {"plan.name", "plan"}, {"plan", "plan.name"},
		{"labels.name"}, {"labels.name", "labels.color", "login"}, {"a.b.c.d"}, {"a.b", "a.b.c.e"}, {"a.b.c.d", "a.b.c.e", "a"},
		{"", "login"}, {"a..b"},
	}
	templates := []string{
		"", "{login}", "{login} ({plan.name}) {missing}", "labels: {labels.name}.", "{a.b.c.d}\n", "{} {{login}} {plan}  \t\n",
		"no placeholders", "{login}{id}{plan.seats}", "{unclosed", "}{login}{",
	}
	for _, d := range docs {
		var doc any
		if err := json.Unmarshal([]byte(d), &doc); err != nil {
			t.Fatal(err)
		}
		for _, fields := range fieldSets {
			paths := make([][]string, len(fields))
			for i, f := range fields {
				paths[i] = strings.Split(f, ".")
			}
			if got, want := pick(doc, compileFields(fields)), pickPaths(doc, paths); !reflect.DeepEqual(got, want) {
				t.Errorf("pick %v of %s:\n got %#v\nwant %#v", fields, d, got, want)
			}
		}
		for _, tmpl := range templates {
			if got, want := compileText(tmpl).render(doc), renderRegexp(tmpl, doc); got != want {
				t.Errorf("render %q of %s: got %q, want %q", tmpl, d, got, want)
			}
		}
	}
}

// pickPaths is pick as it was, grouping the paths on every call.
func pickPaths(v any, paths [][]string) any {
	if len(paths) == 0 {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		groups := map[string][][]string{}
		var order []string
		for _, p := range paths {
			if _, seen := groups[p[0]]; !seen {
				order = append(order, p[0])
			}
			groups[p[0]] = append(groups[p[0]], p[1:])
		}
		for _, key := range order {
			val, ok := v[key]
			if !ok {
				continue
			}
			rest := groups[key]
			whole := false
			for _, r := range rest {
				whole = whole || len(r) == 0
			}
			if whole {
				out[key] = val
			} else {
				out[key] = pickPaths(val, rest)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = pickPaths(item, paths)
		}
		return out
	default:
		return v
	}
}

// renderRegexp is render as it was, replacing placeholders on every call.
func renderRegexp(tmpl string, v any) string {
	s := placeholderPattern.ReplaceAllStringFunc(tmpl, func(m string) string {
		return lookupText(v, strings.Split(m[1:len(m)-1], "."))
	})
	return strings.TrimRight(s, " \t\r\n")
}

// TestDropBinaryEverywhere pins that base64 blobs go wherever they are:
// members, array elements, nested, and a document that is one string.
func TestDropBinaryEverywhere(t *testing.T) {
	blob := strings.Repeat("QUJD", 400)
	note := "[binary data, about 1200 bytes, not inlined]"
	doc := map[string]any{"a": []any{blob, "x", map[string]any{"b": blob, "n": json.Number("1")}}, "c": blob, "d": nil}
	want := map[string]any{"a": []any{note, "x", map[string]any{"b": note, "n": json.Number("1")}}, "c": note, "d": nil}
	if got := dropBinary(doc); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
	if got := dropBinary(blob); got != note {
		t.Errorf("a blob document: %v", got)
	}
}
