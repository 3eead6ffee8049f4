package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// The helpers below are shared by the toolkit tests, which all run a
// toolkit's tools against a fake of its API and check what reached the
// fake and what came back.

func builtin(tb testing.TB) *tools.Catalog {
	tb.Helper()
	c, err := tools.Builtin()
	if err != nil {
		tb.Fatalf("Builtin: %v", err)
	}
	return c
}

// toolRunner runs the tools of a catalog with an executor that sends one
// toolkit's requests to a fake.
type toolRunner struct {
	cat  *tools.Catalog
	exec *tools.Executor
}

// newToolRunner returns a runner of cat whose executor, built with opts,
// sends toolkit's requests to baseURL and waits only a millisecond between
// retries.
func newToolRunner(cat *tools.Catalog, opts tools.ExecutorOptions, toolkit, baseURL string) toolRunner {
	opts.BaseURLs = map[string]string{toolkit: baseURL}
	exec := tools.NewExecutor(cat, opts)
	tools.SetRetryBackoff(exec, time.Millisecond, time.Millisecond)
	return toolRunner{cat: cat, exec: exec}
}

// run calls tool with args as auth and fails tb when one of secrets appears
// in what the call returns.
func (r toolRunner) run(tb testing.TB, tool string, args map[string]any, auth tools.Authorizer, secrets ...string) (*tools.Result, error) {
	tb.Helper()
	tl := r.cat.Tool(tool)
	if tl == nil {
		tb.Fatalf("no tool %s", tool)
	}
	res, err := r.exec.Call(context.Background(), tl, args, auth)
	assertNoSecret(tb, res, err, secrets...)
	return res, err
}

// assertNoSecret fails when one of secrets appears in a result or an error,
// in any of the forms a caller could print.
func assertNoSecret(tb testing.TB, res *tools.Result, err error, secrets ...string) {
	tb.Helper()
	var out []string
	if res != nil {
		data, _ := json.Marshal(res.Structured)
		out = append(out, res.Text, string(data), fmt.Sprintf("%+v", res))
	}
	if err != nil {
		out = append(out, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		var e *tools.Error
		if errors.As(err, &e) {
			out = append(out, e.PublicMessage())
		}
	}
	for _, s := range out {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				tb.Errorf("credential leaked into %q", s)
			}
		}
	}
}

// requester is a fake that records the requests it receives, as every fake
// of fakeupstream does.
type requester interface {
	Requests() []fakeupstream.Request
}

// onlyRequest returns the one request fake received, failing tb at once
// when it received another number.
func onlyRequest(tb testing.TB, fake requester) fakeupstream.Request {
	tb.Helper()
	reqs := fake.Requests()
	if len(reqs) != 1 {
		tb.Fatalf("fake got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// assertRequestCount fails tb unless fake received want requests.
func assertRequestCount(tb testing.TB, fake requester, want int) {
	tb.Helper()
	if n := len(fake.Requests()); n != want {
		tb.Errorf("fake got %d requests, want %d", n, want)
	}
}

// assertJSONBody fails tb unless r carries the JSON want as
// application/json; charset=utf-8, or, when want is "", no body at all.
func assertJSONBody(tb testing.TB, r fakeupstream.Request, want string) {
	tb.Helper()
	ct := r.Header.Get("Content-Type")
	if want == "" {
		if r.Body != "" || ct != "" {
			tb.Errorf("request has body %q (%s), want none", r.Body, ct)
		}
		return
	}
	assertSameJSON(tb, "body", want, r.Body)
	if ct != "application/json; charset=utf-8" {
		tb.Errorf("Content-Type = %q, want JSON", ct)
	}
}

// failer is a fake that can fail requests on demand.
type failer interface {
	Fail(path string, status int, header http.Header, body string, times int)
}

// failure is an answer for a fake to give instead of serving the next times
// requests on path (see fakeupstream.GitHub.Fail).
type failure struct {
	path   string
	status int
	header http.Header
	body   string
	times  int
}

// injectFailures makes fake answer with fails, in order.
func injectFailures(fake failer, fails []failure) {
	for _, f := range fails {
		fake.Fail(f.path, f.status, f.header, f.body, f.times)
	}
}

// assertDiff fails tb with a diff of what unless got is want.
func assertDiff(tb testing.TB, what string, want, got any) {
	tb.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// assertSameJSON fails tb with a diff of what unless want and got are the
// same JSON value; a string is taken as JSON text.
func assertSameJSON(tb testing.TB, what string, want, got any) {
	tb.Helper()
	assertDiff(tb, what, canon(tb, want), canon(tb, got))
}

// assertResult fails tb unless res holds the JSON structured and exactly
// text.
func assertResult(tb testing.TB, res *tools.Result, structured, text string) {
	tb.Helper()
	assertSameJSON(tb, "structured", structured, res.Structured)
	if res.Text != text {
		tb.Errorf("text = %q\nwant   %q", res.Text, text)
	}
}

// assertContains fails tb for each of parts that s, the what, lacks.
func assertContains(tb testing.TB, what, s string, parts ...string) {
	tb.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			tb.Errorf("%s %q\nlacks %q", what, s, p)
		}
	}
}

// asToolError returns err as a *tools.Error, failing tb at once when it is
// not one.
func asToolError(tb testing.TB, err error) *tools.Error {
	tb.Helper()
	var e *tools.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err = %v, want *tools.Error", err)
	}
	return e
}

// wantCode returns err as a *tools.Error, failing tb at once unless it is
// one with code.
func wantCode(tb testing.TB, err error, code string) *tools.Error {
	tb.Helper()
	var e *tools.Error
	if !errors.As(err, &e) || e.Code != code {
		tb.Fatalf("err = %v, want %s", err, code)
	}
	return e
}

// merged returns a new map of base's arguments and extra's, extra's winning.
func merged(base, extra map[string]any) map[string]any {
	m := maps.Clone(base)
	if m == nil {
		m = map[string]any{}
	}
	maps.Copy(m, extra)
	return m
}

// canon re-encodes v as JSON values with json.Number, for comparison; a
// string is taken as JSON text.
func canon(tb testing.TB, v any) any {
	tb.Helper()
	var data []byte
	if s, ok := v.(string); ok {
		data = []byte(s)
	} else {
		var err error
		if data, err = json.Marshal(v); err != nil {
			tb.Fatal(err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		tb.Fatalf("canon(%s): %v", data, err)
	}
	return out
}

// jsonString is s as a JSON string literal.
func jsonString(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}
