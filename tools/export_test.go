package tools

import (
	"strings"
	"time"
)

// SetRetryBackoff replaces e's waits between retries, to keep tests fast.
func SetRetryBackoff(e *Executor, waits ...time.Duration) { e.backoff = waits }

// Test-only Go-coded parts, for catalogs written in tests.
func init() {
	registerBodyBuilder("test_greeting", func(args map[string]any) (map[string]any, error) {
		name, _ := args["name"].(string)
		if name == "nobody" {
			return nil, badArgument("name", "must name somebody")
		}
		return map[string]any{"greeting": "hello " + name}, nil
	})
	registerTransform("test_shout", func(doc any) any {
		m, _ := doc.(map[string]any)
		if s, ok := m["name"].(string); ok {
			m["name"] = strings.ToUpper(s)
		}
		return doc
	})
}

// ParseGraphQL exposes the GraphQL outline reader: the operation and the
// variables.
func ParseGraphQL(doc string) (string, []string, error) {
	d, err := parseGraphQL(doc)
	var vars []string
	for v := range d.variables {
		vars = append(vars, v)
	}
	return d.operation, vars, err
}
