package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func linearDo(tb testing.TB, l *Linear, auth, query string, vars map[string]any) (int, map[string]any) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", l.URL()+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestLinearValidatesLikeGraphQL(t *testing.T) {
	l := NewLinear()
	t.Cleanup(l.Close)
	l.AddUser(LinearUser{ID: "u1", Name: "Ada", Email: "ada@example.com"}, "oauth-tok", "lin_api_key")
	id := l.AddIssue("Bug", "", "Todo", "ada@example.com", 1)
	tests := []struct {
		name, auth, query string
		vars              map[string]any
		status            int
		want              string // in errors[0].message or extensions.code
	}{
		{"APIKeyBare", "lin_api_key", "{ viewer { id } }", nil, 200, ""},
		{"OAuthBearer", "Bearer oauth-tok", "{ viewer { id } }", nil, 200, ""},
		{"APIKeyWithBearer", "Bearer lin_api_key", "{ viewer { id } }", nil, 400, "AUTHENTICATION_ERROR"},
		{"WrongVariableType", "lin_api_key", "query($id: ID!) { issue(id: $id) { id } }", map[string]any{"id": id}, 400, `used in position expecting type "String!"`},
		{"UndefinedVariable", "lin_api_key", "query { issue(id: $id) { id } }", map[string]any{"id": id}, 400, `"$id" is not defined`},
		{"UnusedVariable", "lin_api_key", "query($id: String!, $x: Int) { issue(id: $id) { id } }", map[string]any{"id": id}, 400, "never used"},
		{"MissingRequired", "lin_api_key", "query($id: String!) { issue(id: $id) { id } }", nil, 400, "was not provided"},
		{"UnknownInputField", "lin_api_key", "mutation($t: String!, $x: String) { issueCreate(input: {teamId: $t, bogus: $x}) { success } }",
			map[string]any{"t": EngTeamID, "x": "y"}, 400, `Field "bogus" is not defined by type "IssueCreateInput"`},
		{"BadEnum", "lin_api_key", "query($o: PaginationOrderBy) { issues(orderBy: $o) { nodes { id } } }", map[string]any{"o": "title"}, 400, "PaginationOrderBy"},
		{"NotFound", "lin_api_key", "query($id: String!) { issue(id: $id) { id } }", map[string]any{"id": "ENG-404"}, 200, "Entity not found: Issue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := linearDo(t, l, tt.auth, tt.query, tt.vars)
			errs, _ := out["errors"].([]any)
			if status != tt.status || (tt.want == "") != (len(errs) == 0) {
				t.Fatalf("status %d, body %v; want %d", status, out, tt.status)
			}
			if tt.want != "" {
				e, _ := errs[0].(map[string]any)
				ext, _ := e["extensions"].(map[string]any)
				if msg, _ := e["message"].(string); !strings.Contains(msg, tt.want) && ext["code"] != tt.want {
					t.Errorf("error %v lacks %q", e, tt.want)
				}
			}
		})
	}
	t.Run("AbsentOptionalVariablesLeaveFieldsOut", func(t *testing.T) {
		q := "mutation($id: String!, $title: String, $priority: Int) { issueUpdate(id: $id, input: {title: $title, priority: $priority}) { success issue { id } } }"
		if status, out := linearDo(t, l, "lin_api_key", q, map[string]any{"id": id, "priority": 3}); status != 200 || out["errors"] != nil {
			t.Fatalf("status %d %v", status, out)
		}
		_, out := linearDo(t, l, "lin_api_key", "query($id: String!) { issue(id: $id) { title priority } }", map[string]any{"id": id})
		is := out["data"].(map[string]any)["issue"].(map[string]any)
		if is["title"] != "Bug" || is["priority"] != 3.0 {
			t.Errorf("issue = %v; the absent title must stay", is)
		}
	})
}
