package tools_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"switchboard/tools"
)

// acmeAPI exercises what the GitHub catalog does not: api_key headers,
// Slack-style ok:false, lists inside objects, path escaping, no-body answers.
const acmeAPI = `slug: acme
name: Acme
description: A test API.
base_url: https://api.acme.test/v1
headers: {Accept: application/json}
errors: {ok_field: ok, message_field: error}
schemes:
  - kind: api_key
    header: X-Api-Key
    credential_label: API key
    help: Settings, then API keys.
tools:
  - name: ACME_GET_THING
    title: Get a thing
    description: Returns a thing.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        id: {type: string, description: Thing id.}
        tags: {type: array, items: {type: string}, description: Tags.}
        verbose: {type: boolean, description: More detail.}
      required: [id]
      additionalProperties: false
    request: {method: GET, path: "/things/{id}", query: [tags, verbose]}
    result: {fields: [name], text: "{name}"}
  - name: ACME_LIST_THINGS
    title: List things
    description: Lists things.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema: {type: object, properties: {}, additionalProperties: false}
    request: {method: GET, path: /things}
    result: {list_path: data.things, list_key: things, fields: [name, tags.name], text: "{name} ({tags.name})"}
  - name: ACME_DELETE_THING
    title: Delete a thing
    description: Deletes a thing.
    annotations: {read_only: false, destructive: true, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties: {id: {type: string, description: Thing id.}}
      required: [id]
      additionalProperties: false
    request: {method: DELETE, path: "/things/{id}"}
    result: {text: Deleted.}
`

type acmeServer struct {
	mu   sync.Mutex
	last *http.Request
}

func newAcme(tb testing.TB) (*tools.Catalog, *tools.Executor, *acmeServer) {
	tb.Helper()
	cat, err := tools.LoadCatalog(fstest.MapFS{"acme.yaml": {Data: []byte(acmeAPI)}})
	if err != nil {
		tb.Fatal(err)
	}
	s := &acmeServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.last = r.Clone(context.Background())
		s.mu.Unlock()
		switch {
		case r.Method == "DELETE":
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/v1/things":
			io.WriteString(w, `{"ok":true,"data":{"things":[{"name":"a","tags":[{"name":"x"},{"name":"y"}],"noise":1},{"name":"b","tags":[]}]}}`)
		case strings.HasSuffix(r.URL.Path, "/missing"):
			io.WriteString(w, `{"ok":false,"error":"thing_not_found"}`)
		default:
			io.WriteString(w, `{"ok":true,"name":"thing","noise":2}`)
		}
	}))
	tb.Cleanup(srv.Close)
	exec := tools.NewExecutor(cat, tools.ExecutorOptions{BaseURLs: map[string]string{"acme": srv.URL + "/v1"}})
	return cat, exec, s
}

func (s *acmeServer) request() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func TestGenericExecutor(t *testing.T) {
	cat, exec, srv := newAcme(t)
	auth := cat.Toolkit("acme").Scheme(tools.SchemeAPIKey).Authorizer("k-123")
	call := func(tool string, args map[string]any) (*tools.Result, error) {
		return exec.Call(context.Background(), cat.Tool(tool), args, auth)
	}
	t.Run("PathEscapedQueryJoinedAPIKeyHeader", func(t *testing.T) {
		res, err := call("ACME_GET_THING", map[string]any{"id": "a/b c", "tags": []any{"x", "y"}, "verbose": true})
		if err != nil {
			t.Fatal(err)
		}
		r := srv.request()
		got := []string{r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("X-Api-Key"), r.Header.Get("Authorization"), r.Header.Get("Accept")}
		want := []string{"/v1/things/a%2Fb%20c", "tags=x%2Cy&verbose=true", "k-123", "", "application/json"}
		assertDiff(t, "request", want, got)
		if diff := cmp.Diff(map[string]any{"name": "thing"}, res.Structured); diff != "" || res.Text != "thing" {
			t.Errorf("result %q (-want +got):\n%s", res.Text, diff)
		}
	})
	t.Run("DotSegmentsRefused", func(t *testing.T) {
		for _, id := range []string{".", ".."} {
			_, err := call("ACME_GET_THING", map[string]any{"id": id})
			var e *tools.Error
			if !errors.As(err, &e) || e.Code != tools.CodeInvalidArguments || e.Problems[0].Path != "/id" {
				t.Errorf("id %q: err = %v, want INVALID_ARGUMENTS on /id", id, err)
			}
		}
	})
	t.Run("OKFalseIsUpstreamError", func(t *testing.T) {
		_, err := call("ACME_GET_THING", map[string]any{"id": "missing"})
		var e *tools.Error
		if !errors.As(err, &e) || e.Code != tools.CodeUpstreamError || !strings.Contains(e.Message, "thing_not_found") {
			t.Errorf("err = %v, want UPSTREAM_ERROR naming thing_not_found", err)
		}
	})
	t.Run("ListInsideObjectShapedThroughArrays", func(t *testing.T) {
		res, err := call("ACME_LIST_THINGS", nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"count": 2, "things": []any{
			map[string]any{"name": "a", "tags": []any{map[string]any{"name": "x"}, map[string]any{"name": "y"}}},
			map[string]any{"name": "b", "tags": []any{}},
		}}
		assertDiff(t, "structured", want, res.Structured)
		if want := "things: 2 items:\n- a (x, y)\n- b ()"; res.Text != want {
			t.Errorf("text = %q, want %q", res.Text, want)
		}
	})
	t.Run("NoContent", func(t *testing.T) {
		res, err := call("ACME_DELETE_THING", map[string]any{"id": "a"})
		if err != nil || res.Text != "Deleted." || len(res.Structured) != 0 || srv.request().Method != "DELETE" {
			t.Errorf("Call = %+v, %v", res, err)
		}
	})
	t.Run("AuthorizerRunsLast", func(t *testing.T) {
		var sawAccept, sawAgent string
		last := tools.AuthorizerFunc(func(_ context.Context, r *http.Request) error {
			sawAccept, sawAgent = r.Header.Get("Accept"), r.Header.Get("User-Agent")
			return nil
		})
		if _, err := exec.Call(context.Background(), cat.Tool("ACME_GET_THING"), map[string]any{"id": "a"}, last); err != nil {
			t.Fatal(err)
		}
		if sawAccept != "application/json" || sawAgent != tools.DefaultUserAgent {
			t.Errorf("authorizer saw Accept %q, User-Agent %q; want them set before it", sawAccept, sawAgent)
		}
	})
	t.Run("NoIdentityRequest", func(t *testing.T) {
		_, err := exec.Identify(context.Background(), "acme", auth)
		var e *tools.Error
		if !errors.As(err, &e) || e.Code != tools.CodeInternal {
			t.Errorf("err = %v, want INTERNAL", err)
		}
	})
}
