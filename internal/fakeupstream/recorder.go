package fakeupstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
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

// recorder is what every fake does before it serves a request: record it
// and answer instead with a failure injected for its path. Embedded in a
// fake, it gives the fake Requests, Reset and Fail. Its zero value is ready
// to use; it is safe for concurrent use and has its own lock, apart from the
// fake's.
type recorder struct {
	mu       sync.Mutex
	requests []Request
	failures map[string][]*failure // by path
}

// failure is an injected answer for the next requests on a path.
type failure struct {
	status int // 0 drops the connection; -1 serves normally (after delay)
	header http.Header
	body   string
	delay  time.Duration // stall before answering (or serving normally)
	times  int
}

// Requests returns a copy of every request received since the start or the
// last Reset, oldest first.
func (rec *recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]Request, len(rec.requests))
	for i, r := range rec.requests {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// Reset forgets the recorded requests and pending failures; what the fake
// serves (users, repositories, messages, …) stays.
func (rec *recorder) Reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests = nil
	rec.failures = nil
}

// Fail makes the next times requests on path (the exact decoded URL path,
// any method) answer status with header and body instead of being served.
// Status 0 drops the connection without an answer (note that Go's client
// silently retries a GET once when a reused connection drops). Calls queue
// up: a second Fail on the same path takes effect after the first is used
// up.
func (rec *recorder) Fail(path string, status int, header http.Header, body string, times int) {
	rec.inject(path, &failure{status: status, header: header.Clone(), body: body, times: times})
}

// stall makes the next times requests on path wait d (or until the client
// gives up) before being served normally.
func (rec *recorder) stall(path string, d time.Duration, times int) {
	rec.inject(path, &failure{status: -1, delay: d, times: times})
}

func (rec *recorder) inject(path string, f *failure) {
	if f.times <= 0 {
		return
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.failures == nil {
		rec.failures = map[string][]*failure{}
	}
	rec.failures[path] = append(rec.failures[path], f)
}

// nextFailure consumes one use of the first failure queued for path.
func (rec *recorder) nextFailure(path string) *failure {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	q := rec.failures[path]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if f.times--; f.times == 0 {
		rec.failures[path] = q[1:]
	}
	return f
}

// record returns a handler that reads the request's body (at most maxBody
// bytes, put back for next to read again), records the request, and
// answers with the failure queued for its path or else hands it to next.
func (rec *recorder) record(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		rec.requests = append(rec.requests, Request{
			Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Token: bearer(r), Header: r.Header.Clone(), Body: string(body),
		})
		rec.mu.Unlock()
		if f := rec.nextFailure(r.URL.Path); f != nil && f.serve(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serve waits out f's delay, then answers as f says; it reports whether it
// answered (a stall leaves the request to be served normally, and a client
// that gives up while waiting gets no answer).
func (f *failure) serve(w http.ResponseWriter, r *http.Request) bool {
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case f.status == 0:
		drop(w)
	case f.status > 0:
		for k, v := range f.header {
			w.Header()[k] = v
		}
		w.WriteHeader(f.status)
		io.WriteString(w, f.body)
	default:
		return false
	}
	return true
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

// writeJSON answers status with v as JSON, the way most APIs label it.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeGoogleJSON answers status with v as JSON, labeled as Google's APIs
// label it (charset=UTF-8).
func writeGoogleJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// googleErrorDoc is the error body of Google's APIs:
//
//	{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
//	           "errors": [{"message": "...", "domain": "global", "reason": "..."}]}}
//
// status "" leaves "status" out.
func googleErrorDoc(code int, status, message, domain, reason string) map[string]any {
	body := map[string]any{"code": code, "message": message,
		"errors": []any{map[string]any{"message": message, "domain": domain, "reason": reason}}}
	if status != "" {
		body["status"] = status
	}
	return map[string]any{"error": body}
}
