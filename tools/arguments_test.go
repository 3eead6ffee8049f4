package tools_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"switchboard/tools"
)

// numsAPI has integer and number arguments in every place a request puts
// them: path, query, JSON body, GraphQL variables. id and amount state no
// bounds, so only the safe-integer range limits them.
const numsAPI = `slug: nums
name: Nums
description: A test API of numbers.
base_url: https://api.nums.test
schemes:
  - kind: bearer_token
    credential_label: API key
    help: Settings.
tools:
  - name: NUMS_PUT_THING
    title: Put a thing
    description: Puts a thing.
    annotations: {read_only: false, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        id: {type: integer, description: The thing id.}
        count: {type: integer, minimum: 1, maximum: 100, description: How many.}
        amount: {type: integer, description: An amount.}
        ratio: {type: number, description: Any number.}
        milestone: {type: integer, minimum: 0, maximum: 10, description: A milestone, 0 for none.}
      required: [id]
      additionalProperties: false
    request:
      method: PATCH
      path: /things/{id}
      query: [count]
      body: [amount, ratio, milestone]
      null_when: {milestone: 0}
    result:
      text: "done"
  - name: NUMS_FIND
    title: Find
    description: Finds.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        n: {type: integer, description: A number.}
      additionalProperties: false
    request:
      kind: graphql
      query: "query Find($n: Int) { find(n: $n) { id } }"
      variables: [n]
    result:
      path: data.find
      text: "found"
`

func newNums(tb testing.TB) (*tools.Catalog, *tools.Executor, *kitServer) {
	tb.Helper()
	cat, err := tools.LoadCatalog(fstest.MapFS{"nums.yaml": {Data: []byte(numsAPI)}})
	if err != nil {
		tb.Fatal(err)
	}
	_, _, srv := newKit(tb, json200(`{}`))
	exec := tools.NewExecutor(cat, tools.ExecutorOptions{BaseURLs: map[string]string{"nums": srv.url}})
	return cat, exec, srv
}

