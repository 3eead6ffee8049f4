package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

const (
	linearOAuthToken = "lin_oauth_Secret0123456789abcdef"
	linearAPIKey     = "lin_api_Secret0123456789abcdef"
	linearAdaID      = "a0a0a0a0-0000-4000-8000-000000000001"
	linearBobID      = "b0b0b0b0-0000-4000-8000-000000000002"
)

type linearHarness struct {
	toolRunner
	fake *fakeupstream.Linear
	auth tools.Authorizer
}

func newLinearHarness(tb testing.TB) *linearHarness {
	tb.Helper()
	fake := fakeupstream.NewLinear()
	tb.Cleanup(fake.Close)
	fake.AddUser(fakeupstream.LinearUser{ID: linearAdaID, Name: "Ada Lovelace", DisplayName: "ada", Email: "ada@example.com", Admin: true}, linearOAuthToken, linearAPIKey)
	fake.AddUser(fakeupstream.LinearUser{ID: linearBobID, Name: "Bob Ray", DisplayName: "bob", Email: "bob@example.com"}, "", "")
	fake.AddIssue("Login times out", "Users see a timeout after 30s.", "In Progress", "ada@example.com", 2, "Bug") // ENG-1
	fake.AddIssue("Dark mode", "", "Todo", "bob@example.com", 3, "Feature")                                        // ENG-2
	fake.AddComment("ENG-1", "Reproduced on staging.")
	cat := builtin(tb)
	return &linearHarness{toolRunner: newToolRunner(cat, tools.ExecutorOptions{}, "linear", fake.URL()), fake: fake,
		auth: cat.Toolkit("linear").Scheme(tools.SchemeBearerToken).Authorizer(linearAPIKey)}
}

// call runs tool as h.auth and checks that Ada's credentials appear
// nowhere.
func (h *linearHarness) call(tb testing.TB, tool string, args map[string]any) (*tools.Result, error) {
	tb.Helper()
	return h.run(tb, tool, args, h.auth, linearAPIKey, linearOAuthToken)
}

// graphqlBody decodes a GraphQL request body.
func graphqlBody(tb testing.TB, body string) (string, map[string]any) {
	tb.Helper()
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		tb.Fatalf("body %q: %v", body, err)
	}
	return req.Query, req.Variables
}

func TestLinearBuiltin(t *testing.T) {
	lin := builtin(t).Toolkit("linear")
	if lin == nil {
		t.Fatal("no linear toolkit")
	}
	o := lin.Scheme(tools.SchemeOAuth2)
	if o.AuthorizationURL != "https://linear.app/oauth/authorize" || o.TokenURL != "https://api.linear.app/oauth/token" ||
		o.RevokeURL != "https://api.linear.app/oauth/revoke" || o.ScopeParam() != "read,write" || o.Prefix != "Bearer " || !o.PKCE {
		t.Errorf("oauth2 scheme = %+v", o)
	}
	if k := lin.Scheme(tools.SchemeBearerToken); k == nil || k.Prefix != "" || k.Header != "Authorization" || !strings.Contains(k.Help, "lin_api_") {
		t.Errorf("bearer_token scheme = %+v", k)
	}
	for _, tc := range []struct {
		name string
		auth tools.Authorizer
		sent string
	}{
		{"PersonalAPIKeyWithoutBearer", lin.Scheme(tools.SchemeBearerToken).Authorizer(linearAPIKey), linearAPIKey},
		{"OAuthTokenWithBearer", lin.Scheme(tools.SchemeOAuth2).Authorizer(linearOAuthToken), "Bearer " + linearOAuthToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLinearHarness(t)
			who, err := h.exec.Identify(context.Background(), "linear", tc.auth)
			if err != nil || who != (tools.Identity{ID: linearAdaID, Label: "ada@example.com"}) {
				t.Fatalf("Identify = %+v, %v", who, err)
			}
			r := h.fake.Requests()[0]
			doc, vars := graphqlBody(t, r.Body)
			if r.Method != "POST" || r.Path != "/graphql" || r.Header.Get("Authorization") != tc.sent || doc != "query Viewer { viewer { id name email } }" || vars != nil {
				t.Errorf("identity request %s %s %q %s", r.Method, r.Path, r.Header.Get("Authorization"), r.Body)
			}
		})
	}
	t.Run("BearerPrefixOnAPIKeyRejected", func(t *testing.T) {
		h := newLinearHarness(t)
		_, err := h.exec.Identify(context.Background(), "linear", lin.Scheme(tools.SchemeOAuth2).Authorizer(linearAPIKey))
		if !tools.IsUnauthorized(err) {
			t.Errorf("err = %v, want unauthorized", err)
		}
	})
}

