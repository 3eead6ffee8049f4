package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// The Notion credentials of these tests; every output is searched for them.
// The work and read-only integrations are bots in the workspace Acme, the
// home one in the workspace Home.
const (
	notionWorkToken = "ntn_NotionWorkSecret0123456789abcdef"
	notionReadToken = "ntn_NotionReadOnlySecret0123456789"
	notionHomeToken = "secret_NotionHomeSecret0123456789"
)

type notionHarness struct {
	toolRunner
	fake *fakeupstream.Notion
	seed fakeupstream.NotionSeed // Acme's
	bot  fakeupstream.NotionBot  // the work integration
	ids  map[string]string       // placeholder → value, see expand
}

// newNotionHarness starts a fake Notion with the workspaces Acme (the work
// and read-only integrations) and Home (a public integration Ada authorized).
// Every harness holds the same ids.
func newNotionHarness(tb testing.TB) *notionHarness {
	tb.Helper()
	f := fakeupstream.NewNotion()
	tb.Cleanup(f.Close)
	bot := f.AddBot(notionWorkToken, fakeupstream.NotionBot{Name: "Switchboard", Workspace: "Acme"})
	f.AddBot(notionReadToken, fakeupstream.NotionBot{Name: "Reader", Workspace: "Acme", ReadOnly: true})
	f.AddBot(notionHomeToken, fakeupstream.NotionBot{Name: "Switchboard", Workspace: "Home", OwnerName: "Ada", OwnerEmail: "ada@example.com"})
	cat := builtin(tb)
	if cat.Toolkit("notion") == nil {
		tb.Fatal(`Toolkit("notion") = nil`)
	}
	opts := tools.ExecutorOptions{UserAgent: "switchboard-test"}
	s := f.Seed("Acme")
	ids := map[string]string{"home": s.HomePageID, "db": s.DatabaseID, "ds": s.DataSourceID, "owner": s.OwnerID,
		"toggle_child": s.ToggleChildID, "other_home": f.Seed("Home").HomePageID}
	for i, id := range s.TaskIDs {
		ids[fmt.Sprintf("t%d", i)] = id
	}
	for i, id := range s.HomeBlockIDs {
		ids[fmt.Sprintf("b%d", i)] = id
	}
	return &notionHarness{toolRunner: newToolRunner(cat, opts, "notion", f.URL()), fake: f, seed: s, bot: bot, ids: ids}
}

