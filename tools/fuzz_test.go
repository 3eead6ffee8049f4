package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"switchboard/tools"
)

// The fuzz targets run their seeds (testdata/fuzz/<Name>/ and those added
// below) as ordinary tests; .ci/fuzz runs each with -fuzz for a while.

// fuzzBasePath is the path of the base URL every toolkit is sent to, as a
// GitHub Enterprise base URL has one: requests must stay under it.
const fuzzBasePath = "/base"

// upstreamGuard is an http.RoundTripper that lets requests reach only the
// fake upstream under fuzzBasePath and records every request that goes
// elsewhere or has a . or .. segment, before any of them leaves.
type upstreamGuard struct {
	host string
	next http.RoundTripper

	mu       sync.Mutex
	requests int
	bad      []string
}

func (g *upstreamGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	g.mu.Lock()
	g.requests++
	problem := requestProblem(r.URL, g.host)
	if problem != "" {
		g.bad = append(g.bad, problem)
	}
	g.mu.Unlock()
	if problem != "" {
		return nil, errors.New("refused by the fuzz guard: " + problem)
	}
	return g.next.RoundTrip(r)
}

// reset forgets what was seen and returns it.
func (g *upstreamGuard) reset() (requests int, bad []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	requests, bad = g.requests, g.bad
	g.requests, g.bad = 0, nil
	return requests, bad
}

// requestProblem says what is wrong with a request URL, or "".
func requestProblem(u *url.URL, host string) string {
	if u.Scheme != "http" || u.Host != host || u.User != nil {
		return fmt.Sprintf("request to %s://%s, not the configured base URL", u.Scheme, u.Host)
	}
	raw := u.EscapedPath()
	rest, ok := strings.CutPrefix(raw, fuzzBasePath+"/")
	if !ok {
		return fmt.Sprintf("path %q is not under the base path %s", raw, fuzzBasePath)
	}
	for _, seg := range strings.Split(rest, "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return fmt.Sprintf("path %q has a badly escaped segment %q", raw, seg)
		}
		// A server may decode %2e before it resolves dot segments.
		if seg == "." || seg == ".." || dec == "." || dec == ".." {
			return fmt.Sprintf("path %q has a dot segment", raw)
		}
	}
	return ""
}

// FuzzToolCall calls a catalog tool with arbitrary arguments, decoded as
// raw JSON (json.Number) or, when doubles is set, as mcp-go decodes them
// (float64). Whatever the input, nothing panics, no request leaves for
// another host or outside the base path or with a dot segment, arguments
// Validate refuses make no request, and no failure is INTERNAL, which would
// mean a request the catalog cannot build.
func FuzzToolCall(f *testing.F) {
	cat := builtin(f)
	all := cat.Tools()
	for _, tl := range all {
		f.Add(tl.Name, []byte(`{}`), false)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	f.Cleanup(srv.Close)
	guard := &upstreamGuard{host: strings.TrimPrefix(srv.URL, "http://"), next: srv.Client().Transport}
	bases := map[string]string{}
	for _, tk := range cat.Toolkits() {
		bases[tk.Slug] = srv.URL + fuzzBasePath
	}
	exec := tools.NewExecutor(cat, tools.ExecutorOptions{Client: &http.Client{Transport: guard}, BaseURLs: bases, Timeout: 5 * time.Second})
	tools.SetRetryBackoff(exec)
	f.Fuzz(func(t *testing.T, name string, raw []byte, doubles bool) {
		tl := cat.Tool(name)
		if tl == nil {
			// Any name still picks a tool, so that no input is wasted.
			tl = all[len(name)%len(all)]
		}
		var decoded any = json.RawMessage(raw)
		if doubles {
			if json.Unmarshal(raw, &decoded) != nil {
				return
			}
		}
		args, err := tl.Arguments(decoded)
		if err != nil {
			wantCode(t, err, tools.CodeInvalidArguments)
			return
		}
		guard.reset()
		_, callErr := exec.Call(context.Background(), tl, args, nil)
		requests, bad := guard.reset()
		for _, b := range bad {
			t.Errorf("%s: %s", tl.Name, b)
		}
		if err := exec.Validate(tl, args); err != nil && requests > 0 {
			t.Errorf("%s: Validate refused the arguments (%v), but Call made %d requests", tl.Name, err, requests)
		}
		var e *tools.Error
		if errors.As(callErr, &e) && e.Code == tools.CodeInternal {
			t.Errorf("%s: %v", tl.Name, callErr)
		}
	})
}

var slugLine = regexp.MustCompile(`(?m)^slug:\s*([a-z][a-z0-9]*)\s*$`)

// FuzzToolkitFile loads arbitrary bytes as a toolkit file. Whatever the
// input, the loader neither panics nor takes longer than a few seconds
// (a file naming /dev/zero, an alias bomb, deep nesting), and every tool
// of a file it accepts has a schema to check arguments against.
//
// The seeds are the small toolkits of the tests, which between them use
// every part of the format: the built-in files are large, and the fuzzer
// spends its time minimizing what it finds in large inputs.
func FuzzToolkitFile(f *testing.F) {
	for _, seed := range []string{acme, numsAPI, kitAPI} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		name := "fuzz.yaml"
		if m := slugLine.FindSubmatch(data); m != nil {
			name = string(m[1]) + ".yaml" // so that the slug matches the file
		}
		type loaded struct {
			c   *tools.Catalog
			err error
		}
		done := make(chan loaded, 1)
		go func() {
			c, err := tools.LoadCatalog(fstest.MapFS{name: {Data: data}})
			done <- loaded{c, err}
		}()
		const bound = 5 * time.Second
		var res loaded
		select {
		case res = <-done:
		case <-time.After(bound):
			t.Fatalf("loading %d bytes took over %s", len(data), bound)
		}
		if res.err != nil {
			return
		}
		exec := tools.NewExecutor(res.c, tools.ExecutorOptions{})
		for _, tl := range res.c.Tools() {
			var e *tools.Error
			if err := exec.Validate(tl, map[string]any{}); errors.As(err, &e) && e.Code == tools.CodeInternal {
				t.Errorf("%s: %v", tl.Name, err)
			}
		}
	})
}
