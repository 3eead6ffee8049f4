package fakeupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The fake workspace of these tests: alice and bob, a bot that is a member
// of #general and of its direct message with alice, #random without the
// bot, alice's private #secret and the archived #old.
var slackAllScopes = []string{"channels:read", "groups:read", "im:read", "mpim:read", "channels:history", "groups:history",
	"im:history", "mpim:history", "chat:write", "reactions:write", "users:read", "users:read.email", "search:read"}

func newSlackFake(tb testing.TB) *Slack {
	tb.Helper()
	s := NewSlack()
	tb.Cleanup(s.Close)
	s.AddUser(SlackUser{ID: "U0ALICE", Name: "alice", RealName: "Alice Liddell", Email: "alice@example.com"})
	s.AddUser(SlackUser{ID: "U0BOB", Name: "bob", RealName: "Bob Builder", Email: "bob@example.com"})
	s.AddUser(SlackUser{ID: "U0BOT", Name: "switchbot", RealName: "Switchbot", IsBot: true, BotID: "B0BOT"})
	s.AddChannel(SlackChannel{ID: "C0GENERAL", Name: "general", Members: []string{"U0ALICE", "U0BOB", "U0BOT"}})
	s.AddChannel(SlackChannel{ID: "C0RANDOM", Name: "random", Members: []string{"U0ALICE", "U0BOB"}})
	s.AddChannel(SlackChannel{ID: "G0SECRET", Name: "secret", Private: true, Members: []string{"U0ALICE"}})
	s.AddChannel(SlackChannel{ID: "C0OLD", Name: "old", Archived: true, Members: []string{"U0ALICE", "U0BOT"}})
	s.AddChannel(SlackChannel{ID: "D0ALICEBOT", Members: []string{"U0ALICE", "U0BOT"}})
	s.AddToken("xoxp-alice", "U0ALICE", slackAllScopes...)
	s.AddToken("xoxp-bob-bare", "U0BOB")
	s.AddToken("xoxb-bot", "U0BOT", slackAllScopes[:len(slackAllScopes)-1]...)
	return s
}

// slackDo calls method with token; a non-empty body is sent as POST with
// contentType, otherwise args go in the query of a GET.
func slackDo(tb testing.TB, s *Slack, method, token string, args url.Values, contentType, body string) map[string]any {
	tb.Helper()
	verb, target := http.MethodGet, s.URL()+"/"+method
	if len(args) > 0 {
		target += "?" + args.Encode()
	}
	if body != "" {
		verb = http.MethodPost
	}
	req, err := http.NewRequest(verb, target, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatalf("%s: body is not a JSON object: %q", method, data)
	}
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("%s: HTTP %d, want 200 (Slack reports errors in the body)", method, res.StatusCode)
	}
	return v
}

const slackJSON = "application/json; charset=utf-8"

// slackGet is slackDo for a GET with query arguments.
func slackGet(tb testing.TB, s *Slack, method, token string, kv ...string) map[string]any {
	tb.Helper()
	args := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		args.Set(kv[i], kv[i+1])
	}
	return slackDo(tb, s, method, token, args, "", "")
}

// wantSlackError fails unless v is {"ok": false, "error": code}.
func wantSlackError(tb testing.TB, v map[string]any, code string) {
	tb.Helper()
	if v["ok"] != false || v["error"] != code {
		tb.Errorf("answer = %v, want ok:false error:%s", v, code)
	}
}

