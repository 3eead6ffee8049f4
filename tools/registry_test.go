package tools_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"switchboard/tools"
)

var update = flag.Bool("update", false, "rewrite testdata/tools.golden.json from the catalog")

// TestEveryTool checks every tool of the built-in catalog at once, so that a
// new toolkit file is held to the same rules without a test of its own.
func TestEveryTool(t *testing.T) {
	c := builtin(t)
	name := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	seen := map[string]bool{}
	count := 0
	for _, tk := range c.Toolkits() {
		count += len(tk.Tools)
		for _, tl := range tk.Tools {
			if c.Tool(tl.Name) != tl {
				t.Errorf("%s: Catalog.Tool does not return the toolkit's tool", tl.Name)
			}
		}
	}
	if count != len(c.Tools()) {
		t.Errorf("toolkits hold %d tools, Catalog.Tools %d", count, len(c.Tools()))
	}
	for _, tl := range c.Tools() {
		t.Run(tl.Name, func(t *testing.T) {
			if seen[tl.Name] {
				t.Error("name is not unique")
			}
			seen[tl.Name] = true
			if !name.MatchString(tl.Name) || !strings.HasPrefix(tl.Name, strings.ToUpper(tl.Toolkit)+"_") {
				t.Errorf("name is not TOOLKIT_ACTION for toolkit %q", tl.Toolkit)
			}
			if c.Toolkit(tl.Toolkit) == nil {
				t.Errorf("toolkit %q is not in the catalog", tl.Toolkit)
			}
			if n := utf8.RuneCountInString(tl.Description); n == 0 || n > tools.MaxDescriptionLen {
				t.Errorf("description has %d characters, want 1..%d", n, tools.MaxDescriptionLen)
			}
			if tl.Title == "" {
				t.Error("title is empty")
			}
			if tl.ReadOnly && (tl.Destructive || !tl.Idempotent) {
				t.Error("a read-only tool must be idempotent and not destructive")
			}
			if tl.Request.Method == "GET" && !tl.ReadOnly {
				t.Errorf("a GET tool must be read_only")
			}
			if tl.ReadOnly && tl.Request.Method != "GET" && !tl.Request.Safe && tl.Request.Kind != "graphql" {
				t.Errorf("read_only but %s %s is neither a GET, a safe POST nor a GraphQL query", tl.Request.Kind, tl.Request.Method)
			}
			var schema struct {
				Type                 string                     `json:"type"`
				AdditionalProperties *bool                      `json:"additionalProperties"`
				Properties           map[string]json.RawMessage `json:"properties"`
			}
			if err := json.Unmarshal(tl.InputSchema, &schema); err != nil {
				t.Fatalf("input schema is not JSON: %v", err)
			}
			if schema.Type != "object" || schema.AdditionalProperties == nil || *schema.AdditionalProperties {
				t.Errorf("input schema is not a closed object: %s", tl.InputSchema)
			}
			if err := tools.NewExecutor(c, tools.ExecutorOptions{}).Validate(tl, map[string]any{"definitely_unknown": 1}); err == nil {
				t.Error("schema accepts an unknown argument")
			}
		})
	}
}

// TestSchemasEveryClientAccepts keeps the input schemas to what every
// mainstream client takes: no union types ("type": ["integer", "null"]),
// which the MCP Inspector's strict mode warns about and some clients
// refuse, anywhere in a schema; and every integer states the bounds its API
// has, so that no client's number decoding can change an accepted value.
func TestSchemasEveryClientAccepts(t *testing.T) {
	for _, tl := range builtin(t).Tools() {
		var schema any
		if err := json.Unmarshal(tl.InputSchema, &schema); err != nil {
			t.Fatalf("%s: %v", tl.Name, err)
		}
		eachSchema(schema, "", func(at string, s map[string]any) {
			if list, ok := s["type"].([]any); ok {
				t.Errorf("%s: %s has the union type %v; give one type (a string that is parsed, or a value that means null)", tl.Name, at, list)
			}
			if s["type"] != "integer" {
				return
			}
			for _, bound := range []string{"minimum", "maximum"} {
				n, ok := s[bound].(float64)
				if !ok || math.Abs(n) > 1<<53-1 {
					t.Errorf("%s: integer %s has %s %v; state the API's bound, within ±(2^53-1)", tl.Name, at, bound, s[bound])
				}
			}
		})
	}
}

// eachSchema calls f with every schema object in the JSON value v (a whole
// input schema) and where it is; the values of enum, const, default and
// examples are data, not schemas, and are skipped.
func eachSchema(v any, at string, f func(at string, s map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(at, v)
		for k, x := range v {
			switch k {
			case "enum", "const", "default", "examples":
			case "properties", "patternProperties", "$defs":
				named, _ := x.(map[string]any)
				for name, sub := range named {
					eachSchema(sub, at+"/"+k+"/"+name, f)
				}
			default:
				eachSchema(x, at+"/"+k, f)
			}
		}
	case []any:
		for i, x := range v {
			eachSchema(x, fmt.Sprintf("%s/%d", at, i), f)
		}
	}
}

// TestCatalogSnapshot pins the whole listing that agents see; review the
// diff of testdata/tools.golden.json when a tool changes (go test -update).
func TestCatalogSnapshot(t *testing.T) {
	type listed struct {
		Name        string          `json:"name"`
		Title       string          `json:"title"`
		Description string          `json:"description"`
		Annotations map[string]bool `json:"annotations"`
		InputSchema json.RawMessage `json:"inputSchema"`
	}
	var all []listed
	for _, tl := range builtin(t).Tools() {
		all = append(all, listed{tl.Name, tl.Title, tl.Description, map[string]bool{
			"readOnlyHint": tl.ReadOnly, "destructiveHint": tl.Destructive, "idempotentHint": tl.Idempotent, "openWorldHint": tl.OpenWorld,
		}, tl.InputSchema})
	}
	got, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Write(got)
	buf.WriteByte('\n')
	const golden = "testdata/tools.golden.json"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./tools -run TestCatalogSnapshot -update)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("tool listing changed (-golden +now); if intended, run with -update:\n%s", diff)
	}
}
