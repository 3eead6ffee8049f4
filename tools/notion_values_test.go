package tools_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The answers below are Notion's documented shapes with every block and
// property type the transforms read; the fake serves them in place of its
// own seed, so each test still pins the request the tool makes.

// notionBlocksAnswer holds text runs with page and user mentions, a checked
// to-do, code, a table row, a bookmark, an image, a sub-page, an equation,
// a link to a page and a divider.
const notionBlocksAnswer = `{"object":"list","type":"block","block":{},"next_cursor":null,"has_more":false,"results":[
 {"object":"block","id":"b-1","type":"paragraph","has_children":false,"paragraph":{"color":"default","rich_text":[
   {"type":"text","text":{"content":"See ","link":null},"plain_text":"See ","href":null},
   {"type":"mention","mention":{"type":"page","page":{"id":"p-1"}},"plain_text":"Roadmap","href":"https://www.notion.so/p1"},
   {"type":"text","text":{"content":" and ask ","link":null},"plain_text":" and ask ","href":null},
   {"type":"mention","mention":{"type":"user","user":{"object":"user","id":"u-1"}},"plain_text":"@Ada","href":null}]}},
 {"object":"block","id":"b-2","type":"to_do","has_children":false,"to_do":{"rich_text":[{"plain_text":"Ship"}],"checked":true,"color":"default"}},
 {"object":"block","id":"b-3","type":"code","has_children":false,"code":{"rich_text":[{"plain_text":"fmt.Println(1)"}],"language":"go","caption":[]}},
 {"object":"block","id":"b-4","type":"table_row","has_children":false,"table_row":{"cells":[[{"plain_text":"a"}],[{"plain_text":"b"},{"plain_text":"c"}]]}},
 {"object":"block","id":"b-5","type":"bookmark","has_children":false,"bookmark":{"url":"https://example.com","caption":[{"plain_text":"Example"}]}},
 {"object":"block","id":"b-6","type":"image","has_children":false,"image":{"type":"external","external":{"url":"https://example.com/a.png"},"caption":[]}},
 {"object":"block","id":"b-7","type":"child_page","has_children":true,"child_page":{"title":"Notes"}},
 {"object":"block","id":"b-8","type":"equation","has_children":false,"equation":{"expression":"e=mc^2"}},
 {"object":"block","id":"b-9","type":"link_to_page","has_children":false,"link_to_page":{"type":"page_id","page_id":"p-2"}},
 {"object":"block","id":"b-10","type":"divider","has_children":false,"divider":{}}]}`

// notionPageAnswer holds a property of every readable type.
const notionPageAnswer = `{"object":"page","id":"p-0","created_time":"2024-01-02T03:16:00.000Z","last_edited_time":"2024-01-02T03:20:00.000Z",
 "created_by":{"object":"user","id":"u-1"},"last_edited_by":{"object":"user","id":"u-2"},"cover":null,"icon":{"type":"emoji","emoji":"🚀"},
 "parent":{"type":"data_source_id","data_source_id":"ds-1","database_id":"db-1"},"archived":false,"in_trash":false,
 "url":"https://www.notion.so/Launch-v2-p0","public_url":null,"properties":{
 "Name":{"id":"title","type":"title","title":[{"plain_text":"Launch "},{"plain_text":"v2"}]},
 "Notes":{"id":"n","type":"rich_text","rich_text":[{"plain_text":"Ask "},{"plain_text":"Bob"}]},
 "Status":{"id":"s","type":"status","status":{"id":"1","name":"Done","color":"green"}},
 "Priority":{"id":"p","type":"select","select":null},
 "Tags":{"id":"t","type":"multi_select","multi_select":[{"id":"a","name":"web","color":"red"},{"id":"b","name":"ios","color":"blue"}]},
 "When":{"id":"w","type":"date","date":{"start":"2024-05-01T09:00:00.000+02:00","end":"2024-05-01T10:00:00.000+02:00","time_zone":null}},
 "Points":{"id":"x","type":"number","number":8},
 "Done":{"id":"d","type":"checkbox","checkbox":true},
 "Owner":{"id":"o","type":"people","people":[{"object":"user","id":"u-1","name":"Ada","type":"person","person":{"email":"ada@example.com"}},{"object":"user","id":"u-2"}]},
 "Blocked by":{"id":"r","type":"relation","relation":[{"id":"p-9"}],"has_more":false},
 "Link":{"id":"l","type":"url","url":"https://example.com"},
 "Email":{"id":"e","type":"email","email":"ada@example.com"},
 "Phone":{"id":"ph","type":"phone_number","phone_number":"+49 30 1234"},
 "Score":{"id":"f","type":"formula","formula":{"type":"number","number":42}},
 "Total":{"id":"ro","type":"rollup","rollup":{"type":"array","array":[{"type":"number","number":1},{"type":"number","number":2}],"function":"show_original"}},
 "Files":{"id":"fi","type":"files","files":[{"name":"spec.pdf","type":"external","external":{"url":"https://example.com/spec.pdf"}}]},
 "Key":{"id":"u","type":"unique_id","unique_id":{"prefix":"TASK","number":12}},
 "Created":{"id":"c","type":"created_time","created_time":"2024-01-02T03:16:00.000Z"}}}`

