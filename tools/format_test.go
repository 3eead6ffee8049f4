package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"switchboard/tools"
)

// kitAPI exercises the format beyond GitHub's needs: OAuth extras, wire
// names, repeated query arrays, fixed members, nested bodies, safe POSTs,
// body builders, transforms, cursors and GraphQL.
const kitAPI = `slug: kit
name: Kit
description: A test API.
base_url: https://api.kit.test
query_arrays: repeat
schemes:
  - kind: oauth2
    authorization_url: https://kit.test/oauth/authorize
    token_url: https://api.kit.test/oauth/token
    revoke_url: https://api.kit.test/oauth/revoke
    scopes: [read, write]
    user_scopes: [search:read]
    scope_separator: ","
    authorization_params: {access_type: offline, prompt: consent}
    client_auth: basic
    pkce: false
    token_response: slack
    help: Sign in.
  - kind: bearer_token
    prefix: ""
    credential_label: API key
    help: Settings, then API.
identity:
  kind: graphql
  query: "{ viewer { id name email } }"
  id: data.viewer.id
  label: data.viewer.email
tools:
  - name: KIT_LIST_THINGS
    title: List things
    description: Lists things.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        label_ids: {type: array, items: {type: string}, description: Labels.}
        max_results: {type: integer, description: Page size., default: 20}
        page_token: {type: string, description: Cursor.}
      additionalProperties: false
    request:
      method: GET
      path: /things
      query: [label_ids: labelIds, max_results: maxResults, page_token: pageToken]
      fixed_query: {format: full}
    result:
      list_path: things
      list_key: things
      fields: [id, name]
      text: "{id} {name}"
      pagination: {cursor_arg: page_token, next_cursor: nextPageToken, per_page_arg: max_results, default_per_page: 100}
  - name: KIT_SEARCH_THINGS
    title: Search things
    description: Searches things with a POST that only reads.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        query: {type: string, description: Words.}
        start: {type: string, description: Start time.}
        zone: {type: string, description: Time zone.}
      additionalProperties: false
    request:
      method: POST
      safe: true
      path: /search
      body: [query, start: range.start.dateTime, zone: range.start.timeZone]
      fixed_body: {filter: {type: thing}}
    result:
      list_path: results
      fields: [id]
      text: "{id}"
      pagination: {cursor_arg: query, next_cursor: next_cursor, has_more: has_more}
  - name: KIT_GREET
    title: Greet
    description: Posts a greeting built in Go.
    annotations: {read_only: false, destructive: false, idempotent: false, open_world: true}
    input_schema:
      type: object
      properties:
        id: {type: string, description: Thing id.}
        name: {type: string, description: Whom to greet.}
        loud: {type: boolean, description: Shout.}
      required: [id, name]
      additionalProperties: false
    request: {method: POST, path: "/things/{id}/greetings", body: [loud], body_builder: test_greeting}
    result: {transform: test_shout, fields: [name], text: "{name}"}
  - name: KIT_GET_ISSUE
    title: Get an issue
    description: Reads an issue over GraphQL.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        id: {type: string, description: Issue id or key.}
      required: [id]
      additionalProperties: false
    request:
      kind: graphql
      query: |
        # One issue.
        query Issue($id: String!) { issue(id: $id) { id title state { name } } }
      variables: [id]
    result: {path: data.issue, fields: [id, title, state.name], text: "{id} {title} [{state.name}]"}
  - name: KIT_LIST_ISSUES
    title: List issues
    description: Lists issues over GraphQL.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        team_id: {type: string, description: Team.}
        first: {type: integer, description: Page size.}
        after: {type: string, description: Cursor.}
      additionalProperties: false
    request:
      kind: graphql
      query: "query($team: ID, $first: Int, $after: String) { issues(filter: {team: {id: {eq: $team}}}, first: $first, after: $after) { nodes { id title } pageInfo { hasNextPage endCursor } } }"
      variables: [team_id: team, first, after]
    result:
      path: data.issues
      list_path: nodes
      list_key: issues
      fields: [id, title]
      text: "{id} {title}"
      pagination: {cursor_arg: after, next_cursor: pageInfo.endCursor, has_more: pageInfo.hasNextPage, per_page_arg: first, default_per_page: 50}
  - name: KIT_CREATE_ISSUE
    title: Create an issue
    description: Creates an issue over GraphQL.
    annotations: {read_only: false, destructive: false, idempotent: false, open_world: true}
    input_schema:
      type: object
      properties:
        title: {type: string, description: Title.}
      required: [title]
      additionalProperties: false
    request:
      kind: graphql
      query: "mutation($title: String!) { issueCreate(input: {title: $title, teamId: \"T\"}) { success issue { id } } }"
      variables: [title]
      fixed_body: {unused: true}
    result: {path: data.issueCreate.issue, fields: [id], text: "Created {id}"}
`