func TestSlackAuth(t *testing.T) {
	s := newSlackFake(t)
	tests := []struct {
		name, token, field, want string
	}{
		{"UserTokenIsItsUser", "xoxp-alice", "user_id", "U0ALICE"},
		{"BotTokenNamesItsBot", "xoxb-bot", "bot_id", "B0BOT"},
		{"WorkspaceIsReported", "xoxp-alice", "team_id", SlackTeamID},
		{"UnknownTokenIsInvalidAuth", "xoxp-nope", "error", "invalid_auth"},
		{"NoTokenIsNotAuthed", "", "error", "not_authed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := slackDo(t, s, "auth.test", tt.token, nil, "", "")
			if v[tt.field] != tt.want || v["ok"] != (tt.field != "error") {
				t.Errorf("auth.test = %v, want %s=%s", v, tt.field, tt.want)
			}
		})
	}
	t.Run("TokenAsPostParameter", func(t *testing.T) {
		v := slackDo(t, s, "auth.test", "", nil, "application/x-www-form-urlencoded", "token=xoxp-alice")
		if v["user"] != "alice" {
			t.Errorf("auth.test = %v", v)
		}
	})
	t.Run("RevokedTokenIsInvalidAuth", func(t *testing.T) {
		s.AddToken("xoxp-alice-2", "U0ALICE")
		s.RevokeToken("xoxp-alice-2")
		wantSlackError(t, slackDo(t, s, "auth.test", "xoxp-alice-2", nil, "", ""), "invalid_auth")
	})
	t.Run("UnknownMethod", func(t *testing.T) {
		wantSlackError(t, slackGet(t, s, "chat.postMessages", "xoxp-alice"), "unknown_method")
	})
}

func TestSlackMissingScope(t *testing.T) {
	s := newSlackFake(t)
	v := slackDo(t, s, "chat.postMessage", "xoxp-bob-bare", nil, slackJSON, `{"channel":"C0GENERAL","text":"hi"}`)
	wantSlackError(t, v, "missing_scope")
	if v["needed"] != "chat:write" || v["provided"] != "" {
		t.Errorf("needed/provided = %v/%v", v["needed"], v["provided"])
	}
	t.Run("PerConversationType", func(t *testing.T) {
		s.AddToken("xoxp-alice-channels", "U0ALICE", "channels:read")
		wantSlackError(t, slackGet(t, s, "conversations.list", "xoxp-alice-channels", "types", "public_channel,im"), "missing_scope")
		if v := slackGet(t, s, "conversations.list", "xoxp-alice-channels"); v["ok"] != true {
			t.Errorf("public channels with channels:read = %v", v)
		}
	})
}

// ids returns the id of every object in v[key].
func ids(v map[string]any, key, field string) []string {
	var out []string
	list, _ := v[key].([]any)
	for _, item := range list {
		out = append(out, item.(map[string]any)[field].(string))
	}
	return out
}