func TestNotionReadableValues(t *testing.T) {
	tests := []struct {
		name, tool string
		args       string
		path       string // the request's, and where the answer is served
		query      string // the request's query
		answer     string
		structured string
		text       string
	}{{
		name: "BlocksAsTypeAndText", tool: "NOTION_GET_BLOCK_CHILDREN", args: `{"block_id":"<home>"}`,
		query: "page_size=50", // Notion's default page is 100, more than a result shows
		path:  "/v1/blocks/<home>/children", answer: notionBlocksAnswer,
		structured: `{"count":10,"blocks":[
			{"id":"b-1","type":"paragraph","has_children":false,"text":"See Roadmap and ask @Ada",
			 "mentions":[{"type":"page","id":"p-1"},{"type":"user","id":"u-1"}]},
			{"id":"b-2","type":"to_do","has_children":false,"text":"Ship","checked":true},
			{"id":"b-3","type":"code","has_children":false,"text":"fmt.Println(1)","language":"go"},
			{"id":"b-4","type":"table_row","has_children":false,"text":"a | bc","cells":["a","bc"]},
			{"id":"b-5","type":"bookmark","has_children":false,"text":"Example","url":"https://example.com"},
			{"id":"b-6","type":"image","has_children":false,"text":"","url":"https://example.com/a.png"},
			{"id":"b-7","type":"child_page","has_children":true,"text":"Notes"},
			{"id":"b-8","type":"equation","has_children":false,"text":"e=mc^2"},
			{"id":"b-9","type":"link_to_page","has_children":false,"text":"","link_to":"p-2"},
			{"id":"b-10","type":"divider","has_children":false,"text":""}]}`,
		text: "blocks: 10 items:\n- paragraph b-1: See Roadmap and ask @Ada\n- to_do b-2: [x] Ship\n- code b-3: fmt.Println(1)\n" +
			"- table_row b-4: a | bc\n- bookmark b-5: Example\n- image b-6:\n- child_page b-7: Notes\n- equation b-8: e=mc^2\n" +
			"- link_to_page b-9:\n- divider b-10:",
	}, {
		name: "PagePropertiesFlattened", tool: "NOTION_GET_PAGE", args: `{"page_id":"<t0>"}`,
		path: "/v1/pages/<t0>", answer: notionPageAnswer,
		structured: `{"id":"p-0","title":"Launch v2","url":"https://www.notion.so/Launch-v2-p0",
			"parent":{"type":"data_source_id","data_source_id":"ds-1","database_id":"db-1"},
			"created_time":"2024-01-02T03:16:00.000Z","last_edited_time":"2024-01-02T03:20:00.000Z",
			"created_by":{"id":"u-1"},"last_edited_by":{"id":"u-2"},"in_trash":false,"icon":{"type":"emoji","emoji":"🚀"},
			"properties":{"Name":"Launch v2","Notes":"Ask Bob","Status":"Done","Priority":null,"Tags":["web","ios"],
				"When":{"start":"2024-05-01T09:00:00.000+02:00","end":"2024-05-01T10:00:00.000+02:00"},"Points":8,"Done":true,
				"Owner":[{"id":"u-1","name":"Ada"},{"id":"u-2"}],"Blocked by":["p-9"],"Link":"https://example.com",
				"Email":"ada@example.com","Phone":"+49 30 1234","Score":42,"Total":[1,2],
				"Files":[{"name":"spec.pdf","url":"https://example.com/spec.pdf"}],"Key":"TASK-12","Created":"2024-01-02T03:16:00.000Z"}}`,
		text: "Page Launch v2 https://www.notion.so/Launch-v2-p0 (id p-0), last edited 2024-01-02T03:20:00.000Z. Properties: " +
			"Blocked by: p-9; Created: 2024-01-02T03:16:00.000Z; Done: true; Email: ada@example.com; Files: spec.pdf; Key: TASK-12; " +
			"Link: https://example.com; Name: Launch v2; Notes: Ask Bob; Owner: Ada, u-2; Phone: +49 30 1234; Points: 8; Priority: (empty); " +
			"Score: 42; Status: Done; Tags: web, ios; Total: 1, 2; When: 2024-05-01T09:00:00.000+02:00 → 2024-05-01T10:00:00.000+02:00",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newNotionHarness(t)
			h.fake.Fail(h.expand(tt.path), 200, http.Header{"Content-Type": {"application/json"}}, tt.answer, 1)
			var args map[string]any
			if err := json.Unmarshal([]byte(h.expand(tt.args)), &args); err != nil {
				t.Fatal(err)
			}
			res, err := h.call(t, notionWorkToken, tt.tool, args)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.fake)
			got := []string{r.Method, r.EscapedPath, r.RawQuery, r.Body, r.Header.Get("Notion-Version"), r.Header.Get("Authorization")}
			want := []string{"GET", h.expand(tt.path), tt.query, "", "2025-09-03", "Bearer " + notionWorkToken}
			assertDiff(t, "request", want, got)
			assertResult(t, res, tt.structured, tt.text)
		})
	}
}
