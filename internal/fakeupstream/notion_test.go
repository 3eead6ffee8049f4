package fakeupstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	ntTok      = "ntn_work"
	ntHomeTok  = "ntn_home"
	ntReadTok  = "ntn_readonly"
	ntOAuthTok = "ntn_oauth"
)

func newNotion(tb testing.TB) (*Notion, NotionSeed) {
	tb.Helper()
	n := NewNotion()
	tb.Cleanup(n.Close)
	n.AddBot(ntTok, NotionBot{Name: "Switchboard", Workspace: "Acme"})
	n.AddBot(ntHomeTok, NotionBot{Name: "Switchboard", Workspace: "Home"})
	n.AddBot(ntReadTok, NotionBot{Name: "Reader", Workspace: "Acme", ReadOnly: true})
	n.AddBot(ntOAuthTok, NotionBot{Name: "Switchboard", Workspace: "Acme", OwnerName: "Ada", OwnerEmail: "ada@example.com"})
	return n, n.Seed("Acme")
}

// ntDo sends a request with Notion's headers and decodes the JSON answer.
func ntDo(tb testing.TB, n *Notion, method, path, token, body string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, n.URL()+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Notion-Version", NotionVersion)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatalf("%s %s: body is not a JSON object: %q", method, path, data)
	}
	return res.StatusCode, v
}

// ntField returns the value at a dotted path; numbers index arrays.
func ntField(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// ntEach returns the value at path of every element of list.
func ntEach(list any, path string) []any {
	var out []any
	items, _ := list.([]any)
	for _, it := range items {
		out = append(out, ntField(it, path))
	}
	return out
}

func ntWantError(tb testing.TB, status int, v map[string]any, wantStatus int, code, msg string) {
	tb.Helper()
	if status != wantStatus || v["object"] != "error" || v["code"] != code || v["status"] != float64(wantStatus) ||
		!strings.Contains(fmt.Sprint(v["message"]), msg) {
		tb.Errorf("got %d %v, want %d %s containing %q", status, v, wantStatus, code, msg)
	}
}

func TestNotionHeadersAndIdentity(t *testing.T) {
	n, _ := newNotion(t)
	t.Run("InternalIntegrationIsOwnedByTheWorkspace", func(t *testing.T) {
		status, v := ntDo(t, n, "GET", "/v1/users/me", ntTok, "")
		if status != 200 || v["type"] != "bot" || v["name"] != "Switchboard" || ntField(v, "bot.workspace_name") != "Acme" ||
			ntField(v, "bot.owner.type") != "workspace" || v["id"] == "" {
			t.Errorf("users/me = %d %v", status, v)
		}
	})
	t.Run("PublicIntegrationNamesItsUser", func(t *testing.T) {
		_, v := ntDo(t, n, "GET", "/v1/users/me", ntOAuthTok, "")
		if ntField(v, "bot.owner.user.person.email") != "ada@example.com" || ntField(v, "bot.owner.user.name") != "Ada" {
			t.Errorf("users/me = %v", v)
		}
	})
	t.Run("ReauthorizationKeepsTheBot", func(t *testing.T) {
		_, v := ntDo(t, n, "GET", "/v1/users/me", ntOAuthTok, "")
		n.AddBot("ntn_oauth_2", NotionBot{ID: v["id"].(string), Name: "Switchboard", Workspace: "Acme", OwnerName: "Ada", OwnerEmail: "ada@example.com"})
		_, again := ntDo(t, n, "GET", "/v1/users/me", "ntn_oauth_2", "")
		if diff := cmp.Diff(v, again); diff != "" {
			t.Errorf("users/me changed (-first +second):\n%s", diff)
		}
	})
	t.Run("UnknownTokenIsUnauthorized", func(t *testing.T) {
		status, v := ntDo(t, n, "GET", "/v1/users/me", "nope", "")
		ntWantError(t, status, v, 401, "unauthorized", "API token is invalid.")
	})
	t.Run("RevokedTokenIsUnauthorized", func(t *testing.T) {
		n.AddBot("ntn_gone", NotionBot{Name: "Old", Workspace: "Acme"})
		n.RevokeToken("ntn_gone")
		status, v := ntDo(t, n, "GET", "/v1/users/me", "ntn_gone", "")
		ntWantError(t, status, v, 401, "unauthorized", "API token is invalid.")
	})
	for name, version := range map[string]string{"MissingVersion": "", "OtherVersion": "2022-06-28"} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", n.URL()+"/v1/users/me", nil)
			req.Header.Set("Authorization", "Bearer "+ntTok)
			if version != "" {
				req.Header.Set("Notion-Version", version)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var v map[string]any
			json.NewDecoder(res.Body).Decode(&v)
			code := map[string]string{"": "missing_version"}[version]
			if code == "" {
				code = "validation_error"
			}
			ntWantError(t, res.StatusCode, v, 400, code, "Notion-Version header failed validation")
		})
	}
	t.Run("UnknownPathIsInvalidRequestURL", func(t *testing.T) {
		status, v := ntDo(t, n, "GET", "/v1/databases/x/query", ntTok, "")
		ntWantError(t, status, v, 400, "invalid_request_url", "Invalid request URL.")
	})
	t.Run("RecordsRequests", func(t *testing.T) {
		n.Reset()
		ntDo(t, n, "POST", "/v1/search", ntTok, `{"query":"x"}`)
		r := n.Requests()
		if len(r) != 1 || r[0].Method != "POST" || r[0].Path != "/v1/search" || r[0].Token != ntTok || r[0].Body != `{"query":"x"}` ||
			r[0].Header.Get("Notion-Version") != NotionVersion {
			t.Errorf("requests = %+v", r)
		}
	})
}