func TestLinearTools(t *testing.T) {
	tests := []struct {
		name, tool string
		args       map[string]any
		op         string         // the operation's root field, checked in the document
		vars       map[string]any // exact variables; nil for none
		structured string         // JSON; "" to skip
		text       []string
	}{{
		name: "Viewer", tool: "LINEAR_GET_VIEWER", op: "viewer {",
		structured: `{"id":"` + linearAdaID + `","name":"Ada Lovelace","displayName":"ada","email":"ada@example.com","admin":true,"organization":{"name":"Acme","urlKey":"acme"}}`,
		text:       []string{"Ada Lovelace <ada@example.com> in workspace Acme (user id " + linearAdaID + ")"},
	}, {
		name: "TeamsFirstPage", tool: "LINEAR_LIST_TEAMS", args: map[string]any{"first": 1}, op: "teams(first: $first, after: $after)",
		vars:       map[string]any{"first": 1.0},
		structured: `{"teams":[{"id":"` + fakeupstream.EngTeamID + `","key":"ENG","name":"Engineering","description":"Product engineering","private":false}],"count":1,"next_cursor":"cursor:1"}`,
		text:       []string{"teams: 1 item:\n- ENG Engineering (id " + fakeupstream.EngTeamID + ")", `call again with after="cursor:1"`},
	}, {
		name: "TeamsLastPage", tool: "LINEAR_LIST_TEAMS", args: map[string]any{"after": "cursor:1"}, op: "teams(",
		vars: map[string]any{"first": 25.0, "after": "cursor:1"},
		text: []string{"teams: 1 item:\n- OPS Operations"},
	}, {
		name: "IssuesFiltered", tool: "LINEAR_LIST_ISSUES",
		args: map[string]any{"team": "eng", "assignee": "me", "state": "in progress", "label": "bug", "priority": 2, "updated_after": "2024-01-01T00:00:00Z"},
		op:   "issues(filter: $filter, first: $first, after: $after, orderBy: $orderBy, includeArchived: $includeArchived)",
		vars: map[string]any{"first": 25.0, "orderBy": "updatedAt", "filter": map[string]any{
			"team": map[string]any{"key": map[string]any{"eqIgnoreCase": "eng"}}, "assignee": map[string]any{"isMe": map[string]any{"eq": true}},
			"state": map[string]any{"name": map[string]any{"eqIgnoreCase": "in progress"}}, "labels": map[string]any{"some": map[string]any{"name": map[string]any{"eqIgnoreCase": "bug"}}},
			"priority": map[string]any{"eq": 2.0}, "updatedAt": map[string]any{"gte": "2024-01-01T00:00:00Z"}}},
		structured: `{"count":1,"issues":[{"id":"1ssue000-0000-4000-8000-000000000001","identifier":"ENG-1","title":"Login times out","state":{"name":"In Progress","type":"started"},
			"assignee":{"name":"Ada Lovelace","email":"ada@example.com"},"priority":2,"priorityLabel":"High","labels":{"nodes":[{"name":"Bug"}]},"team":{"key":"ENG"},
			"dueDate":null,"updatedAt":"2024-01-02T03:05:05Z","url":"https://linear.app/acme/issue/eng-1"}]}`,
		text: []string{"issues: 1 item:\n- ENG-1 Login times out [In Progress] Ada Lovelace High https://linear.app/acme/issue/eng-1"},
	}, {
		name: "IssuesByEmailAndStateTypeNoMatch", tool: "LINEAR_LIST_ISSUES",
		args: map[string]any{"assignee": "bob@example.com", "state_type": "started", "team": fakeupstream.EngTeamID, "order_by": "createdAt", "include_archived": true},
		op:   "issues(",
		vars: map[string]any{"first": 25.0, "orderBy": "createdAt", "includeArchived": true, "filter": map[string]any{
			"team": map[string]any{"id": map[string]any{"eq": fakeupstream.EngTeamID}}, "assignee": map[string]any{"email": map[string]any{"eqIgnoreCase": "bob@example.com"}},
			"state": map[string]any{"type": map[string]any{"eq": "started"}}}},
		structured: `{"count":0,"issues":[]}`, text: []string{"issues: 0 items."},
	}, {
		name: "IssuesUnfiltered", tool: "LINEAR_LIST_ISSUES", op: "issues(", vars: map[string]any{"first": 25.0, "orderBy": "updatedAt"},
		text: []string{"issues: 2 items:\n- ENG-2 Dark mode [Todo] Bob Ray Medium", "\n- ENG-1 Login times out"},
	}, {
		name: "Search", tool: "LINEAR_SEARCH_ISSUES", args: map[string]any{"query": "staging", "include_comments": true, "team_id": fakeupstream.EngTeamID},
		op:   "searchIssues(term: $term, first: $first, after: $after, includeComments: $includeComments, teamId: $teamId)",
		vars: map[string]any{"term": "staging", "includeComments": true, "teamId": fakeupstream.EngTeamID, "first": 25.0},
		text: []string{"issues: 1 item:\n- ENG-1 Login times out [In Progress] Ada Lovelace https://linear.app/acme/issue/eng-1"},
	}, {
		name: "GetByIdentifier", tool: "LINEAR_GET_ISSUE", args: map[string]any{"issue_id": "ENG-1"}, op: "issue(id: $id)",
		vars: map[string]any{"id": "ENG-1"},
		text: []string{"ENG-1 Login times out [In Progress] https://linear.app/acme/issue/eng-1\nTeam ENG; assignee Ada Lovelace; priority High; labels Bug\n\n" +
			"Users see a timeout after 30s.\n\nComments: Reproduced on staging."},
	}, {
		name: "Create", tool: "LINEAR_CREATE_ISSUE",
		args: map[string]any{"team_id": fakeupstream.EngTeamID, "title": "Crash on start", "description": "Steps: run it.", "assignee_id": linearBobID,
			"priority": 1, "label_ids": []any{"1abe1000-0000-4000-8000-000000000001"}, "due_date": "2024-02-01", "estimate": 3},
		op: "issueCreate(input: {teamId: $teamId, title: $title,",
		vars: map[string]any{"teamId": fakeupstream.EngTeamID, "title": "Crash on start", "description": "Steps: run it.", "assigneeId": linearBobID,
			"priority": 1.0, "labelIds": []any{"1abe1000-0000-4000-8000-000000000001"}, "dueDate": "2024-02-01", "estimate": 3.0},
		structured: `{"id":"1ssue000-0000-4000-8000-000000000004","identifier":"ENG-3","title":"Crash on start","url":"https://linear.app/acme/issue/eng-3",
			"state":{"name":"Backlog"},"assignee":{"name":"Bob Ray"},"team":{"key":"ENG"}}`,
		text: []string{"Created ENG-3: Crash on start [Backlog] https://linear.app/acme/issue/eng-3"},
	}, {
		name: "UpdateStateAndAssignee", tool: "LINEAR_UPDATE_ISSUE",
		args: map[string]any{"issue_id": "ENG-2", "state_id": "5e1c0c3a-0000-4000-8000-000000000004", "assignee_id": linearAdaID},
		op:   "issueUpdate(id: $id, input: {title: $title,",
		vars: map[string]any{"id": "ENG-2", "stateId": "5e1c0c3a-0000-4000-8000-000000000004", "assigneeId": linearAdaID},
		text: []string{"Updated ENG-2: Dark mode [Done] Ada Lovelace https://linear.app/acme/issue/eng-2"},
	}, {
		name: "Comment", tool: "LINEAR_CREATE_COMMENT", args: map[string]any{"issue_id": "ENG-2", "body": "Shipped in **1.4**."},
		op: "commentCreate(input: {issueId: $issueId, body: $body})", vars: map[string]any{"issueId": "ENG-2", "body": "Shipped in **1.4**."},
		text: []string{"Commented on ENG-2 as Ada Lovelace: https://linear.app/acme/issue/eng-2#comment-"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newLinearHarness(t)
			res, err := h.call(t, tt.tool, tt.args)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.fake)
			got := []string{r.Method, r.Path, r.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type")}
			assertDiff(t, "request", []string{"POST", "/graphql", "", linearAPIKey, "application/json; charset=utf-8"}, got)
			doc, vars := graphqlBody(t, r.Body)
			if doc != h.cat.Tool(tt.tool).Request.Document || !strings.Contains(doc, tt.op) {
				t.Errorf("document %q\nis not the catalog's or lacks %q", doc, tt.op)
			}
			assertDiff(t, "variables", tt.vars, vars)
			if tt.structured != "" {
				assertSameJSON(t, "structured", tt.structured, res.Structured)
			}
			assertContains(t, "text", res.Text, tt.text...)
		})
	}
	t.Run("GetIssueStructured", func(t *testing.T) {
		h := newLinearHarness(t)
		res, err := h.call(t, "LINEAR_GET_ISSUE", map[string]any{"issue_id": "ENG-1"})
		if err != nil {
			t.Fatal(err)
		}
		comments := res.Structured["comments"].(map[string]any)["nodes"].([]any)
		if res.Structured["identifier"] != "ENG-1" || res.Structured["description"] != "Users see a timeout after 30s." || len(comments) != 1 ||
			res.Structured["team"].(map[string]any)["key"] != "ENG" {
			t.Errorf("structured = %v", res.Structured)
		}
	})
}

