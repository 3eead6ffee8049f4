// Package fakeupstream fakes third-party APIs over real HTTP (httptest), for
// tests and benchmarks only. Fakes follow the real APIs' shapes, statuses and
// headers closely enough that code tested against them works upstream.
package fakeupstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Request is one request a fake received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the decoded URL path, e.g. /repos/octocat/hello-world/issues.
	Path string
	// EscapedPath is the path as sent on the wire (%2F stays escaped).
	EscapedPath string
	// RawQuery is the query string without "?".
	RawQuery string
	// Token is the bearer token the request carried, "" if none.
	Token string
	// Header holds every request header, Authorization included.
	Header http.Header
	// Body is the request body.
	Body string
}

// failure is an injected answer for the next requests on a path.
type failure struct {
	status int // 0 drops the connection
	header http.Header
	body   string
	delay  time.Duration // stall before answering (or serving normally)
	times  int
}

// GitHub is a fake GitHub REST API (api.github.com, version 2022-11-28):
// users with tokens, their repositories, issues and comments. It records
// every request and can fail or stall requests on demand. It is safe for
// concurrent use.
type GitHub struct {
	srv *httptest.Server

	mu       sync.Mutex
	tokens   map[string]*ghUser // by token
	logins   map[string]*ghUser // by lower-case login
	repos    map[string]*ghRepo // by lower-case "owner/name"
	seq      int64              // ids and timestamps
	requests []Request
	failures map[string][]*failure // by path
}

// NewGitHub starts a fake GitHub on a loopback port. Call Close when done.
func NewGitHub() *GitHub {
	g := &GitHub{
		tokens: map[string]*ghUser{}, logins: map[string]*ghUser{},
		repos: map[string]*ghRepo{}, failures: map[string][]*failure{},
	}
	g.srv = httptest.NewServer(g.handler())
	return g
}

// URL returns the API base URL, e.g. http://127.0.0.1:34567 (the equivalent
// of https://api.github.com).
func (g *GitHub) URL() string { return g.srv.URL }

// Close shuts the server down.
func (g *GitHub) Close() { g.srv.Close() }

// Requests returns a copy of every request received since the start or the
// last Reset, oldest first.
func (g *GitHub) Requests() []Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Request, len(g.requests))
	for i, r := range g.requests {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// Reset forgets the recorded requests and pending failures; users,
// repositories and issues stay.
func (g *GitHub) Reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = nil
	g.failures = map[string][]*failure{}
}

// Fail makes the next times requests on path (exact URL path, any method)
// answer status with header and body instead of being served. Status 0
// drops the connection without an answer (note that Go's client silently
// retries a GET once when a reused connection drops). Calls queue up: a second Fail on
// the same path takes effect after the first is used up.
func (g *GitHub) Fail(path string, status int, header http.Header, body string, times int) {
	g.inject(path, &failure{status: status, header: header.Clone(), body: body, times: times})
}

// Stall makes the next times requests on path wait d (or until the client
// gives up) before being served normally.
func (g *GitHub) Stall(path string, d time.Duration, times int) {
	g.inject(path, &failure{status: -1, delay: d, times: times})
}

func (g *GitHub) inject(path string, f *failure) {
	if f.times <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failures[path] = append(g.failures[path], f)
}

// nextFailure consumes one use of the first failure queued for path.
func (g *GitHub) nextFailure(path string) *failure {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.failures[path]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if f.times--; f.times == 0 {
		g.failures[path] = q[1:]
	}
	return f
}

// handler records the request, applies injected failures, checks what
// GitHub checks before routing (User-Agent, API version), then serves.
func (g *GitHub) handler() http.Handler {
	mux := g.routes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 25<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		g.mu.Lock()
		g.requests = append(g.requests, Request{
			Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Token: bearer(r), Header: r.Header.Clone(), Body: string(body),
		})
		g.mu.Unlock()
		if f := g.nextFailure(r.URL.Path); f != nil {
			if f.delay > 0 {
				select {
				case <-time.After(f.delay):
				case <-r.Context().Done():
					return
				}
			}
			if f.status == 0 {
				drop(w)
				return
			}
			if f.status > 0 {
				for k, v := range f.header {
					w.Header()[k] = v
				}
				w.WriteHeader(f.status)
				io.WriteString(w, f.body)
				return
			}
		}
		if r.UserAgent() == "" {
			writeError(w, http.StatusForbidden, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).")
			return
		}
		if v := r.Header.Get("X-GitHub-Api-Version"); v != "" && v != "2022-11-28" && v != "2026-03-10" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Unsupported 'X-GitHub-Api-Version': %s", v))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// drop closes the connection without answering, as a crashed proxy would.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fakeupstream: response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// bearer returns the token of "Authorization: Bearer x" (or GitHub's older
// "token x").
func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "bearer ", "token "} {
		if strings.HasPrefix(a, p) {
			return strings.TrimSpace(a[len(p):])
		}
	}
	return ""
}

const docsURL = "https://docs.github.com/rest"

// writeJSON answers with GitHub's usual headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4999")
	h.Set("X-RateLimit-Used", "1")
	h.Set("X-RateLimit-Resource", "core")
	h.Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers with GitHub's error shape.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"message": message, "documentation_url": docsURL, "status": fmt.Sprint(status)})
}

// writeValidation answers 422 "Validation Failed" with GitHub's errors list.
func writeValidation(w http.ResponseWriter, errs ...map[string]any) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "errors": errs, "documentation_url": docsURL, "status": "422",
	})
}