// TestNumbersTravelExactly pins that a number argument, whether the caller
// decoded it as float64 (mcp-go's map) or json.Number (a decoder with
// UseNumber, or raw JSON), is checked and sent as the same exact value: an
// integer as its digits in the path, the query and the body.
func TestNumbersTravelExactly(t *testing.T) {
	tests := []struct {
		name  string
		tool  string
		forms []map[string]any // the same arguments, decoded differently
		path  string
		query string
		body  string // JSON
		// byValue compares the body's numbers as doubles: a number that is
		// not an integer is sent as written (1E+21 or 1e+21).
		byValue bool
	}{{
		name: "LargestSafeIntegerInPath", tool: "NUMS_PUT_THING",
		forms: []map[string]any{{"id": float64(9007199254740991)}, {"id": json.Number("9007199254740991")}, {"id": int64(9007199254740991)}},
		path:  "/things/9007199254740991",
	}, {
		name: "IntegerWrittenAsDecimalOrExponent", tool: "NUMS_PUT_THING",
		forms: []map[string]any{{"id": float64(7)}, {"id": json.Number("7.0")}, {"id": json.Number("7e0")}, {"id": json.Number("0.7e1")}, {"id": json.Number("700E-2")}, {"id": 7}},
		path:  "/things/7",
	}, {
		name: "QueryIntegerAsDigits", tool: "NUMS_PUT_THING",
		forms: []map[string]any{{"id": 1, "count": float64(100)}, {"id": 1, "count": json.Number("1e2")}, {"id": 1, "count": json.Number("100.00")}},
		path:  "/things/1", query: "count=100",
	}, {
		name: "BodyIntegerExact", tool: "NUMS_PUT_THING",
		forms: []map[string]any{{"id": 1, "amount": float64(-9007199254740991)}, {"id": 1, "amount": json.Number("-9007199254740991")}, {"id": 1, "amount": json.Number("-9007199254740991.0")}},
		path:  "/things/1", body: `{"amount":-9007199254740991}`,
	}, {
		name: "AnyNumberKeptWhereTheSchemaAllowsOne", tool: "NUMS_PUT_THING",
		forms: []map[string]any{{"id": 1, "ratio": 1e21}, {"id": 1, "ratio": json.Number("1e21")}, {"id": 1, "ratio": json.Number("1E+21")}},
		path:  "/things/1", body: `{"ratio":1e21}`, byValue: true,
	}, {
		name: "FractionKept", tool: "NUMS_PUT_THING",
		forms: []map[string]any{{"id": 1, "ratio": 0.25}, {"id": 1, "ratio": json.Number("0.25")}, {"id": 1, "ratio": json.Number("25e-2")}},
		path:  "/things/1", body: `{"ratio":0.25}`, byValue: true,
	}, {
		name: "NullWhenSendsNull", tool: "NUMS_PUT_THING",
		forms: []map[string]any{{"id": 1, "milestone": float64(0)}, {"id": 1, "milestone": json.Number("0")}, {"id": 1, "milestone": json.Number("-0.0")}},
		path:  "/things/1", body: `{"milestone":null}`,
	}, {
		name: "OtherValueOfNullWhenArgumentSent", tool: "NUMS_PUT_THING",
		forms: []map[string]any{{"id": 1, "milestone": float64(3)}, {"id": 1, "milestone": json.Number("3.0")}},
		path:  "/things/1", body: `{"milestone":3}`,
	}, {
		name: "GraphQLVariableExact", tool: "NUMS_FIND",
		forms: []map[string]any{{"n": float64(4503599627370497)}, {"n": json.Number("4503599627370497")}, {"n": json.Number("4503599627370497e0")}},
		path:  "/graphql", body: `{"query":"query Find($n: Int) { find(n: $n) { id } }","variables":{"n":4503599627370497}}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, args := range tt.forms {
				cat, exec, srv := newNums(t)
				if _, err := exec.Call(context.Background(), cat.Tool(tt.tool), args, nil); err != nil {
					t.Fatalf("%v: %v", args, err)
				}
				r := srv.requests()[0]
				assertDiff(t, "path and query", []string{tt.path, tt.query}, []string{r.Path, r.RawQuery})
				switch {
				case tt.byValue:
					var want, got any
					_ = json.Unmarshal([]byte(tt.body), &want)
					_ = json.Unmarshal([]byte(r.Body), &got)
					assertDiff(t, "body", want, got)
				case tt.body != "":
					// Numbers compare as written: 7 is not 7.0.
					assertSameJSON(t, "body", tt.body, r.Body)
				}
			}
		})
	}
}

// TestInexactNumbersRefused pins that no request is made with a number
// that is not the exact integer an integer argument needs: a fraction, a
// value past the argument's bounds, or a double at or beyond 2^53, where
// the caller's decoder may already have turned 9007199254740993 into
// 9007199254740992.
func TestInexactNumbersRefused(t *testing.T) {
	tests := []struct {
		name   string
		forms  []map[string]any
		reason string // in each problem's reason
	}{
		{"Fraction", []map[string]any{{"id": 1.5}, {"id": json.Number("1.5")}, {"id": json.Number("15e-1")}}, "integer"},
		{"TwoToThe53", []map[string]any{{"id": float64(1 << 53)}, {"id": json.Number("9007199254740992")}, {"id": json.Number("9007199254740993")}}, "9007199254740991"},
		{"Huge", []map[string]any{{"id": 1e21}, {"id": json.Number("1e21")}, {"id": json.Number("1e+21")}}, "9007199254740991"},
		{"HugeNegative", []map[string]any{{"id": 1, "amount": -1e300}, {"id": 1, "amount": json.Number("-1e300")}}, "9007199254740991"},
		{"PastStatedBound", []map[string]any{{"id": 1, "count": float64(101)}, {"id": 1, "count": json.Number("1.01e2")}}, "100"},
		{"NotANumber", []map[string]any{{"id": math.NaN()}, {"id": math.Inf(1)}, {"id": json.Number("abc")}, {"id": json.Number("0x10")}, {"id": json.Number("")}}, "number"},
		{"ExponentTooLarge", []map[string]any{{"id": json.Number("1e999")}, {"id": json.Number("1e-999999999")}}, "exponent"},
		{"LiteralTooLong", []map[string]any{{"id": json.Number("1" + strings.Repeat("0", 100))}}, "characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, args := range tt.forms {
				cat, exec, srv := newNums(t)
				_, err := exec.Call(context.Background(), cat.Tool("NUMS_PUT_THING"), args, nil)
				e := wantCode(t, err, tools.CodeInvalidArguments)
				if len(e.Problems) != 1 || !strings.Contains(e.Problems[0].Reason, tt.reason) {
					t.Errorf("%v: problems %+v, want one whose reason mentions %q", args, e.Problems, tt.reason)
				}
				if n := len(srv.requests()); n != 0 {
					t.Errorf("%v: %d requests made", args, n)
				}
			}
		})
	}
}

// TestGitHubIssueNumberExact is the report of issue 9: issue_number
// 9007199254740993 PATCHed issue 9007199254740992, and 1e21 became the
// path segment 1e+21.
func TestGitHubIssueNumberExact(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{})
	base := map[string]any{"owner": "octo-work", "repo": "hello-world", "title": "x"}
	for _, n := range []any{float64(9007199254740993), json.Number("9007199254740993"), 1e21, json.Number("1e21"), json.Number("2147483648"), float64(0)} {
		_, err := h.call(t, "GITHUB_UPDATE_ISSUE", merged(base, map[string]any{"issue_number": n}))
		e := wantCode(t, err, tools.CodeInvalidArguments)
		if len(e.Problems) != 1 || e.Problems[0].Path != "/issue_number" {
			t.Errorf("%v: problems %+v", n, e.Problems)
		}
	}
	assertRequestCount(t, h.gh, 0)
	for _, n := range []any{float64(1), json.Number("1"), json.Number("1.0"), json.Number("1e0")} {
		if _, err := h.call(t, "GITHUB_UPDATE_ISSUE", merged(base, map[string]any{"issue_number": n})); err != nil {
			t.Errorf("%v: %v", n, err)
		}
	}
	for _, r := range h.gh.Requests() {
		if r.Method != "PATCH" || r.Path != "/repos/octo-work/hello-world/issues/1" {
			t.Errorf("request %s %s, want PATCH of issue 1", r.Method, r.Path)
		}
	}
	assertRequestCount(t, h.gh, 4)
}

// TestBodyBuilderSeesExactNumbers: a Go body builder gets the arguments
// after normalization, so Linear's priority filter carries the same
// integer whatever the caller's decoder.
func TestBodyBuilderSeesExactNumbers(t *testing.T) {
	for _, p := range []any{float64(2), json.Number("2"), json.Number("2.0"), json.Number("0.2e1")} {
		cat := builtin(t)
		_, _, srv := newKit(t, json200(`{"data":{"issues":{"nodes":[],"pageInfo":{"hasNextPage":false}}}}`))
		r := newToolRunner(cat, tools.ExecutorOptions{}, "linear", srv.url)
		if _, err := r.run(t, "LINEAR_LIST_ISSUES", map[string]any{"priority": p}, nil); err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		var body struct {
			Variables struct {
				Filter json.RawMessage `json:"filter"`
			} `json:"variables"`
		}
		if err := json.Unmarshal([]byte(srv.requests()[0].Body), &body); err != nil {
			t.Fatal(err)
		}
		if got := string(body.Variables.Filter); got != `{"priority":{"eq":2}}` {
			t.Errorf("%v: filter %s, want priority eq 2", p, got)
		}
	}
}

func TestNullWhenRefused(t *testing.T) {
	tests := []struct{ name, with, want string }{
		{"NotInBody", "null_when: {count: 1}", `null_when.count: is not an argument sent in the body or as a variable`},
		{"NotAnArgument", "null_when: {nope: 1}", `null_when.nope: is not an argument sent in the body`},
		{"WrongType", "null_when: {milestone: none}", `null_when.milestone: none is not a value of the argument's type (integer)`},
		{"NotAnInteger", "null_when: {milestone: 0.5}", `null_when.milestone: 0.5 is not a value of the argument's type (integer)`},
		{"NotAScalar", "null_when: {milestone: [0]}", `null_when.milestone: [0] is not a value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := strings.Replace(numsAPI, "null_when: {milestone: 0}", tt.with, 1)
			_, err := tools.LoadCatalog(fstest.MapFS{"nums.yaml": {Data: []byte(yaml)}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestArgumentsObject pins what Tool.Arguments takes: nothing, an object
// (decoded, raw JSON, or a Go value encoding as one), with raw numbers kept
// as json.Number; anything else is refused as INVALID_ARGUMENTS.
func TestArgumentsObject(t *testing.T) {
	tl := builtin(t).Tool("GITHUB_GET_AUTHENTICATED_USER")
	accepted := []struct {
		name string
		in   any
		want map[string]any
	}{
		{"Nil", nil, map[string]any{}},
		{"Map", map[string]any{"a": 1.5}, map[string]any{"a": 1.5}},
		{"RawObject", json.RawMessage(`{"a":9007199254740993,"b":[1.0]}`), map[string]any{"a": json.Number("9007199254740993"), "b": []any{json.Number("1.0")}}},
		{"Bytes", []byte(` {"a":"x"} `), map[string]any{"a": "x"}},
		{"RawNull", json.RawMessage(`null`), map[string]any{}},
		{"Empty", []byte(" "), map[string]any{}},
		{"GoStruct", struct{ A int }{3}, map[string]any{"A": json.Number("3")}},
		{"GoMapOfStrings", map[string]string{"a": "x"}, map[string]any{"a": "x"}},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tl.Arguments(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			assertDiff(t, "arguments", tt.want, got)
		})
	}
	refused := []struct {
		name string
		in   any
		why  string
	}{
		{"RawString", json.RawMessage(`"x"`), "not a string"},
		{"RawArray", json.RawMessage(`[]`), "not an array"},
		{"RawNumber", json.RawMessage(`5`), "not a number"},
		{"RawBoolean", []byte(`true`), "not a boolean"},
		{"GoString", "x", "not a string"},
		{"GoSlice", []string{"a"}, "not an array"},
		{"GoNumber", 5, "not a number"},
		{"NotJSON", json.RawMessage(`{"a":`), "not valid JSON"},
		{"TwoValues", json.RawMessage(`{} {}`), "not one JSON value"},
		{"NotEncodable", func() {}, "not JSON values"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tl.Arguments(tt.in)
			e := wantCode(t, err, tools.CodeInvalidArguments)
			if len(e.Problems) != 1 || e.Problems[0].Path != "" || !strings.Contains(e.Message, "arguments: ") || !strings.Contains(e.Problems[0].Reason, tt.why) {
				t.Errorf("problems %+v, message %q; want one about the arguments saying %q", e.Problems, e.Message, tt.why)
			}
		})
	}
}
