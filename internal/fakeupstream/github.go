// Package fakeupstream fakes third-party APIs over real HTTP (httptest), for
// tests and benchmarks only. Fakes follow the real APIs' shapes, statuses and
// headers closely enough that code tested against them works upstream.
package fakeupstream

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// GitHub is a fake GitHub REST API (api.github.com, version 2022-11-28):
// users with tokens, their repositories, issues and comments. It records
// every request and can fail or stall requests on demand. It is safe for
// concurrent use.
type GitHub struct {
	recorder
	srv *httptest.Server

	mu     sync.Mutex
	tokens map[string]*ghUser // by token
	logins map[string]*ghUser // by lower-case login
	repos  map[string]*ghRepo // by lower-case "owner/name"
	seq    int64              // ids and timestamps
}

// NewGitHub starts a fake GitHub on a loopback port. Call Close when done.
func NewGitHub() *GitHub {
	g := &GitHub{
		tokens: map[string]*ghUser{}, logins: map[string]*ghUser{},
		repos: map[string]*ghRepo{},
	}
	g.srv = httptest.NewServer(g.record(25<<20, g.handler()))
	return g
}

// URL returns the API base URL, e.g. http://127.0.0.1:34567 (the equivalent
// of https://api.github.com).
func (g *GitHub) URL() string { return g.srv.URL }

// Close shuts the server down.
func (g *GitHub) Close() { g.srv.Close() }

// Stall makes the next times requests on path wait d (or until the client
// gives up) before being served normally.
func (g *GitHub) Stall(path string, d time.Duration, times int) { g.stall(path, d, times) }

// handler checks what GitHub checks before routing (User-Agent, API
// version), then serves.
func (g *GitHub) handler() http.Handler {
	mux := g.routes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.UserAgent() == "" {
			ghWriteError(w, http.StatusForbidden, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).")
			return
		}
		if v := r.Header.Get("X-GitHub-Api-Version"); v != "" && v != "2022-11-28" && v != "2026-03-10" {
			ghWriteError(w, http.StatusBadRequest, fmt.Sprintf("Unsupported 'X-GitHub-Api-Version': %s", v))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

const docsURL = "https://docs.github.com/rest"

// ghWriteJSON answers with GitHub's usual headers.
func ghWriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4999")
	h.Set("X-RateLimit-Used", "1")
	h.Set("X-RateLimit-Resource", "core")
	h.Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
	writeJSON(w, status, v)
}

// ghWriteError answers with GitHub's error shape.
func ghWriteError(w http.ResponseWriter, status int, message string) {
	ghWriteJSON(w, status, map[string]any{"message": message, "documentation_url": docsURL, "status": fmt.Sprint(status)})
}

// ghWriteValidation answers 422 "Validation Failed" with GitHub's errors list.
func ghWriteValidation(w http.ResponseWriter, errs ...map[string]any) {
	ghWriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "errors": errs, "documentation_url": docsURL, "status": "422",
	})
}
