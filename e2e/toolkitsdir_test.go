package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
)

// TestOperatorToolkitsDir runs the README's worked example: an operator's
// toolkit file (docs/examples/toolkits/acme.yaml) loaded with --toolkits-dir
// becomes a toolkit with an api_key scheme, an identity check and tools.
func TestOperatorToolkitsDir(t *testing.T) {
	var mu sync.Mutex
	var seen []string // "METHOD path key body"
	acme := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("X-Api-Key")+" "+string(body))
		mu.Unlock()
		if r.Header.Get("X-Api-Key") != "acme-key-1" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"error": "bad key"})
			return
		}
		switch r.URL.Path {
		case "/me":
			json.NewEncoder(w).Encode(map[string]any{"id": 42, "email": "agent@acme.example"})
		case "/tickets":
			json.NewEncoder(w).Encode(map[string]any{"tickets": []any{map[string]any{"id": 7, "subject": "Printer", "status": "open", "requester": map[string]any{"email": "r@acme.example"}, "internal": "noise"}}})
		case "/tickets/7/close":
			json.NewEncoder(w).Encode(map[string]any{"id": 7, "status": "closed"})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer acme.Close()
	dir, _ := filepath.Abs(filepath.Join("..", "docs", "examples", "toolkits"))
	srv := serve(t, t.TempDir(), nil, "--toolkits-dir", dir, "--toolkit-url", "acme="+acme.URL)
	s := connectHTTP(t, srv.base+"/mcp", alice(nil))
	connectAccount(t, s, "acme", "acme-key-1", "")
	got := s.ok(t, "ACME_LIST_TICKETS", map[string]any{"status": "open"})
	result, _ := json.Marshal(got["result"])
	if want := `{"count":1,"tickets":[{"id":7,"requester":{"email":"r@acme.example"},"status":"open","subject":"Printer"}]}`; string(result) != want {
		t.Errorf("shaped result %s, want %s", result, want)
	}
	s.ok(t, "ACME_CLOSE_TICKET", map[string]any{"ticket_id": 7, "note": "fixed"})
	mu.Lock()
	defer mu.Unlock()
	want := []string{"GET /me acme-key-1 ", "GET /tickets?status=open acme-key-1 ", `POST /tickets/7/close acme-key-1 {"note":"fixed"}`}
	if len(seen) != 3 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Errorf("upstream saw %q, want %q", seen, want)
	}
}