func TestSlackConversationsList(t *testing.T) {
	s := newSlackFake(t)
	all := "public_channel,private_channel,mpim,im"
	tests := []struct {
		name  string
		token string
		args  []string
		want  []string
	}{
		{"DefaultIsPublicChannels", "xoxp-alice", nil, []string{"C0GENERAL", "C0RANDOM", "C0OLD"}},
		{"AllTypesForAMember", "xoxp-alice", []string{"types", all}, []string{"C0GENERAL", "C0RANDOM", "G0SECRET", "C0OLD", "D0ALICEBOT"}},
		{"PrivateOnlyToMembers", "xoxb-bot", []string{"types", all}, []string{"C0GENERAL", "C0RANDOM", "C0OLD", "D0ALICEBOT"}},
		{"ExcludeArchived", "xoxp-alice", []string{"exclude_archived", "true"}, []string{"C0GENERAL", "C0RANDOM"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := slackGet(t, s, "conversations.list", tt.token, tt.args...)
			if diff := cmp.Diff(tt.want, ids(v, "channels", "id")); diff != "" {
				t.Errorf("channels (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("CursorPagesThroughAll", func(t *testing.T) {
		var got []string
		cursor := ""
		for range 10 {
			v := slackGet(t, s, "conversations.list", "xoxp-alice", "types", all, "limit", "2", "cursor", cursor)
			got = append(got, ids(v, "channels", "id")...)
			cursor = v["response_metadata"].(map[string]any)["next_cursor"].(string)
			if cursor == "" {
				break
			}
		}
		if len(got) != 5 {
			t.Errorf("paged through %v, want 5 conversations", got)
		}
	})
	t.Run("InvalidCursor", func(t *testing.T) {
		wantSlackError(t, slackGet(t, s, "conversations.list", "xoxp-alice", "cursor", "bm9wZQ=="), "invalid_cursor")
	})
	t.Run("DirectMessageNamesTheOtherUser", func(t *testing.T) {
		v := slackGet(t, s, "conversations.list", "xoxb-bot", "types", "im")
		if ch := v["channels"].([]any)[0].(map[string]any); ch["user"] != "U0ALICE" || ch["is_im"] != true {
			t.Errorf("im = %v", ch)
		}
	})
}

func TestSlackMessages(t *testing.T) {
	s := newSlackFake(t)
	parent := s.AddMessage("C0GENERAL", "U0ALICE", "Deploy at noon?", "")
	s.AddMessage("C0GENERAL", "U0BOB", "Yes", parent)
	later := s.AddMessage("C0GENERAL", "U0BOB", "Lunch?", "")

	post := slackDo(t, s, "chat.postMessage", "xoxb-bot", nil, slackJSON, `{"channel":"general","text":"Shipped","thread_ts":"`+parent+`","reply_broadcast":true}`)
	if post["ok"] != true || post["channel"] != "C0GENERAL" || post["message"].(map[string]any)["bot_id"] != "B0BOT" {
		t.Fatalf("chat.postMessage = %v", post)
	}
	t.Run("HistoryNewestFirstWithoutReplies", func(t *testing.T) {
		v := slackGet(t, s, "conversations.history", "xoxb-bot", "channel", "C0GENERAL")
		want := []string{post["ts"].(string), later, parent} // the broadcast reply shows
		if diff := cmp.Diff(want, ids(v, "messages", "ts")); diff != "" || v["has_more"] != false {
			t.Errorf("history (-want +got):\n%s%v", diff, v)
		}
		if p := v["messages"].([]any)[2].(map[string]any); p["reply_count"] != float64(2) || p["thread_ts"] != parent {
			t.Errorf("parent = %v", p)
		}
	})
	t.Run("HistoryTimeRangeAndCursor", func(t *testing.T) {
		v := slackGet(t, s, "conversations.history", "xoxb-bot", "channel", "C0GENERAL", "oldest", parent, "limit", "1")
		if got := ids(v, "messages", "ts"); len(got) != 1 || got[0] != post["ts"] || v["has_more"] != true {
			t.Fatalf("first page = %v", v)
		}
		next := v["response_metadata"].(map[string]any)["next_cursor"].(string)
		v = slackGet(t, s, "conversations.history", "xoxb-bot", "channel", "C0GENERAL", "oldest", parent, "limit", "1", "cursor", next)
		if got := ids(v, "messages", "ts"); len(got) != 1 || got[0] != later || v["has_more"] != false {
			t.Errorf("second page = %v", v)
		}
	})
	t.Run("RepliesParentFirst", func(t *testing.T) {
		v := slackGet(t, s, "conversations.replies", "xoxp-alice", "channel", "C0GENERAL", "ts", parent)
		if got := ids(v, "messages", "text"); !cmp.Equal(got, []string{"Deploy at noon?", "Yes", "Shipped"}) {
			t.Errorf("replies = %v", got)
		}
	})
	errs := []struct {
		name, method, token, body, code string
	}{
		{"BotOutsideChannel", "chat.postMessage", "xoxb-bot", `{"channel":"C0RANDOM","text":"hi"}`, "not_in_channel"},
		{"ArchivedChannel", "chat.postMessage", "xoxp-alice", `{"channel":"C0OLD","text":"hi"}`, "is_archived"},
		{"NoText", "chat.postMessage", "xoxp-alice", `{"channel":"C0GENERAL"}`, "no_text"},
		{"UnknownChannel", "chat.postMessage", "xoxp-alice", `{"channel":"C0NOPE","text":"hi"}`, "channel_not_found"},
		{"PrivateToOthers", "conversations.history", "xoxb-bot", `{"channel":"G0SECRET"}`, "channel_not_found"},
		{"BotHistoryOutsideChannel", "conversations.history", "xoxb-bot", `{"channel":"C0RANDOM"}`, "not_in_channel"},
		{"UnknownThread", "conversations.replies", "xoxp-alice", `{"channel":"C0GENERAL","ts":"1.000001"}`, "thread_not_found"},
		{"NotJSON", "chat.postMessage", "xoxp-alice", `{"channel":`, "invalid_json"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			wantSlackError(t, slackDo(t, s, tt.method, tt.token, nil, slackJSON, tt.body), tt.code)
		})
	}
	t.Run("JSONWithoutCharsetWarns", func(t *testing.T) {
		v := slackDo(t, s, "chat.postMessage", "xoxp-alice", nil, "application/json", `{"channel":"C0RANDOM","text":"hi"}`)
		if v["ok"] != true || v["warning"] != "missing_charset" {
			t.Errorf("answer = %v", v)
		}
	})
	t.Run("FormBodyAndUserIDPostsTheDirectMessage", func(t *testing.T) {
		v := slackDo(t, s, "chat.postMessage", "xoxb-bot", nil, "application/x-www-form-urlencoded", "channel=U0ALICE&text=hello")
		if v["ok"] != true || v["channel"] != "D0ALICEBOT" || v["warning"] != nil {
			t.Errorf("answer = %v", v)
		}
	})
}

func TestSlackSearch(t *testing.T) {
	s := newSlackFake(t)
	s.AddMessage("C0GENERAL", "U0ALICE", "Deploy at noon", "")
	s.AddMessage("G0SECRET", "U0ALICE", "secret deploy plan", "")
	newest := s.AddMessage("C0RANDOM", "U0BOB", "deploy done", "")
	v := slackGet(t, s, "search.messages", "xoxp-alice", "query", "DEPLOY", "count", "2")
	msgs := v["messages"].(map[string]any)
	if got := ids(msgs, "matches", "ts"); len(got) != 2 || got[0] != newest || msgs["total"] != float64(3) {
		t.Errorf("search = %v", v)
	}
	m := msgs["matches"].([]any)[0].(map[string]any)
	want := map[string]any{"id": "C0RANDOM", "name": "random", "is_private": false, "is_mpim": false}
	if diff := cmp.Diff(want, m["channel"]); diff != "" || m["username"] != "bob" || !strings.HasPrefix(m["permalink"].(string), SlackTeamURL+"archives/C0RANDOM/p") {
		t.Errorf("match (-want +got):\n%s%v", diff, m)
	}
	if p := msgs["paging"].(map[string]any); p["pages"] != float64(2) || p["page"] != float64(1) {
		t.Errorf("paging = %v", p)
	}
	t.Run("PrivateOnlyToMembers", func(t *testing.T) {
		s.AddToken("xoxp-bob", "U0BOB", "search:read")
		if v := slackGet(t, s, "search.messages", "xoxp-bob", "query", "deploy"); v["messages"].(map[string]any)["total"] != float64(2) {
			t.Errorf("bob's search = %v", v)
		}
	})
	t.Run("BotTokenRefused", func(t *testing.T) {
		s.AddToken("xoxb-bot-search", "U0BOT", "search:read")
		wantSlackError(t, slackGet(t, s, "search.messages", "xoxb-bot-search", "query", "deploy"), "not_allowed_token_type")
	})
	t.Run("NoQuery", func(t *testing.T) {
		wantSlackError(t, slackGet(t, s, "search.messages", "xoxp-alice"), "no_query")
	})
}

func TestSlackUsers(t *testing.T) {
	s := newSlackFake(t)
	s.AddToken("xoxp-alice-users", "U0ALICE", "users:read")
	tests := []struct {
		name, method, token string
		args                []string
		email               any // user.profile.email, nil when absent
		code                string
	}{
		{"InfoWithEmailScope", "users.info", "xoxp-alice", []string{"user", "U0BOB"}, "bob@example.com", ""},
		{"InfoWithoutEmailScope", "users.info", "xoxp-alice-users", []string{"user", "U0BOB"}, nil, ""},
		{"InfoUnknownUser", "users.info", "xoxp-alice", []string{"user", "U0NOPE"}, nil, "user_not_found"},
		{"LookupByEmail", "users.lookupByEmail", "xoxp-alice", []string{"email", "Bob@Example.com"}, "bob@example.com", ""},
		{"LookupUnknownEmail", "users.lookupByEmail", "xoxp-alice", []string{"email", "carol@example.com"}, nil, "users_not_found"},
		{"LookupNeedsEmailScope", "users.lookupByEmail", "xoxp-alice-users", []string{"email", "bob@example.com"}, nil, "missing_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := slackGet(t, s, tt.method, tt.token, tt.args...)
			if tt.code != "" {
				wantSlackError(t, v, tt.code)
				return
			}
			u := v["user"].(map[string]any)
			if u["id"] != "U0BOB" || u["real_name"] != "Bob Builder" || u["profile"].(map[string]any)["email"] != tt.email {
				t.Errorf("user = %v", u)
			}
		})
	}
}

func TestSlackReactions(t *testing.T) {
	s := newSlackFake(t)
	ts := s.AddMessage("C0GENERAL", "U0ALICE", "Shipped", "")
	react := func(token, body string) map[string]any {
		return slackDo(t, s, "reactions.add", token, nil, slackJSON, body)
	}
	if v := react("xoxb-bot", `{"channel":"C0GENERAL","timestamp":"`+ts+`","name":"tada"}`); v["ok"] != true {
		t.Fatalf("reactions.add = %v", v)
	}
	react("xoxp-alice", `{"channel":"C0GENERAL","timestamp":"`+ts+`","name":"tada"}`)
	v := slackGet(t, s, "conversations.history", "xoxp-alice", "channel", "C0GENERAL")
	want := []any{map[string]any{"name": "tada", "users": []any{"U0BOT", "U0ALICE"}, "count": float64(2)}}
	if diff := cmp.Diff(want, v["messages"].([]any)[0].(map[string]any)["reactions"]); diff != "" {
		t.Errorf("reactions (-want +got):\n%s", diff)
	}
	tests := []struct{ name, body, code string }{
		{"AlreadyReacted", `{"channel":"C0GENERAL","timestamp":"` + ts + `","name":"tada"}`, "already_reacted"},
		{"ColonsAreInvalid", `{"channel":"C0GENERAL","timestamp":"` + ts + `","name":":tada:"}`, "invalid_name"},
		{"UnknownMessage", `{"channel":"C0GENERAL","timestamp":"1.000001","name":"eyes"}`, "message_not_found"},
		{"UnknownChannel", `{"channel":"C0NOPE","timestamp":"` + ts + `","name":"eyes"}`, "channel_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantSlackError(t, react("xoxb-bot", tt.body), tt.code) })
	}
}

func TestSlackRecordsAndFails(t *testing.T) {
	s := newSlackFake(t)
	s.Fail("/api/auth.test", http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}}, SlackRateLimited, 1)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/auth.test", nil)
	req.Header.Set("Authorization", "Bearer xoxp-alice")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "30" {
		t.Errorf("injected failure = %d %v", res.StatusCode, res.Header)
	}
	if v := slackDo(t, s, "auth.test", "xoxp-alice", nil, "", ""); v["ok"] != true {
		t.Errorf("after the failure: %v", v)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/api/auth.test" || reqs[0].Token != "xoxp-alice" {
		t.Errorf("requests = %+v", reqs)
	}
	s.Reset()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("after Reset: %d requests", n)
	}
}

func TestSlackConcurrentUse(t *testing.T) {
	s := newSlackFake(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/chat.postMessage", strings.NewReader(`{"channel":"C0RANDOM","text":"hi"}`))
			req.Header.Set("Authorization", "Bearer xoxp-alice")
			req.Header.Set("Content-Type", slackJSON)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
		})
	}
	wg.Wait()
	if v := slackGet(t, s, "conversations.history", "xoxp-alice", "channel", "C0RANDOM"); len(v["messages"].([]any)) != 8 {
		t.Errorf("history holds %d messages, want 8", len(v["messages"].([]any)))
	}
}