// kitServer records requests and answers with a function of the request.
type kitServer struct {
	url    string // where it listens
	mu     sync.Mutex
	reqs   []recorded
	answer func(r recorded) (status int, header http.Header, body string)
}

type recorded struct {
	Method, Path, RawQuery, Body string
	Header                       http.Header
}

func newKit(tb testing.TB, answer func(r recorded) (int, http.Header, string)) (*tools.Catalog, *tools.Executor, *kitServer) {
	tb.Helper()
	cat, err := tools.LoadCatalog(fstest.MapFS{"kit.yaml": {Data: []byte(kitAPI)}})
	if err != nil {
		tb.Fatal(err)
	}
	s := &kitServer{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.Header.Clone()}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
		status, header, out := s.answer(rec)
		for k, v := range header {
			w.Header()[k] = v
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	tb.Cleanup(srv.Close)
	s.url = srv.URL
	exec := tools.NewExecutor(cat, tools.ExecutorOptions{BaseURLs: map[string]string{"kit": srv.URL}})
	tools.SetRetryBackoff(exec)
	return cat, exec, s
}

func (s *kitServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func json200(body string) func(recorded) (int, http.Header, string) {
	return func(recorded) (int, http.Header, string) { return 200, nil, body }
}

func TestOAuthSchemeExtras(t *testing.T) {
	cat, _, _ := newKit(t, json200(`{}`))
	s := cat.Toolkit("kit").Scheme(tools.SchemeOAuth2)
	want := &tools.Scheme{
		Kind: "oauth2", Header: "Authorization", Prefix: "Bearer ", Help: "Sign in.",
		AuthorizationURL: "https://kit.test/oauth/authorize", TokenURL: "https://api.kit.test/oauth/token",
		Scopes: []string{"read", "write"}, UserScopes: []string{"search:read"}, ScopeSeparator: ",",
		AuthorizationParams: map[string]string{"access_type": "offline", "prompt": "consent"},
		ClientAuth:          tools.ClientAuthBasic, PKCE: false, RevokeURL: "https://api.kit.test/oauth/revoke", RevokeBody: tools.RevokeBodyForm,
		TokenResponse: tools.TokenResponseSlack,
	}
	assertDiff(t, "scheme", want, s)
	if s.ScopeParam() != "read,write" || s.UserScopeParam() != "search:read" {
		t.Errorf("ScopeParam %q, UserScopeParam %q", s.ScopeParam(), s.UserScopeParam())
	}
	t.Run("Defaults", func(t *testing.T) {
		gh := builtin(t).Toolkit("github").Scheme(tools.SchemeOAuth2)
		if gh.ScopeSeparator != " " || gh.ClientAuth != tools.ClientAuthBody || !gh.PKCE || gh.TokenResponse != tools.TokenResponseStandard ||
			gh.RevokeURL != "" || gh.AuthorizationParams != nil || gh.ScopeParam() != "repo read:user" {
			t.Errorf("github oauth2 defaults = %+v", gh)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		tests := []struct{ name, old, new, want string }{
			{"FlowParameter", "prompt: consent}", "prompt: consent, redirect_uri: x}", "authorization_params.redirect_uri: is set by the OAuth flow itself"},
			{"ClientAuth", "client_auth: basic", "client_auth: post", `client_auth: "post" is not one of body, basic`},
			{"TokenResponse", "token_response: slack", "token_response: github", `token_response: "github" is not one of standard, slack`},
			{"Separator", `scope_separator: ","`, `scope_separator: ";"`, `scope_separator: ";" must be`},
			{"RevokeNotHTTPS", "revoke_url: https://", "revoke_url: http://", "revoke_url: \"http://api.kit.test/oauth/revoke\" must be an absolute https URL"},
			{"ScopeWithSpace", "scopes: [read, write]", "scopes: [read write]", `"read write" must be one non-empty scope`},
			{"RevokeBody", "revoke_url: https://api.kit.test/oauth/revoke", "revoke_url: https://api.kit.test/oauth/revoke\n    revoke_body: xml", `revoke_body: "xml" must be form or json`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if !strings.Contains(kitAPI, tt.old) {
					t.Fatalf("case does not apply: %q", tt.old)
				}
				_, err := tools.LoadCatalog(fstest.MapFS{"kit.yaml": {Data: []byte(strings.Replace(kitAPI, tt.old, tt.new, 1))}})
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
				}
			})
		}
	})
}

func TestRESTRequestFeatures(t *testing.T) {
	tests := []struct {
		name       string
		tool       string
		args       map[string]any
		answer     string
		method     string
		path       string
		query      string
		body       string // JSON; "" for none
		structured string
		text       string
	}{{
		name: "WireNamesRepeatedArraysFixedQueryCursor", tool: "KIT_LIST_THINGS",
		args:   map[string]any{"label_ids": []any{"INBOX", "UNREAD"}, "max_results": 2, "page_token": "p1"},
		answer: `{"things":[{"id":"a","name":"A","noise":1},{"id":"b","name":"B"}],"nextPageToken":"p2"}`,
		method: "GET", path: "/things", query: "format=full&labelIds=INBOX&labelIds=UNREAD&maxResults=2&pageToken=p1",
		structured: `{"things":[{"id":"a","name":"A"},{"id":"b","name":"B"}],"count":2,"next_cursor":"p2"}`,
		text:       "things: 2 items:\n- a A\n- b B\nMore exist: call again with page_token=\"p2\" for the next page.",
	}, {
		name: "LastCursorPageAndDefault", tool: "KIT_LIST_THINGS",
		answer: `{"things":[{"id":"a","name":"A"}],"nextPageToken":""}`,
		method: "GET", path: "/things", query: "format=full&maxResults=20", // the schema's default
		structured: `{"things":[{"id":"a","name":"A"}],"count":1}`,
		text:       "things: 1 item:\n- a A",
	}, {
		name: "SafePOSTNestedBodyFixedBodyHasMoreFalse", tool: "KIT_SEARCH_THINGS",
		args:   map[string]any{"query": "x", "start": "2024-01-01T00:00:00Z", "zone": "Europe/Paris"},
		answer: `{"results":[{"id":"r1"}],"next_cursor":"c2","has_more":false}`,
		method: "POST", path: "/search",
		body:       `{"query":"x","range":{"start":{"dateTime":"2024-01-01T00:00:00Z","timeZone":"Europe/Paris"}},"filter":{"type":"thing"}}`,
		structured: `{"items":[{"id":"r1"}],"count":1}`, text: "items: 1 item:\n- r1",
	}, {
		name: "BodyBuilderAndTransform", tool: "KIT_GREET",
		args:   map[string]any{"id": "t1", "name": "ada", "loud": true},
		answer: `{"name":"ada","noise":1}`,
		method: "POST", path: "/things/t1/greetings", body: `{"loud":true,"greeting":"hello ada"}`,
		structured: `{"name":"ADA"}`, text: "ADA",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, exec, srv := newKit(t, json200(tt.answer))
			res, err := exec.Call(context.Background(), cat.Tool(tt.tool), tt.args, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := srv.requests()[0]
			assertDiff(t, "request", []string{tt.method, tt.path, tt.query}, []string{r.Method, r.Path, r.RawQuery})
			if tt.body == "" && r.Body != "" {
				t.Errorf("body %q, want none", r.Body)
			} else if tt.body != "" {
				assertSameJSON(t, "body", tt.body, r.Body)
			}
			assertResult(t, res, tt.structured, tt.text)
		})
	}
	t.Run("BuilderRefusesArgument", func(t *testing.T) {
		cat, exec, srv := newKit(t, json200(`{}`))
		_, err := exec.Call(context.Background(), cat.Tool("KIT_GREET"), map[string]any{"id": "t1", "name": "nobody"}, nil)
		var e *tools.Error
		if !errors.As(err, &e) || e.Code != tools.CodeInvalidArguments || len(e.Problems) != 1 || e.Problems[0].Path != "/name" ||
			!strings.Contains(e.Message, "/name: must name somebody") {
			t.Errorf("err = %v, want INVALID_ARGUMENTS on /name", err)
		}
		if n := len(srv.requests()); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})
	t.Run("SafePOSTIsRetried", func(t *testing.T) {
		n := 0
		cat, exec, srv := newKit(t, func(recorded) (int, http.Header, string) {
			if n++; n == 1 {
				return 503, nil, ""
			}
			return 200, nil, `{"results":[]}`
		})
		tools.SetRetryBackoff(exec, 0)
		if _, err := exec.Call(context.Background(), cat.Tool("KIT_SEARCH_THINGS"), nil, nil); err != nil || len(srv.requests()) != 2 {
			t.Errorf("err = %v after %d requests; want success on the second", err, len(srv.requests()))
		}
	})
}

func TestGraphQL(t *testing.T) {
	t.Run("QueryVariablesAndPath", func(t *testing.T) {
		cat, exec, srv := newKit(t, json200(`{"data":{"issue":{"id":"ENG-1","title":"Bug","state":{"name":"Todo"},"noise":1}}}`))
		auth := cat.Toolkit("kit").Scheme(tools.SchemeBearerToken).Authorizer("lin_api_key")
		res, err := exec.Call(context.Background(), cat.Tool("KIT_GET_ISSUE"), map[string]any{"id": "ENG-1"}, auth)
		if err != nil {
			t.Fatal(err)
		}
		r := srv.requests()[0]
		if r.Method != "POST" || r.Path != "/graphql" || r.RawQuery != "" || r.Header.Get("Authorization") != "lin_api_key" ||
			r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("request = %+v", r)
		}
		want := map[string]any{"query": "# One issue.\nquery Issue($id: String!) { issue(id: $id) { id title state { name } } }\n", "variables": map[string]any{"id": "ENG-1"}}
		assertSameJSON(t, "body", want, r.Body)
		if diff := cmp.Diff(canon(t, `{"id":"ENG-1","title":"Bug","state":{"name":"Todo"}}`), canon(t, res.Structured)); diff != "" || res.Text != "ENG-1 Bug [Todo]" {
			t.Errorf("result %q (-want +got):\n%s", res.Text, diff)
		}
	})
	t.Run("ConnectionWithPageInfo", func(t *testing.T) {
		cat, exec, srv := newKit(t, json200(`{"data":{"issues":{"nodes":[{"id":"1","title":"A"}],"pageInfo":{"hasNextPage":true,"endCursor":"cur1"}}}}`))
		res, err := exec.Call(context.Background(), cat.Tool("KIT_LIST_ISSUES"), map[string]any{"team_id": "T", "first": 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		assertSameJSON(t, "variables", `{"team":"T","first":1}`, lookupVars(t, srv.requests()[0].Body))
		want := `{"issues":[{"id":"1","title":"A"}],"count":1,"next_cursor":"cur1"}`
		if diff := cmp.Diff(canon(t, want), canon(t, res.Structured)); diff != "" || !strings.HasSuffix(res.Text, `call again with after="cur1" for the next page.`) {
			t.Errorf("result %q (-want +got):\n%s", res.Text, diff)
		}
	})
	t.Run("MutationWithFixedVariable", func(t *testing.T) {
		cat, exec, srv := newKit(t, json200(`{"data":{"issueCreate":{"success":true,"issue":{"id":"9"}}}}`))
		res, err := exec.Call(context.Background(), cat.Tool("KIT_CREATE_ISSUE"), map[string]any{"title": "T"}, nil)
		if err != nil || res.Text != "Created 9" {
			t.Fatalf("Call = %+v, %v", res, err)
		}
		assertSameJSON(t, "variables", `{"title":"T","unused":true}`, lookupVars(t, srv.requests()[0].Body))
	})
	t.Run("Identity", func(t *testing.T) {
		cat, exec, srv := newKit(t, json200(`{"data":{"viewer":{"id":"u1","name":"Ada","email":"ada@example.com"}}}`))
		who, err := exec.Identify(context.Background(), "kit", cat.Toolkit("kit").Scheme(tools.SchemeOAuth2).Authorizer("tok"))
		if err != nil || who != (tools.Identity{ID: "u1", Label: "ada@example.com"}) {
			t.Fatalf("Identify = %+v, %v", who, err)
		}
		r := srv.requests()[0]
		if r.Method != "POST" || r.Path != "/graphql" || r.Header.Get("Authorization") != "Bearer tok" ||
			cmp.Diff(canon(t, `{"query":"{ viewer { id name email } }"}`), canon(t, r.Body)) != "" {
			t.Errorf("request = %+v", r)
		}
	})
	errorsTests := []struct {
		name         string
		status       int
		header       http.Header
		body         string
		code         string
		unauthorized bool
		retryAfter   int
		message      string
		requests     int
	}{
		{"ErrorsWith200", 200, nil, `{"data":null,"errors":[{"message":"Entity not found: Issue","extensions":{"code":"INVALID_INPUT","userPresentableMessage":"Could not find referenced issue."}}]}`,
			tools.CodeUpstreamError, false, 0, "Could not find referenced issue", 1},
		{"RateLimitedWith400", 400, http.Header{"Retry-After": {"12"}}, `{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}`,
			tools.CodeUpstreamRateLimited, false, 12, "wait 12 seconds", 1},
		{"RateLimitResetInMilliseconds", 400, http.Header{"X-Ratelimit-Requests-Reset": {"%reset_ms%"}}, `{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}`,
			tools.CodeUpstreamRateLimited, false, 30, "rate limit", 1},
		{"AuthenticationError", 400, nil, `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR","type":"authentication error"}}]}`,
			tools.CodeUpstreamError, true, 0, "must be re-authorized", 1},
		{"Plain401", 401, nil, `{"errors":[{"message":"bad key"}]}`, tools.CodeUpstreamError, true, 0, "rejected the account's credential", 1},
		{"Forbidden", 200, nil, `{"errors":[{"message":"You don't have access","extensions":{"code":"FORBIDDEN"}}]}`,
			tools.CodeUpstreamError, false, 0, "refused the request: You don't have access", 1},
		{"QueryRetriedOn503", 503, nil, `{"errors":[{"message":"down"}]}`, tools.CodeUpstreamUnavailable, false, 0, "try again later", 2},
		{"NoErrorsBodyFallsBack", 400, nil, `not json`, tools.CodeUpstreamError, false, 0, "HTTP 400", 1},
	}
	for _, tt := range errorsTests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.header.Clone()
			if header.Get("X-Ratelimit-Requests-Reset") != "" {
				header.Set("X-Ratelimit-Requests-Reset", fmt.Sprint(nowMillis()+30_000))
			}
			cat, exec, srv := newKit(t, func(recorded) (int, http.Header, string) { return tt.status, header, tt.body })
			tools.SetRetryBackoff(exec, 0)
			_, err := exec.Call(context.Background(), cat.Tool("KIT_GET_ISSUE"), map[string]any{"id": "x"},
				cat.Toolkit("kit").Scheme(tools.SchemeOAuth2).Authorizer("secret-token"))
			e := asToolError(t, err)
			if e.Code != tt.code || e.Unauthorized() != tt.unauthorized || !strings.Contains(e.Message, tt.message) {
				t.Errorf("err = %v (unauthorized %v); want %s, unauthorized %v, message with %q", e, e.Unauthorized(), tt.code, tt.unauthorized, tt.message)
			}
			if ra := e.RetryAfterSeconds; ra < tt.retryAfter-1 || ra > tt.retryAfter+1 {
				t.Errorf("retry after %d, want %d", ra, tt.retryAfter)
			}
			if n := len(srv.requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Error("token leaked")
			}
		})
	}
	t.Run("DocumentOutline", func(t *testing.T) {
		tests := []struct {
			doc, op string
			vars    []string
			err     string
		}{
			{"{ viewer { id } }", "query", nil, ""},
			{"query Q($a: Int = 1, $b: String) @x { f(a: $a, s: \"$not\", t: \"\"\"$no\"\"\") } # $nope", "query", []string{"a", "b"}, ""},
			{"fragment F on Issue { id } mutation M($t: String!) { c(t: $t) { ...F } }", "mutation", []string{"t"}, ""},
			{"query A { a } query B { b }", "", nil, "2 operations"},
			{"subscription { s }", "", nil, "subscription"},
			{"query { a ", "", nil, "not complete"},
			{"fragment F on X { a }", "", nil, "no operation"},
			{"issues { id }", "", nil, `has "issues" where an operation should start`},
		}
		for _, tt := range tests {
			op, vars, err := tools.ParseGraphQL(tt.doc)
			slices.Sort(vars)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("%q: err = %v, want %q", tt.doc, err, tt.err)
				}
				continue
			}
			if err != nil || op != tt.op || !slices.Equal(vars, tt.vars) {
				t.Errorf("%q = %q %v %v; want %q %v", tt.doc, op, vars, err, tt.op, tt.vars)
			}
		}
	})
	t.Run("Refused", func(t *testing.T) {
		tests := []struct{ name, old, new, want string }{
			{"MutationReadOnly", "title: Create an issue\n    description: Creates an issue over GraphQL.\n    annotations: {read_only: false, destructive: false, idempotent: false",
				"title: Create an issue\n    description: Creates an issue over GraphQL.\n    annotations: {read_only: true, destructive: false, idempotent: true", "a GraphQL mutation is not read-only"},
			{"VariableNotInDocument", "variables: [title]", "variables: [title, {id: issue_id}]", "$issue_id is not used by the document"},
			{"BadVariableName", "variables: [title]", "variables: [title, {id: issue-id}]", `"issue-id" is not a GraphQL variable name`},
			{"ResultWithoutPath", "result: {path: data.issueCreate.issue, ", "result: {", "result.path: missing: a GraphQL answer is under data"},
			{"QueryListOnGraphQL", "      variables: [title]\n", "      variables: [title]\n      body: [title]\n", "a graphql request sends its arguments as variables"},
			{"IdentityMutation", `query: "{ viewer { id name email } }"`, `query: "mutation { logout }"`, "identity.query: must be a query without variables"},
			{"DocumentOnREST", "      path: /things\n", "      path: /things\n      variables: [max_results]\n", "only a graphql request has variables"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if !strings.Contains(kitAPI, tt.old) {
					t.Fatalf("case does not apply: %q", tt.old)
				}
				_, err := tools.LoadCatalog(fstest.MapFS{"kit.yaml": {Data: []byte(strings.Replace(kitAPI, tt.old, tt.new, 1))}})
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
				}
			})
		}
	})
}

func lookupVars(tb testing.TB, body string) any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		tb.Fatal(err)
	}
	return m["variables"]
}

func nowMillis() int64 { return time.Now().UnixMilli() }