func TestLinearErrors(t *testing.T) {
	gqlErr := func(code, msg string) string {
		return fmt.Sprintf(`{"errors":[{"message":%q,"extensions":{"code":%q,"type":%q}}]}`, msg, code, strings.ToLower(code))
	}
	tests := []struct {
		name         string
		tool         string
		args         map[string]any
		auth         string // "" is the harness key
		fail         func(f *fakeupstream.Linear)
		code         string
		unauthorized bool
		retryAfter   [2]int
		requests     int
		message      string
	}{{
		name: "RevokedKey", tool: "LINEAR_GET_VIEWER", auth: "lin_api_revoked",
		code: tools.CodeUpstreamError, unauthorized: true, requests: 1, message: "must be re-authorized",
	}, {
		name: "NotFound", tool: "LINEAR_GET_ISSUE", args: map[string]any{"issue_id": "ENG-99"},
		code: tools.CodeUpstreamError, requests: 1, message: "Could not find referenced Issue (or the account has no access)",
	}, {
		name: "InvalidInputMessage", tool: "LINEAR_UPDATE_ISSUE", args: map[string]any{"issue_id": "ENG-1", "state_id": "nope"},
		code: tools.CodeUpstreamError, requests: 1, message: "Could not find referenced WorkflowState",
	}, {
		name: "RateLimited400", tool: "LINEAR_LIST_TEAMS",
		fail: func(f *fakeupstream.Linear) {
			f.Fail("/graphql", 400, http.Header{"X-Ratelimit-Requests-Reset": {fmt.Sprint(time.Now().Add(40 * time.Second).UnixMilli())}},
				gqlErr("RATELIMITED", "Rate limit exceeded"), 1)
		},
		code: tools.CodeUpstreamRateLimited, retryAfter: [2]int{39, 41}, requests: 1, message: "rate limit",
	}, {
		name: "Forbidden", tool: "LINEAR_CREATE_COMMENT", args: map[string]any{"issue_id": "ENG-1", "body": "x"},
		fail: func(f *fakeupstream.Linear) {
			f.Fail("/graphql", 200, nil, gqlErr("FORBIDDEN", "Not allowed to comment in this team"), 1)
		},
		code: tools.CodeUpstreamError, requests: 1, message: "refused the request: Not allowed to comment in this team",
	}, {
		name: "QueryRetriedOn502", tool: "LINEAR_GET_VIEWER",
		fail: func(f *fakeupstream.Linear) { f.Fail("/graphql", 502, nil, "<html>bad gateway</html>", 5) },
		code: tools.CodeUpstreamUnavailable, requests: 3, message: "unavailable (HTTP 502)",
	}, {
		name: "MutationNotRetried", tool: "LINEAR_CREATE_COMMENT", args: map[string]any{"issue_id": "ENG-1", "body": "x"},
		fail: func(f *fakeupstream.Linear) { f.Fail("/graphql", 503, nil, "", 5) },
		code: tools.CodeUpstreamUnavailable, requests: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newLinearHarness(t)
			if tt.auth != "" {
				h.auth = h.cat.Toolkit("linear").Scheme(tools.SchemeBearerToken).Authorizer(tt.auth)
			}
			if tt.fail != nil {
				tt.fail(h.fake)
			}
			_, err := h.call(t, tt.tool, tt.args)
			e := asToolError(t, err)
			if e.Code != tt.code || e.Unauthorized() != tt.unauthorized || e.RetryAfterSeconds < tt.retryAfter[0] || e.RetryAfterSeconds > tt.retryAfter[1] {
				t.Errorf("err = %+v; want %s unauthorized %v retry %v", e, tt.code, tt.unauthorized, tt.retryAfter)
			}
			assertContains(t, "message", e.Message, tt.message)
			assertRequestCount(t, h.fake, tt.requests)
		})
	}
	t.Run("BadArgumentsMakeNoRequest", func(t *testing.T) {
		h := newLinearHarness(t)
		for _, c := range []struct {
			tool string
			args map[string]any
			path string
		}{
			{"LINEAR_LIST_ISSUES", map[string]any{"assignee": "someone"}, "/assignee"},
			{"LINEAR_UPDATE_ISSUE", map[string]any{"issue_id": "ENG-1"}, ""},
			{"LINEAR_CREATE_ISSUE", map[string]any{"team_id": fakeupstream.EngTeamID, "title": "t", "priority": 5}, "/priority"},
		} {
			_, err := h.call(t, c.tool, c.args)
			var e *tools.Error
			if !errors.As(err, &e) || e.Code != tools.CodeInvalidArguments || e.Problems[0].Path != c.path {
				t.Errorf("%s %v: err = %v, want INVALID_ARGUMENTS on %q", c.tool, c.args, err, c.path)
			}
		}
		assertRequestCount(t, h.fake, 0)
	})
}
