package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"switchboard/tools"
)

func TestLargeResults(t *testing.T) {
	things := func(n, size int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"id":"t%d","name":%q}`, i, strings.Repeat("n ", size)[:size])
		}
		return `{"things":[` + strings.Join(items, ",") + `]}`
	}
	t.Run("ListCutAtMaxItems", func(t *testing.T) {
		cat, exec, _ := newKit(t, json200(things(120, 1)))
		res, err := exec.Call(context.Background(), cat.Tool("KIT_LIST_THINGS"), map[string]any{"max_results": 120}, nil)
		if err != nil {
			t.Fatal(err)
		}
		items := res.Structured["things"].([]any)
		if len(items) != tools.MaxListItems || res.Structured["count"] != tools.MaxListItems || res.Structured["truncated"] != true ||
			res.Structured["total_in_response"] != 120 {
			t.Errorf("structured: %d items, %v", len(items), res.Structured)
		}
		if want := "Only the first 50 of 120 items are shown; call again with max_results=50 (or fewer) to page through all of them"; !strings.Contains(res.Text, want) {
			t.Errorf("text %q\nlacks %q", res.Text, want)
		}
		if n := strings.Count(res.Text, "\n- "); n != tools.MaxListItems {
			t.Errorf("text has %d lines of items", n)
		}
	})
	t.Run("ListCutToSizeBudget", func(t *testing.T) {
		cat, exec, _ := newKit(t, json200(things(40, 4000)))
		res, err := exec.Call(context.Background(), cat.Tool("KIT_LIST_THINGS"), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(res.Structured)
		n := len(res.Structured["things"].([]any))
		if len(data) > tools.MaxResultBytes || n == 0 || n >= 40 || res.Structured["count"] != n ||
			!strings.Contains(res.Text, fmt.Sprintf("Only the first %d of 40 items are shown", n)) {
			t.Errorf("%d bytes, %d items, text ends %q", len(data), n, res.Text[max(0, len(res.Text)-200):])
		}
	})
	t.Run("LongStringsCut", func(t *testing.T) {
		cat, exec, _ := newKit(t, json200(`{"data":{"issue":{"id":"1","title":"`+strings.Repeat("word ", 30000)+`"}}}`))
		res, err := exec.Call(context.Background(), cat.Tool("KIT_GET_ISSUE"), map[string]any{"id": "1"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(res.Structured)
		title := res.Structured["title"].(string)
		if len(data) > tools.MaxResultBytes || res.Structured["id"] != "1" || !strings.Contains(title, "more characters]") ||
			len(res.Text) > tools.MaxResultBytes || !strings.Contains(res.Text, "[cut:") {
			t.Errorf("%d bytes of structured, %d of text; title ends %q", len(data), len(res.Text), title[len(title)-40:])
		}
	})
	t.Run("Base64NotInlined", func(t *testing.T) {
		blob := strings.Repeat("QUJD", 600) + "=="
		cat, exec, _ := newKit(t, json200(`{"data":{"issue":{"id":"1","title":"`+blob+`"}}}`))
		res, err := exec.Call(context.Background(), cat.Tool("KIT_GET_ISSUE"), map[string]any{"id": "1"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Structured["title"]; got != "[binary data, about 1800 bytes, not inlined]" || strings.Contains(res.Text, "QUJD") {
			t.Errorf("title = %v, text %q", got, res.Text)
		}
	})
	t.Run("BinaryResponseNotInlined", func(t *testing.T) {
		cat, exec, _ := newKit(t, func(recorded) (int, http.Header, string) {
			return 200, http.Header{"Content-Type": {"application/pdf"}}, "%PDF-1.7 binary"
		})
		res, err := exec.Call(context.Background(), cat.Tool("KIT_GET_ISSUE"), map[string]any{"id": "1"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"content_type": "application/pdf", "size_bytes": 15, "inlined": false}
		if diff := cmp.Diff(want, res.Structured); diff != "" || !strings.Contains(res.Text, "binary content is not inlined") || strings.Contains(res.Text, "PDF-1.7") {
			t.Errorf("result %q (-want +got):\n%s", res.Text, diff)
		}
	})
}
