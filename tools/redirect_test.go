package tools_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"switchboard/tools"
)

// TestRedirectNeverCarriesTheKeyAway pins that a redirect to another host
// is refused: a custom credential header (X-Api-Key) is not one net/http
// strips, so following it would hand the key to that host.
func TestRedirectNeverCarriesTheKeyAway(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		if r.Header.Get("X-Api-Key") != "" {
			t.Errorf("the other host received the API key")
		}
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/items", http.StatusMovedPermanently) // same host: followed
		case "/items":
			http.Redirect(w, r, other.URL+"/items", http.StatusFound) // another host: refused
		}
	}))
	defer api.Close()
	c, err := tools.LoadCatalog(fstest.MapFS{"acme.yaml": {Data: []byte(`slug: acme
name: Acme
description: A test API.
base_url: https://acme.example
schemes:
  - kind: api_key
    header: X-Api-Key
    credential_label: API key
    help: From the profile page.
identity: {method: GET, path: /me, id: id, label: name}
tools:
  - name: ACME_LIST
    title: List items
    description: Lists items.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema: {type: object, properties: {}, additionalProperties: false}
    request: {method: GET, path: /moved}
    result: {fields: [id], text: "{id}"}
`)}})
	if err != nil {
		t.Fatal(err)
	}
	exec := tools.NewExecutor(c, tools.ExecutorOptions{BaseURLs: map[string]string{"acme": api.URL}})
	_, err = exec.Call(context.Background(), c.Tool("ACME_LIST"), map[string]any{}, c.Toolkit("acme").Scheme("api_key").Authorizer("secret-key"))
	if err == nil {
		t.Error("a redirect to another host was followed to a result")
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host was contacted %d time(s)", n)
	}
}