func TestNotionSearch(t *testing.T) {
	n, seed := newNotion(t)
	tests := []struct {
		name, body string
		want       []any // ids
	}{
		{"EverythingNewestFirst", `{}`, []any{seed.TaskIDs[2], seed.TaskIDs[1], seed.TaskIDs[0], seed.DataSourceID, seed.HomePageID}},
		{"ByTitle", `{"query":"REPORT"}`, []any{seed.TaskIDs[0]}},
		{"DataSourcesOnly", `{"filter":{"property":"object","value":"data_source"}}`, []any{seed.DataSourceID}},
		{"PagesOldestFirst", `{"filter":{"property":"object","value":"page"},"sort":{"timestamp":"last_edited_time","direction":"ascending"}}`,
			[]any{seed.HomePageID, seed.TaskIDs[0], seed.TaskIDs[1], seed.TaskIDs[2]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, v := ntDo(t, n, "POST", "/v1/search", ntTok, tt.body)
			if status != 200 || v["object"] != "list" || v["type"] != "page_or_data_source" || v["has_more"] != false {
				t.Fatalf("search = %d %v", status, v)
			}
			if diff := cmp.Diff(tt.want, ntEach(v["results"], "id")); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("OtherWorkspaceIsInvisible", func(t *testing.T) {
		_, v := ntDo(t, n, "POST", "/v1/search", ntHomeTok, `{"query":"Home"}`)
		if ids := ntEach(v["results"], "id"); len(ids) != 1 || ids[0] != n.Seed("Home").HomePageID {
			t.Errorf("ids = %v", ids)
		}
	})
	t.Run("CursorPagesThroughAll", func(t *testing.T) {
		var got []any
		body := `{"page_size":2}`
		for range 5 {
			_, v := ntDo(t, n, "POST", "/v1/search", ntTok, body)
			got = append(got, ntEach(v["results"], "id")...)
			if v["has_more"] == false {
				if v["next_cursor"] != nil {
					t.Errorf("last page has next_cursor %v", v["next_cursor"])
				}
				break
			}
			body = fmt.Sprintf(`{"page_size":2,"start_cursor":%q}`, v["next_cursor"])
		}
		if len(got) != 5 {
			t.Errorf("paged ids = %v", got)
		}
	})
	for name, body := range map[string]string{
		"DatabaseFilterIsThe2022Value": `{"filter":{"property":"object","value":"database"}}`,
		"PageSizeOver100":              `{"page_size":101}`,
		"UnknownCursor":                `{"start_cursor":"nope"}`,
		"SortByCreatedTime":            `{"sort":{"timestamp":"created_time","direction":"ascending"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			status, v := ntDo(t, n, "POST", "/v1/search", ntTok, body)
			ntWantError(t, status, v, 400, "validation_error", "failed validation")
		})
	}
	t.Run("NotJSON", func(t *testing.T) {
		status, v := ntDo(t, n, "POST", "/v1/search", ntTok, `{`)
		ntWantError(t, status, v, 400, "invalid_json", "Error parsing JSON body.")
	})
}

func TestNotionPagesAndBlocks(t *testing.T) {
	n, seed := newNotion(t)
	t.Run("GetPage", func(t *testing.T) {
		status, v := ntDo(t, n, "GET", "/v1/pages/"+strings.ReplaceAll(seed.TaskIDs[0], "-", ""), ntTok, "")
		want := map[string]any{"id": seed.TaskIDs[0], "parent.type": "data_source_id", "parent.data_source_id": seed.DataSourceID,
			"parent.database_id": seed.DatabaseID, "properties.Name.title.0.plain_text": "Write report",
			"properties.Status.status.name": "In progress", "properties.Due.date.start": "2024-02-01",
			"properties.Tags.multi_select.0.name": "work", "properties.Points.number": float64(3), "in_trash": false,
			"url": "https://www.notion.so/Write-report-" + strings.ReplaceAll(seed.TaskIDs[0], "-", "")}
		for path, w := range want {
			if got := ntField(v, path); status != 200 || got != w {
				t.Errorf("%s = %v, want %v", path, got, w)
			}
		}
	})
	t.Run("HomeContentInOrder", func(t *testing.T) {
		_, v := ntDo(t, n, "GET", "/v1/blocks/"+seed.HomePageID+"/children", ntTok, "")
		want := []any{"heading_1", "paragraph", "to_do", "toggle", "code", "child_database"}
		if diff := cmp.Diff(want, ntEach(v["results"], "type")); diff != "" || v["type"] != "block" {
			t.Errorf("types (-want +got):\n%s", diff)
		}
		if got := ntEach(ntField(v, "results.1.paragraph.rich_text"), "plain_text"); fmt.Sprint(got) != "[This workspace belongs to  Acme]" {
			t.Errorf("paragraph runs = %q", got)
		}
		if ntField(v, "results.3.has_children") != true || ntField(v, "results.5.child_database.title") != "Tasks" {
			t.Errorf("toggle or database block = %v", v["results"])
		}
	})
	t.Run("ChildrenPageByCursor", func(t *testing.T) {
		_, first := ntDo(t, n, "GET", "/v1/blocks/"+seed.HomePageID+"/children?page_size=4", ntTok, "")
		_, rest := ntDo(t, n, "GET", fmt.Sprintf("/v1/blocks/%s/children?page_size=4&start_cursor=%s", seed.HomePageID, first["next_cursor"]), ntTok, "")
		if got := append(ntEach(first["results"], "id"), ntEach(rest["results"], "id")...); fmt.Sprint(got) != fmt.Sprint(seed.HomeBlockIDs) ||
			first["has_more"] != true || rest["has_more"] != false {
			t.Errorf("paged = %v %v", first, rest)
		}
	})
	t.Run("NestedChildren", func(t *testing.T) {
		_, v := ntDo(t, n, "GET", "/v1/blocks/"+seed.HomeBlockIDs[3]+"/children", ntTok, "")
		if ntField(v, "results.0.id") != seed.ToggleChildID || ntField(v, "results.0.paragraph.rich_text.0.plain_text") != "Hidden details." {
			t.Errorf("toggle children = %v", v)
		}
	})
	t.Run("CreateSubPageWithContent", func(t *testing.T) {
		body := fmt.Sprintf(`{"parent":{"page_id":%q},"properties":{"title":{"title":[{"text":{"content":"Notes"}}]}},
			"children":[{"paragraph":{"rich_text":[{"text":{"content":"Hi"}}],"children":[{"to_do":{"rich_text":[],"checked":true}}]}}]}`, seed.HomePageID)
		status, v := ntDo(t, n, "POST", "/v1/pages", ntTok, body)
		if status != 200 || v["object"] != "page" || ntField(v, "parent.page_id") != seed.HomePageID || ntField(v, "properties.title.title.0.plain_text") != "Notes" {
			t.Fatalf("create = %d %v", status, v)
		}
		_, kids := ntDo(t, n, "GET", "/v1/blocks/"+v["id"].(string)+"/children", ntTok, "")
		if ntField(kids, "results.0.paragraph.rich_text.0.plain_text") != "Hi" || ntField(kids, "results.0.has_children") != true {
			t.Errorf("new page content = %v", kids)
		}
		_, home := ntDo(t, n, "GET", "/v1/blocks/"+seed.HomePageID+"/children", ntTok, "")
		if ntField(home, "results.6.type") != "child_page" || ntField(home, "results.6.child_page.title") != "Notes" || ntField(home, "results.6.id") != v["id"] {
			t.Errorf("Home does not show the sub-page: %v", home["results"])
		}
	})
	t.Run("CreateRow", func(t *testing.T) {
		body := fmt.Sprintf(`{"parent":{"data_source_id":%q},"properties":{"Name":{"title":[{"text":{"content":"Ship it"}}]},
			"Status":{"status":{"name":"Done"}},"Tags":{"multi_select":[{"name":"urgent"}]},"Due":{"date":{"start":"2024-05-01"}}}}`, seed.DataSourceID)
		status, v := ntDo(t, n, "POST", "/v1/pages", ntTok, body)
		if status != 200 || ntField(v, "properties.Status.status.name") != "Done" || ntField(v, "properties.Tags.multi_select.0.name") != "urgent" ||
			ntField(v, "properties.Points.number") != nil || ntField(v, "parent.database_id") != seed.DatabaseID {
			t.Errorf("create row = %d %v", status, v)
		}
	})
	t.Run("CreateRowByDatabaseID", func(t *testing.T) {
		status, v := ntDo(t, n, "POST", "/v1/pages", ntTok, fmt.Sprintf(`{"parent":{"database_id":%q},"properties":{}}`, seed.DatabaseID))
		if status != 200 || ntField(v, "parent.data_source_id") != seed.DataSourceID {
			t.Errorf("create = %d %v", status, v)
		}
	})
	t.Run("AppendAfter", func(t *testing.T) {
		body := fmt.Sprintf(`{"children":[{"type":"divider","divider":{}},{"heading_2":{"rich_text":[{"text":{"content":"Next"}}]}}],"after":%q}`, seed.HomeBlockIDs[0])
		status, v := ntDo(t, n, "PATCH", "/v1/blocks/"+seed.HomePageID+"/children", ntTok, body)
		if status != 200 || fmt.Sprint(ntEach(v["results"], "type")) != "[divider heading_2]" {
			t.Fatalf("append = %d %v", status, v)
		}
		_, home := ntDo(t, n, "GET", "/v1/blocks/"+seed.HomePageID+"/children", ntTok, "")
		if got := ntEach(home["results"], "type"); fmt.Sprint(got[:4]) != "[heading_1 divider heading_2 paragraph]" {
			t.Errorf("Home types = %v", got)
		}
	})
	long := strings.Repeat("x", 2001)
	many := strings.TrimSuffix(strings.Repeat(`{"divider":{}},`, 101), ",")
	deep := `{"toggle":{"rich_text":[],"children":[{"toggle":{"rich_text":[],"children":[{"toggle":{"rich_text":[],"children":[{"divider":{}}]}}]}}]}}`
	errs := []struct {
		name, method, path, token, body string
		status                          int
		code, msg                       string
	}{
		{"OtherWorkspacesPage", "GET", "/v1/pages/" + n.Seed("Home").HomePageID, ntTok, "", 404, "object_not_found", `Could not find page with ID: ` + n.Seed("Home").HomePageID + `. Make sure the relevant pages and databases are shared with your integration "Switchboard".`},
		{"MalformedID", "GET", "/v1/pages/not-an-id", ntTok, "", 400, "validation_error", "should be a valid uuid"},
		{"UnknownBlock", "GET", "/v1/blocks/00000000-0000-4000-8000-999999999999/children", ntTok, "", 404, "object_not_found", "Could not find block"},
		{"ReadOnlyBotCannotCreate", "POST", "/v1/pages", ntReadTok, `{}`, 403, "restricted_resource", "Insufficient permissions"},
		{"ReadOnlyBotCannotAppend", "PATCH", "/v1/blocks/" + seed.HomePageID + "/children", ntReadTok, `{"children":[]}`, 403, "restricted_resource", "Insufficient permissions"},
		{"NoParent", "POST", "/v1/pages", ntTok, `{"properties":{}}`, 400, "validation_error", "body.parent should be defined"},
		{"NoProperties", "POST", "/v1/pages", ntTok, fmt.Sprintf(`{"parent":{"page_id":%q}}`, seed.HomePageID), 400, "validation_error", "body.properties should be defined"},
		{"UnknownProperty", "POST", "/v1/pages", ntTok, fmt.Sprintf(`{"parent":{"data_source_id":%q},"properties":{"Owner":{"people":[]}}}`, seed.DataSourceID), 400, "validation_error", "Owner is not a property that exists."},
		{"WrongPropertyType", "POST", "/v1/pages", ntTok, fmt.Sprintf(`{"parent":{"data_source_id":%q},"properties":{"Status":{"select":{"name":"Done"}}}}`, seed.DataSourceID), 400, "validation_error", "Status is expected to be status."},
		{"UnknownStatus", "POST", "/v1/pages", ntTok, fmt.Sprintf(`{"parent":{"data_source_id":%q},"properties":{"Status":{"status":{"name":"Blocked"}}}}`, seed.DataSourceID), 400, "validation_error", "Invalid status option."},
		{"OnlyTitleUnderAPage", "POST", "/v1/pages", ntTok, fmt.Sprintf(`{"parent":{"page_id":%q},"properties":{"Status":{"status":{"name":"Done"}}}}`, seed.HomePageID), 400, "validation_error", "Status is not a property that exists."},
		{"TextOver2000", "PATCH", "/v1/blocks/" + seed.HomePageID + "/children", ntTok, `{"children":[{"paragraph":{"rich_text":[{"text":{"content":"` + long + `"}}]}}]}`, 400, "validation_error", "text.content.length should be ≤ `2000`"},
		{"Over100Blocks", "PATCH", "/v1/blocks/" + seed.HomePageID + "/children", ntTok, `{"children":[` + many + `]}`, 400, "validation_error", "body.children.length should be ≤ `100`"},
		{"ThreeLevelsDeep", "PATCH", "/v1/blocks/" + seed.HomePageID + "/children", ntTok, `{"children":[` + deep + `]}`, 400, "validation_error", "two levels of nesting"},
		{"BlockWithoutContent", "PATCH", "/v1/blocks/" + seed.HomePageID + "/children", ntTok, `{"children":[{"type":"paragraph"}]}`, 400, "validation_error", "body.children[0].paragraph should be defined"},
		{"AppendWithoutChildren", "PATCH", "/v1/blocks/" + seed.HomePageID + "/children", ntTok, `{}`, 400, "validation_error", "body.children should be defined"},
		{"AfterANonChild", "PATCH", "/v1/blocks/" + seed.HomePageID + "/children", ntTok, fmt.Sprintf(`{"children":[],"after":%q}`, seed.ToggleChildID), 400, "validation_error", "is not a child of"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			status, v := ntDo(t, n, tt.method, tt.path, tt.token, tt.body)
			ntWantError(t, status, v, tt.status, tt.code, tt.msg)
		})
	}
}

func TestNotionDatabases(t *testing.T) {
	n, seed := newNotion(t)
	t.Run("DatabaseListsItsDataSources", func(t *testing.T) {
		_, v := ntDo(t, n, "GET", "/v1/databases/"+seed.DatabaseID, ntTok, "")
		if v["object"] != "database" || ntField(v, "data_sources.0.id") != seed.DataSourceID || ntField(v, "data_sources.0.name") != "Tasks" ||
			ntField(v, "title.0.plain_text") != "Tasks" || ntField(v, "parent.page_id") != seed.HomePageID {
			t.Errorf("database = %v", v)
		}
	})
	t.Run("DataSourceHasTheSchema", func(t *testing.T) {
		_, v := ntDo(t, n, "GET", "/v1/data_sources/"+seed.DataSourceID, ntTok, "")
		if v["object"] != "data_source" || ntField(v, "parent.database_id") != seed.DatabaseID || ntField(v, "properties.Name.type") != "title" ||
			fmt.Sprint(ntEach(ntField(v, "properties.Status.status.options"), "name")) != "[Not started In progress Done]" ||
			fmt.Sprint(ntField(v, "properties.Status.status.groups.2.option_ids")) != "[s3Ft-2]" {
			t.Errorf("data source = %v", v)
		}
	})
	tests := []struct {
		name, body string
		want       []int // indexes into seed.TaskIDs
	}{
		{"NoFilterInCreationOrder", `{}`, []int{0, 1, 2}},
		{"StatusEquals", `{"filter":{"property":"Status","status":{"equals":"Done"}}}`, []int{2}},
		{"TitleContains", `{"filter":{"property":"Name","title":{"contains":"plan"}}}`, []int{1}},
		{"TitleAsRichText", `{"filter":{"property":"title","rich_text":{"starts_with":"Pay"}}}`, []int{2}},
		{"NumberAndTag", `{"filter":{"and":[{"property":"Points","number":{"greater_than":2}},{"property":"Tags","multi_select":{"contains":"work"}}]}}`, []int{0, 1}},
		{"OrDates", `{"filter":{"or":[{"property":"Due","date":{"before":"2024-02-15"}},{"property":"Due","date":{"is_empty":true}}]}}`, []int{0, 2}},
		{"CreatedAfter", `{"filter":{"timestamp":"created_time","created_time":{"after":"2000-01-01"}}}`, []int{0, 1, 2}},
		{"SortByPointsDescending", `{"sorts":[{"property":"Points","direction":"descending"}]}`, []int{1, 0, 2}},
		{"SortByDueEmptyLast", `{"sorts":[{"property":"Due","direction":"ascending"}]}`, []int{0, 1, 2}},
		{"SortByCreatedDescending", `{"sorts":[{"timestamp":"created_time","direction":"descending"}]}`, []int{2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, v := ntDo(t, n, "POST", "/v1/data_sources/"+seed.DataSourceID+"/query", ntTok, tt.body)
			var want []any
			for _, i := range tt.want {
				want = append(want, seed.TaskIDs[i])
			}
			if diff := cmp.Diff(want, ntEach(v["results"], "id")); status != 200 || diff != "" {
				t.Errorf("query = %d, ids (-want +got):\n%s", status, diff)
			}
		})
	}
	t.Run("PagesByCursor", func(t *testing.T) {
		_, v := ntDo(t, n, "POST", "/v1/data_sources/"+seed.DataSourceID+"/query", ntTok, `{"page_size":2}`)
		if v["has_more"] != true || v["next_cursor"] != seed.TaskIDs[2] {
			t.Errorf("first page = %v", v)
		}
	})
	for name, body := range map[string]string{
		"UnknownFilterProperty": `{"filter":{"property":"Owner","people":{"contains":"x"}}}`,
		"FilterTypeMismatch":    `{"filter":{"property":"Status","select":{"equals":"Done"}}}`,
		"UnknownCondition":      `{"filter":{"property":"Points","number":{"contains":1}}}`,
		"UnknownSortProperty":   `{"sorts":[{"property":"Owner","direction":"ascending"}]}`,
		"BadDirection":          `{"sorts":[{"property":"Points","direction":"up"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			status, v := ntDo(t, n, "POST", "/v1/data_sources/"+seed.DataSourceID+"/query", ntTok, body)
			ntWantError(t, status, v, 400, "validation_error", "")
		})
	}
	t.Run("UnknownDataSource", func(t *testing.T) {
		status, v := ntDo(t, n, "POST", "/v1/data_sources/"+seed.DatabaseID+"/query", ntTok, `{}`)
		ntWantError(t, status, v, 404, "object_not_found", "Could not find data_source with ID: "+seed.DatabaseID)
	})
}

func TestNotionFail(t *testing.T) {
	n, _ := newNotion(t)
	n.Fail("/v1/search", 429, http.Header{"Retry-After": {"7"}}, `{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited."}`, 1)
	req, _ := http.NewRequest("POST", n.URL()+"/v1/search", strings.NewReader(`{}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "7" {
		t.Errorf("injected failure = %d %v", res.StatusCode, res.Header)
	}
	if status, _ := ntDo(t, n, "POST", "/v1/search", ntTok, `{}`); status != 200 {
		t.Errorf("after the failure: %d, want 200", status)
	}
	n.Fail("/v1/users/me", 0, nil, "", 1)
	req, _ = http.NewRequest("GET", n.URL()+"/v1/users/me", nil)
	if res, err := (&http.Transport{}).RoundTrip(req); err == nil { // a fresh connection: no silent retry
		res.Body.Close()
		t.Error("dropped connection answered")
	}
}