// expand replaces <name> with the id of that name, and <name:hex> with the
// id without dashes (as in URLs).
func (h *notionHarness) expand(s string) string {
	var pairs []string
	for name, id := range h.ids {
		pairs = append(pairs, "<"+name+">", id, "<"+name+":hex>", strings.ReplaceAll(id, "-", ""))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// call runs tool with token and checks that no Notion token appears in
// what it returns.
func (h *notionHarness) call(tb testing.TB, token, tool string, args map[string]any) (*tools.Result, error) {
	tb.Helper()
	auth := h.cat.Toolkit("notion").Scheme(tools.SchemeBearerToken).Authorizer(token)
	return h.run(tb, tool, args, auth, notionWorkToken, notionReadToken, notionHomeToken)
}

// upstream reads the fake directly, as the work integration, to check what
// a write left there.
func (h *notionHarness) upstream(tb testing.TB, path string) map[string]any {
	tb.Helper()
	req, _ := http.NewRequest("GET", h.fake.URL()+h.expand(path), nil)
	req.Header.Set("Authorization", "Bearer "+notionWorkToken)
	req.Header.Set("Notion-Version", "2025-09-03")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil || res.StatusCode != 200 {
		tb.Fatalf("GET %s = %d %s", path, res.StatusCode, data)
	}
	return v
}

func TestNotionToolkit(t *testing.T) {
	kit := builtin(t).Toolkit("notion")
	if kit == nil {
		t.Fatal(`Toolkit("notion") = nil`)
	}
	assertDiff(t, "headers", map[string]string{"Notion-Version": "2025-09-03"}, kit.Headers)
	if s := kit.Scheme(tools.SchemeBearerToken); s == nil || s.CredentialLabel != "Internal integration secret" || s.Prefix != "Bearer " ||
		!strings.Contains(s.Help, "https://www.notion.so/profile/integrations") {
		t.Errorf("bearer_token scheme = %+v", s)
	}
	s := kit.Scheme(tools.SchemeOAuth2)
	if s == nil || s.AuthorizationURL != "https://api.notion.com/v1/oauth/authorize" || s.TokenURL != "https://api.notion.com/v1/oauth/token" ||
		s.ClientAuth != tools.ClientAuthBasic || s.AuthorizationParams["owner"] != "user" || len(s.Scopes) != 0 ||
		s.RevokeURL != "https://api.notion.com/v1/oauth/revoke" {
		t.Errorf("oauth2 scheme = %+v", s)
	}
	want := &tools.IdentityRequest{Kind: "rest", Method: "GET", Path: "/v1/users/me", IDField: "id", LabelField: "bot.workspace_name"}
	assertDiff(t, "identity", want, kit.Identity)
}

func TestNotionTools(t *testing.T) {
	notes := `{"title":{"title":[{"text":{"content":"Notes"}}]}}`
	row := `{"Name":{"title":[{"text":{"content":"Ship it"}}]},"Status":{"status":{"name":"Done"}},
		"Due":{"date":{"start":"2024-05-01"}},"Tags":{"multi_select":[{"name":"urgent"}]},"Points":{"number":8}}`
	shipped := `[{"paragraph":{"rich_text":[{"text":{"content":"Shipped "}},{"text":{"content":"today"},"annotations":{"bold":true}}]}}]`
	appended := `[{"heading_2":{"rich_text":[{"text":{"content":"Log"}}]}},{"to_do":{"rich_text":[{"text":{"content":"Call Bob"}}],"checked":true}}]`
	tests := []struct {
		name, tool  string
		args        string // JSON with placeholders
		method      string
		path, query string
		body        string // JSON, "" for none
		structured  string // JSON; <new*> stand for ids and times the call makes
		text        string
		check       func(t *testing.T, h *notionHarness, res *tools.Result) // what a write left upstream
	}{{
		name: "SearchPagesOldestFirst", tool: "NOTION_SEARCH",
		args:   `{"filter":{"property":"object","value":"page"},"sort":{"timestamp":"last_edited_time","direction":"ascending"},"page_size":2}`,
		method: "POST", path: "/v1/search",
		body: `{"filter":{"property":"object","value":"page"},"sort":{"timestamp":"last_edited_time","direction":"ascending"},"page_size":2}`,
		structured: `{"count":2,"next_cursor":"<t1>","results":[
			{"object":"page","id":"<home>","url":"https://www.notion.so/Home-<home:hex>","properties":{"title":{"title":[{"plain_text":"Home"}]}},
			 "parent":{"type":"workspace","workspace":true},"last_edited_time":"2024-01-02T03:07:00.000Z","in_trash":false},
			{"object":"page","id":"<t0>","url":"https://www.notion.so/Write-report-<t0:hex>","properties":{},
			 "parent":{"type":"data_source_id","data_source_id":"<ds>","database_id":"<db>"},"last_edited_time":"2024-01-02T03:16:00.000Z","in_trash":false}]}`,
		text: "results: 2 items:\n- page <home> https://www.notion.so/Home-<home:hex> Home\n" +
			"- page <t0> https://www.notion.so/Write-report-<t0:hex>\n" +
			`More exist: call again with start_cursor="<t1>" for the next page.`,
	}, {
		name: "SearchDataSourcesByTitle", tool: "NOTION_SEARCH",
		args:   `{"query":"tasks","filter":{"property":"object","value":"data_source"}}`,
		method: "POST", path: "/v1/search", body: `{"query":"tasks","filter":{"property":"object","value":"data_source"},"page_size":50}`,
		structured: `{"count":1,"results":[{"object":"data_source","id":"<ds>","url":"https://www.notion.so/<ds:hex>","title":[{"plain_text":"Tasks"}],
			"properties":{},"parent":{"type":"database_id","database_id":"<db>"},"last_edited_time":"2024-01-02T03:15:00.000Z","in_trash":false}]}`,
		text: "results: 1 item:\n- data_source <ds> https://www.notion.so/<ds:hex> Tasks",
	}, {
		name: "GetPageByUndashedID", tool: "NOTION_GET_PAGE", args: `{"page_id":"<t0:hex>"}`,
		method: "GET", path: "/v1/pages/<t0:hex>",
		structured: `{"id":"<t0>","title":"Write report","url":"https://www.notion.so/Write-report-<t0:hex>",
			"parent":{"type":"data_source_id","data_source_id":"<ds>","database_id":"<db>"},
			"created_time":"2024-01-02T03:16:00.000Z","last_edited_time":"2024-01-02T03:16:00.000Z",
			"created_by":{"id":"<owner>"},"last_edited_by":{"id":"<owner>"},"in_trash":false,"icon":null,
			"properties":{"Name":"Write report","Status":"In progress","Due":{"start":"2024-02-01","end":null},"Tags":["work"],"Points":3}}`,
		text: "Page Write report https://www.notion.so/Write-report-<t0:hex> (id <t0>), last edited 2024-01-02T03:16:00.000Z. " +
			"Properties: Due: 2024-02-01; Name: Write report; Points: 3; Status: In progress; Tags: work",
	}, {
		name: "ReadPageContent", tool: "NOTION_GET_BLOCK_CHILDREN", args: `{"block_id":"<home>","page_size":4}`,
		method: "GET", path: "/v1/blocks/<home>/children", query: "page_size=4",
		structured: `{"count":4,"next_cursor":"<b4>","blocks":[
			{"id":"<b0>","type":"heading_1","has_children":false,"text":"Welcome"},
			{"id":"<b1>","type":"paragraph","has_children":false,"text":"This workspace belongs to Acme"},
			{"id":"<b2>","type":"to_do","has_children":false,"text":"Share pages with the integration","checked":false},
			{"id":"<b3>","type":"toggle","has_children":true,"text":"Details"}]}`,
		text: "blocks: 4 items:\n- heading_1 <b0>: Welcome\n- paragraph <b1>: This workspace belongs to Acme\n" +
			"- to_do <b2>: [ ] Share pages with the integration\n- toggle <b3>: Details\n" +
			`More exist: call again with start_cursor="<b4>" for the next page.`,
	}, {
		name: "CreateDatabaseRow", tool: "NOTION_CREATE_PAGE",
		args:   `{"parent_data_source_id":"<ds>","properties":` + row + `,"children":` + shipped + `}`,
		method: "POST", path: "/v1/pages",
		body:       `{"parent":{"data_source_id":"<ds>"},"properties":` + row + `,"children":` + shipped + `}`,
		structured: `{"id":"<new>","url":"https://www.notion.so/Ship-it-<new:hex>","created_time":"<new_time>","parent":{"type":"data_source_id","data_source_id":"<ds>","database_id":"<db>"}}`,
		text:       "Created page https://www.notion.so/Ship-it-<new:hex> (id <new>)",
		check: func(t *testing.T, h *notionHarness, res *tools.Result) {
			page := h.upstream(t, "/v1/pages/<new>")
			props, _ := json.Marshal(page["properties"])
			for _, want := range []string{`"name":"Done"`, `"start":"2024-05-01"`, `"name":"urgent"`, `"number":8`} {
				if !strings.Contains(string(props), want) {
					t.Errorf("row properties %s lack %s", props, want)
				}
			}
			kids := h.upstream(t, "/v1/blocks/<new>/children")
			if got, _ := json.Marshal(kids["results"]); !strings.Contains(string(got), `"plain_text":"today"`) || !strings.Contains(string(got), `"bold":true`) {
				t.Errorf("row content = %s", got)
			}
		},
	}, {
		name: "CreateSubPage", tool: "NOTION_CREATE_PAGE", args: `{"parent_page_id":"<home>","properties":` + notes + `}`,
		method: "POST", path: "/v1/pages", body: `{"parent":{"page_id":"<home>"},"properties":` + notes + `}`,
		structured: `{"id":"<new>","url":"https://www.notion.so/Notes-<new:hex>","created_time":"<new_time>","parent":{"type":"page_id","page_id":"<home>"}}`,
		text:       "Created page https://www.notion.so/Notes-<new:hex> (id <new>)",
		check: func(t *testing.T, h *notionHarness, res *tools.Result) {
			home := h.upstream(t, "/v1/blocks/<home>/children")
			last, _ := json.Marshal(home["results"].([]any)[6])
			if !strings.Contains(string(last), `"child_page":{"title":"Notes"}`) || !strings.Contains(string(last), h.expand(`"id":"<new>"`)) {
				t.Errorf("Home's last block = %s, want the sub-page", last)
			}
		},
	}, {
		name: "AppendAfterTheHeading", tool: "NOTION_APPEND_BLOCKS", args: `{"block_id":"<home>","children":` + appended + `,"after":"<b0>"}`,
		method: "PATCH", path: "/v1/blocks/<home>/children", body: `{"children":` + appended + `,"after":"<b0>"}`,
		structured: `{"count":2,"blocks":[{"id":"<new>","type":"heading_2","has_children":false},{"id":"<new2>","type":"to_do","has_children":false}]}`,
		text:       "blocks: 2 items:\n- heading_2 <new>\n- to_do <new2>",
		check: func(t *testing.T, h *notionHarness, res *tools.Result) {
			home := h.upstream(t, "/v1/blocks/<home>/children")
			var types []any
			for _, b := range home["results"].([]any) {
				types = append(types, b.(map[string]any)["type"])
			}
			if fmt.Sprint(types) != "[heading_1 heading_2 to_do paragraph to_do toggle code child_database]" {
				t.Errorf("Home's blocks = %v", types)
			}
		},
	}, {
		name: "QueryWithFilterAndSorts", tool: "NOTION_QUERY_DATA_SOURCE",
		args: `{"data_source_id":"<ds>","filter":{"and":[{"property":"Tags","multi_select":{"contains":"work"}},{"property":"Points","number":{"greater_than":4}}]},
			"sorts":[{"property":"Due","direction":"descending"},{"timestamp":"created_time","direction":"ascending"}],"page_size":10}`,
		method: "POST", path: "/v1/data_sources/<ds>/query",
		body: `{"filter":{"and":[{"property":"Tags","multi_select":{"contains":"work"}},{"property":"Points","number":{"greater_than":4}}]},
			"sorts":[{"property":"Due","direction":"descending"},{"timestamp":"created_time","direction":"ascending"}],"page_size":10}`,
		structured: `{"count":1,"pages":[{"id":"<t1>","title":"Plan offsite","url":"https://www.notion.so/Plan-offsite-<t1:hex>",
			"created_time":"2024-01-02T03:17:00.000Z","last_edited_time":"2024-01-02T03:17:00.000Z",
			"properties":{"Name":"Plan offsite","Status":"Not started","Due":{"start":"2024-03-15","end":null},"Tags":["work"],"Points":5}}]}`,
		text: "pages: 1 item:\n- Plan offsite https://www.notion.so/Plan-offsite-<t1:hex> (id <t1>), last edited 2024-01-02T03:17:00.000Z: " +
			"Due: 2024-03-15; Name: Plan offsite; Points: 5; Status: Not started; Tags: work",
	}, {
		name: "GetDatabase", tool: "NOTION_GET_DATABASE", args: `{"database_id":"<db>"}`,
		method: "GET", path: "/v1/databases/<db>",
		structured: `{"id":"<db>","url":"https://www.notion.so/<db:hex>","title":[{"plain_text":"Tasks"}],"parent":{"type":"page_id","page_id":"<home>"},
			"is_inline":true,"in_trash":false,"data_sources":[{"id":"<ds>","name":"Tasks"}],
			"created_time":"2024-01-02T03:14:00.000Z","last_edited_time":"2024-01-02T03:14:00.000Z"}`,
		text: "Database Tasks https://www.notion.so/<db:hex>: data sources Tasks (ids <ds>)",
	}, {
		name: "GetDataSourceSchema", tool: "NOTION_GET_DATA_SOURCE", args: `{"data_source_id":"<ds>"}`,
		method: "GET", path: "/v1/data_sources/<ds>",
		structured: `{"id":"<ds>","url":"https://www.notion.so/<ds:hex>","title":[{"plain_text":"Tasks"}],
			"parent":{"type":"database_id","database_id":"<db>"},"database_parent":{"type":"page_id","page_id":"<home>"},"in_trash":false,
			"created_time":"2024-01-02T03:15:00.000Z","last_edited_time":"2024-01-02T03:15:00.000Z","properties":{
				"Name":{"id":"title","name":"Name","description":null,"type":"title","title":{}},
				"Status":{"id":"s%3Ft","name":"Status","description":null,"type":"status","status":{
					"options":[{"id":"s3Ft-0","name":"Not started","color":"default","description":null},
						{"id":"s3Ft-1","name":"In progress","color":"default","description":null},
						{"id":"s3Ft-2","name":"Done","color":"default","description":null}],
					"groups":[{"id":"group-0","name":"To-do","color":"default","option_ids":["s3Ft-0"]},
						{"id":"group-1","name":"In progress","color":"default","option_ids":["s3Ft-1"]},
						{"id":"group-2","name":"Complete","color":"default","option_ids":["s3Ft-2"]}]}},
				"Due":{"id":"d%40e","name":"Due","description":null,"type":"date","date":{}},
				"Tags":{"id":"t%5Bg","name":"Tags","description":null,"type":"multi_select","multi_select":{"options":[
					{"id":"t5Bg-0","name":"work","color":"default","description":null},{"id":"t5Bg-1","name":"home","color":"default","description":null}]}},
				"Points":{"id":"p%3Bt","name":"Points","description":null,"type":"number","number":{"format":"number"}}}}`,
		text: "Data source Tasks (id <ds>) https://www.notion.so/<ds:hex>",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newNotionHarness(t)
			var args map[string]any
			if err := json.Unmarshal([]byte(h.expand(tt.args)), &args); err != nil {
				t.Fatalf("args: %v", err)
			}
			res, err := h.call(t, notionWorkToken, tt.tool, args)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.fake)
			got := []string{r.Method, r.EscapedPath, r.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Notion-Version"), r.Header.Get("User-Agent")}
			want := []string{tt.method, h.expand(tt.path), tt.query, "Bearer " + notionWorkToken, "2025-09-03", "switchboard-test"}
			assertDiff(t, "request", want, got)
			assertJSONBody(t, r, h.expand(tt.body))
			// Ids and times that the call made come from the result; the
			// checks below hold them to what the fake holds.
			h.ids["new_time"], _ = res.Structured["created_time"].(string)
			h.ids["new"], _ = res.Structured["id"].(string)
			if blocks, ok := res.Structured["blocks"].([]any); ok && strings.Contains(tt.structured, "<new>") {
				for i, b := range blocks { // <new>, <new2>, …
					name := "new"
					if i > 0 {
						name = fmt.Sprintf("new%d", i+1)
					}
					h.ids[name], _ = b.(map[string]any)["id"].(string)
				}
			}
			assertResult(t, res, h.expand(tt.structured), h.expand(tt.text))
			if tt.check != nil {
				tt.check(t, h, res)
			}
		})
	}
}

func TestNotionPaging(t *testing.T) {
	h := newNotionHarness(t)
	t.Run("SearchFollowsNextCursor", func(t *testing.T) {
		var ids []string
		args := map[string]any{"page_size": 2}
		for page := 1; ; page++ {
			res, err := h.call(t, notionWorkToken, "NOTION_SEARCH", args)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Structured["results"].([]any) {
				ids = append(ids, r.(map[string]any)["id"].(string))
			}
			next, more := res.Structured["next_cursor"].(string)
			if more != strings.Contains(res.Text, "More exist: call again with start_cursor=") {
				t.Errorf("page %d: next_cursor %q but text %q", page, next, res.Text)
			}
			if !more || page == 5 {
				break
			}
			args["start_cursor"] = next
		}
		want := []string{h.seed.TaskIDs[2], h.seed.TaskIDs[1], h.seed.TaskIDs[0], h.seed.DataSourceID, h.seed.HomePageID}
		assertDiff(t, "ids, newest first", want, ids)
		var cursors []string
		for _, r := range h.fake.Requests() {
			var body map[string]any
			json.Unmarshal([]byte(r.Body), &body)
			cursors = append(cursors, fmt.Sprint(body["start_cursor"]))
		}
		assertDiff(t, "start_cursor sent", []string{"<nil>", h.seed.TaskIDs[0], h.seed.HomePageID}, cursors)
	})
	t.Run("LastPageOfBlocksHasNoHint", func(t *testing.T) {
		res, err := h.call(t, notionWorkToken, "NOTION_GET_BLOCK_CHILDREN", map[string]any{"block_id": h.seed.HomePageID, "start_cursor": h.seed.HomeBlockIDs[4]})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := res.Structured["next_cursor"]; ok || strings.Contains(res.Text, "More exist") || res.Structured["count"] != 2 ||
			!strings.HasSuffix(res.Text, "- child_database "+h.seed.DatabaseID+": Tasks") {
			t.Errorf("last page: %v %q", res.Structured, res.Text)
		}
	})
	t.Run("NestedBlocksByTheirID", func(t *testing.T) {
		res, err := h.call(t, notionWorkToken, "NOTION_GET_BLOCK_CHILDREN", map[string]any{"block_id": h.seed.HomeBlockIDs[3]})
		if err != nil || res.Text != "blocks: 1 item:\n- paragraph "+h.seed.ToggleChildID+": Hidden details." {
			t.Errorf("toggle children = %v, %v", res, err)
		}
	})
}

func TestNotionErrors(t *testing.T) {
	rateLimited := `{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited. Please try again in a few minutes."}`
	unavailable := `{"object":"error","status":503,"code":"service_unavailable","message":"Notion is unavailable, please try again later."}`
	tests := []struct {
		name     string
		setup    func(h *notionHarness)
		token    string
		tool     string
		args     string
		code     string
		status   int
		retry    int      // RetryAfterSeconds
		requests int      // how many reached the fake
		message  []string // parts of the public message
	}{{
		name: "RevokedTokenMeansReauthorize", setup: func(h *notionHarness) { h.fake.RevokeToken(notionWorkToken) },
		tool: "NOTION_GET_PAGE", args: `{"page_id":"<home>"}`, code: tools.CodeUpstreamError, status: 401, requests: 1,
		message: []string{"Notion rejected the account's credential (HTTP 401)", "re-authorized"},
	}, {
		name: "MissingCapabilityIsForbidden", token: notionReadToken,
		tool: "NOTION_APPEND_BLOCKS", args: `{"block_id":"<home>","children":[{"divider":{}}]}`, code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: []string{"Notion refused the request (HTTP 403): Insufficient permissions for this endpoint"},
	}, {
		name: "OtherWorkspaceIsNotFound", tool: "NOTION_GET_BLOCK_CHILDREN", args: `{"block_id":"<other_home>"}`,
		code: tools.CodeUpstreamError, status: 404, requests: 1, message: []string{"Notion returned 404"},
	}, {
		name: "ValidationErrorRepeatsNotionsMessage", tool: "NOTION_CREATE_PAGE",
		args: `{"parent_data_source_id":"<ds>","properties":{"Owner":{"people":[]}}}`, code: tools.CodeUpstreamError, status: 400, requests: 1,
		message: []string{"Notion rejected the request (HTTP 400): Owner is not a property that exists", "Fix the arguments"},
	}, {
		name: "FilterOnUnknownPropertyIsRefused", tool: "NOTION_QUERY_DATA_SOURCE",
		args: `{"data_source_id":"<ds>","filter":{"property":"Owner","people":{"contains":"x"}}}`, code: tools.CodeUpstreamError, status: 400, requests: 1,
		message: []string{"Could not find property with name or id: Owner"},
	}, {
		name: "Conflict", setup: func(h *notionHarness) {
			h.fake.Fail("/v1/pages", 409, nil, `{"object":"error","status":409,"code":"conflict_error","message":"Conflict occurred while saving. Please try again."}`, 1)
		},
		tool: "NOTION_CREATE_PAGE", args: `{"parent_page_id":"<home>","properties":{}}`, code: tools.CodeUpstreamError, status: 409, requests: 1,
		message: []string{"(HTTP 409): Conflict occurred while saving. Please try again"},
	}, {
		name: "RateLimitedWithRetryAfter", setup: func(h *notionHarness) {
			h.fake.Fail("/v1/search", 429, http.Header{"Retry-After": {"7"}}, rateLimited, 1)
		},
		tool: "NOTION_SEARCH", args: `{}`, code: tools.CodeUpstreamRateLimited, status: 429, retry: 7, requests: 1,
		message: []string{"wait 7 seconds"},
	}, {
		name: "ServerErrorOnAWriteIsNotRetried", setup: func(h *notionHarness) {
			h.fake.Fail("/v1/blocks/"+h.seed.HomePageID+"/children", 503, nil, unavailable, 1)
		},
		tool: "NOTION_APPEND_BLOCKS", args: `{"block_id":"<home>","children":[{"divider":{}}]}`, code: tools.CodeUpstreamUnavailable, status: 503, requests: 1,
		message: []string{"Notion is unavailable (HTTP 503)"},
	}, {
		name: "ReadsRetryBoundedly", setup: func(h *notionHarness) {
			h.fake.Fail("/v1/data_sources/"+h.seed.DataSourceID+"/query", 502, nil, "<html>bad gateway</html>", 5)
		},
		tool: "NOTION_QUERY_DATA_SOURCE", args: `{"data_source_id":"<ds>"}`, code: tools.CodeUpstreamUnavailable, status: 502, requests: 3,
		message: []string{"Notion is unavailable (HTTP 502)"},
	}, {
		name: "InternalServerError", setup: func(h *notionHarness) {
			h.fake.Fail("/v1/pages/"+h.seed.HomePageID, 500, nil, `{"object":"error","status":500,"code":"internal_server_error","message":"Unexpected error occurred."}`, 1)
		},
		tool: "NOTION_GET_PAGE", args: `{"page_id":"<home>"}`, code: tools.CodeUpstreamUnavailable, status: 500, requests: 1,
		message: []string{"Notion is unavailable (HTTP 500)"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newNotionHarness(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			token := tt.token
			if token == "" {
				token = notionWorkToken
			}
			var args map[string]any
			if err := json.Unmarshal([]byte(h.expand(tt.args)), &args); err != nil {
				t.Fatal(err)
			}
			_, err := h.call(t, token, tt.tool, args)
			e := asToolError(t, err)
			if e.Code != tt.code || e.Status != tt.status || e.RetryAfterSeconds != tt.retry {
				t.Errorf("error = %s, HTTP %d, retry %d; want %s, HTTP %d, retry %d", e.Code, e.Status, e.RetryAfterSeconds, tt.code, tt.status, tt.retry)
			}
			assertContains(t, "message", e.PublicMessage(), tt.message...)
			assertRequestCount(t, h.fake, tt.requests)
		})
	}
	t.Run("RetriedReadSucceeds", func(t *testing.T) {
		h := newNotionHarness(t)
		h.fake.Fail("/v1/search", 503, nil, unavailable, 1)
		res, err := h.call(t, notionWorkToken, "NOTION_SEARCH", map[string]any{"query": "Home"})
		if err != nil || res.Structured["count"] != 1 || len(h.fake.Requests()) != 2 {
			t.Errorf("after one 503: %v, %v, %d requests", res, err, len(h.fake.Requests()))
		}
	})
}

func TestNotionIdentify(t *testing.T) {
	h := newNotionHarness(t)
	tests := []struct {
		name, token string
		want        tools.Identity
	}{
		{"InternalIntegrationIsLabeledByWorkspace", notionWorkToken, tools.Identity{ID: h.bot.ID, Label: "Acme"}},
		{"PublicIntegrationToo", notionHomeToken, tools.Identity{Label: "Home"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.fake.Reset()
			auth := h.cat.Toolkit("notion").Scheme(tools.SchemeOAuth2).Authorizer(tt.token)
			who, err := h.exec.Identify(context.Background(), "notion", auth)
			if err != nil || who.Label != tt.want.Label || who.ID == "" || (tt.want.ID != "" && who.ID != tt.want.ID) {
				t.Fatalf("Identify = %+v, %v; want %+v", who, err, tt.want)
			}
			r := h.fake.Requests()[0]
			if r.Method != "GET" || r.Path != "/v1/users/me" || r.Token != tt.token || r.Header.Get("Notion-Version") != "2025-09-03" {
				t.Errorf("request = %+v", r)
			}
		})
	}
	t.Run("RejectedSecretIsUnauthorized", func(t *testing.T) {
		auth := h.cat.Toolkit("notion").Scheme(tools.SchemeBearerToken).Authorizer("ntn_revoked")
		if _, err := h.exec.Identify(context.Background(), "notion", auth); !tools.IsUnauthorized(err) {
			t.Errorf("err = %v, want Unauthorized", err)
		}
	})
}

func TestNotionInvalidArgumentsMakeNoRequest(t *testing.T) {
	h := newNotionHarness(t)
	divider := map[string]any{"divider": map[string]any{}}
	many := make([]any, 101)
	for i := range many {
		many[i] = divider
	}
	tests := []struct {
		name string
		tool string
		args map[string]any
		path string // of the first problem
	}{
		{"URLIsNotAnID", "NOTION_GET_PAGE", map[string]any{"page_id": "https://www.notion.so/Home-" + strings.ReplaceAll(h.seed.HomePageID, "-", "")}, "/page_id"},
		{"PathTraversal", "NOTION_GET_BLOCK_CHILDREN", map[string]any{"block_id": "../users/me"}, "/block_id"},
		{"PageSizeOver100", "NOTION_SEARCH", map[string]any{"page_size": 101}, "/page_size"},
		{"DatabaseIsThe2022FilterValue", "NOTION_SEARCH", map[string]any{"filter": map[string]any{"property": "object", "value": "database"}}, "/filter/value"},
		{"SortByCreatedTime", "NOTION_SEARCH", map[string]any{"sort": map[string]any{"timestamp": "created_time", "direction": "ascending"}}, "/sort/timestamp"},
		{"TwoParents", "NOTION_CREATE_PAGE", map[string]any{"parent_page_id": h.seed.HomePageID, "parent_data_source_id": h.seed.DataSourceID, "properties": map[string]any{}}, ""},
		{"NoParent", "NOTION_CREATE_PAGE", map[string]any{"properties": map[string]any{}}, "/parent_data_source_id"},
		{"Over100Blocks", "NOTION_APPEND_BLOCKS", map[string]any{"block_id": h.seed.HomePageID, "children": many}, "/children"},
		{"NoBlocks", "NOTION_APPEND_BLOCKS", map[string]any{"block_id": h.seed.HomePageID, "children": []any{}}, "/children"},
		{"SortWithPropertyAndTimestamp", "NOTION_QUERY_DATA_SOURCE", map[string]any{"data_source_id": h.seed.DataSourceID,
			"sorts": []any{map[string]any{"property": "Due", "timestamp": "created_time", "direction": "ascending"}}}, "/sorts/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.fake.Reset()
			_, err := h.call(t, notionWorkToken, tt.tool, tt.args)
			assertRequestCount(t, h.fake, 0)
			if e := wantCode(t, err, tools.CodeInvalidArguments); len(e.Problems) == 0 || e.Problems[0].Path != tt.path {
				t.Errorf("problems = %+v, want the first at %q", e.Problems, tt.path)
			}
		})
	}
}
