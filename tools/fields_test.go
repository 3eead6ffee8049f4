package tools_test

import (
	"strings"
	"testing"

	"switchboard/tools"
)

// TestFieldsArgument pins the fields argument of list tools: it keeps only
// the named fields of each item, is checked against the fields the catalog
// declares, and never reaches the upstream.
func TestFieldsArgument(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{})
	res, err := h.call(t, "GITHUB_LIST_REPOSITORIES", map[string]any{"fields": []any{"full_name", "private"}})
	if err != nil {
		t.Fatal(err)
	}
	r := onlyRequest(t, h.gh)
	if strings.Contains(r.RawQuery, "fields") {
		t.Errorf("fields reached GitHub: %s", r.RawQuery)
	}
	items, _ := res.Structured["repositories"].([]any)
	if len(items) == 0 {
		t.Fatalf("no repositories: %v", res.Structured)
	}
	for _, it := range items {
		m := it.(map[string]any)
		if len(m) != 2 || m["full_name"] == nil {
			t.Errorf("item %v, want only full_name and private", m)
		}
	}
	// The text still reads as without fields.
	if !strings.Contains(res.Text, "octo-work/") {
		t.Errorf("text = %q", res.Text)
	}
	for name, fields := range map[string]any{"UnknownField": []any{"owner.password"}, "Empty": []any{}, "NotAList": "full_name", "Twice": []any{"full_name", "full_name"}} {
		if _, err := h.call(t, "GITHUB_LIST_REPOSITORIES", map[string]any{"fields": fields}); err == nil || !strings.Contains(err.Error(), "INVALID_ARGUMENTS") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
