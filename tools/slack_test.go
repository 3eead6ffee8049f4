package tools_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// The Slack credentials of these tests; every output is searched for them.
const (
	slackUserToken = "xoxp-SlackUserSecret-0123456789"
	slackBotToken  = "xoxb-SlackBotSecret-0123456789"
	slackBareToken = "xoxp-SlackBareSecret-0123456789" // no scopes at all
)

// The messages every Slack harness starts with, in #general: the fake's
// clock makes their ts deterministic, and the next post gets slackTS4.
const (
	slackTS1 = "1704164705.000100" // alice: Deploy at noon?
	slackTS2 = "1704164765.000200" // bob, in the thread of slackTS1: Yes, after lunch
	slackTS3 = "1704164825.000300" // bob: Lunch?
	slackTS4 = "1704164885.000400"
)

type slackHarness struct {
	toolRunner
	fake            *fakeupstream.Slack
	user, bot, bare tools.Authorizer
}

// newSlackHarness starts a fake workspace: alice (user token, every scope
// including search:read), a bot in #general and in its direct message with
// alice, #random without the bot, alice's private #secret and the archived
// #old.
func newSlackHarness(tb testing.TB) *slackHarness {
	tb.Helper()
	f := fakeupstream.NewSlack()
	tb.Cleanup(f.Close)
	f.AddUser(fakeupstream.SlackUser{ID: "U0ALICE", Name: "alice", RealName: "Alice Liddell", Email: "alice@example.com"})
	f.AddUser(fakeupstream.SlackUser{ID: "U0BOB", Name: "bob", RealName: "Bob Builder", Email: "bob@example.com"})
	f.AddUser(fakeupstream.SlackUser{ID: "U0BOT", Name: "switchbot", RealName: "Switchbot", IsBot: true, BotID: "B0BOT"})
	f.AddChannel(fakeupstream.SlackChannel{ID: "C0GENERAL", Name: "general", Members: []string{"U0ALICE", "U0BOB", "U0BOT"}})
	f.AddChannel(fakeupstream.SlackChannel{ID: "C0RANDOM", Name: "random", Members: []string{"U0ALICE", "U0BOB"}})
	f.AddChannel(fakeupstream.SlackChannel{ID: "G0SECRET", Name: "secret", Private: true, Members: []string{"U0ALICE"}})
	f.AddChannel(fakeupstream.SlackChannel{ID: "C0OLD", Name: "old", Archived: true, Members: []string{"U0ALICE", "U0BOT"}})
	f.AddChannel(fakeupstream.SlackChannel{ID: "D0ALICEBOT", Members: []string{"U0ALICE", "U0BOT"}})
	cat := builtin(tb)
	kit := cat.Toolkit("slack")
	if kit == nil {
		tb.Fatal(`Toolkit("slack") = nil`)
	}
	var scopes []string
	if oauth := kit.Scheme(tools.SchemeOAuth2); oauth != nil {
		scopes = oauth.Scopes // the bot scopes the app asks for
	}
	f.AddToken(slackUserToken, "U0ALICE", slices.Concat(scopes, []string{"search:read"})...)
	f.AddToken(slackBotToken, "U0BOT", scopes...)
	f.AddToken(slackBareToken, "U0BOB")
	for i, want := range []string{
		f.AddMessage("C0GENERAL", "U0ALICE", "Deploy at noon?", ""),
		f.AddMessage("C0GENERAL", "U0BOB", "Yes, after lunch", slackTS1),
		f.AddMessage("C0GENERAL", "U0BOB", "Lunch?", ""),
	} {
		if got := []string{slackTS1, slackTS2, slackTS3}[i]; got != want {
			tb.Fatalf("message %d has ts %s, want %s", i+1, want, got)
		}
	}
	opts := tools.ExecutorOptions{UserAgent: "switchboard-test"}
	token := kit.Scheme(tools.SchemeBearerToken)
	return &slackHarness{toolRunner: newToolRunner(cat, opts, "slack", f.URL()), fake: f,
		user: token.Authorizer(slackUserToken), bot: token.Authorizer(slackBotToken), bare: token.Authorizer(slackBareToken)}
}

// call runs tool as auth and checks that no Slack token appears in what it
// returns.
func (h *slackHarness) call(tb testing.TB, tool string, args map[string]any, auth tools.Authorizer) (*tools.Result, error) {
	tb.Helper()
	return h.run(tb, tool, args, auth, slackUserToken, slackBotToken, slackBareToken)
}

const slackPermalink = "https://switchboard-test.slack.com/archives/C0GENERAL/p"

func TestCallSlackTools(t *testing.T) {
	tests := []struct {
		tool       string
		args       map[string]any
		bot        bool // act with the bot token instead of alice's user token
		method     string
		path       string
		query      string
		body       string // JSON, "" for none
		structured string // JSON
		text       string
	}{{
		tool:   "SLACK_LIST_CONVERSATIONS",
		args:   map[string]any{"types": []any{"public_channel", "private_channel"}, "exclude_archived": true, "limit": 2},
		method: "GET", path: "/api/conversations.list", query: "exclude_archived=true&limit=2&types=public_channel%2Cprivate_channel",
		structured: `{"count":2,"next_cursor":"bmV4dDoy","channels":[
			{"id":"C0GENERAL","name":"general","is_private":false,"is_im":false,"is_mpim":false,"is_archived":false,"is_member":true,
			 "num_members":3,"topic":{"value":""},"purpose":{"value":"About #general"}},
			{"id":"C0RANDOM","name":"random","is_private":false,"is_im":false,"is_mpim":false,"is_archived":false,"is_member":true,
			 "num_members":2,"topic":{"value":""},"purpose":{"value":"About #random"}}]}`,
		text: "channels: 2 items:\n- C0GENERAL general (private: false, archived: false, member: true)\n" +
			"- C0RANDOM random (private: false, archived: false, member: true)\n" +
			`More exist: call again with cursor="bmV4dDoy" for the next page.`,
	}, {
		tool: "SLACK_POST_MESSAGE", args: map[string]any{"channel": "C0GENERAL", "text": "Deployed *v2*"}, bot: true,
		method: "POST", path: "/api/chat.postMessage", body: `{"channel":"C0GENERAL","text":"Deployed *v2*"}`,
		structured: `{"channel":"C0GENERAL","ts":"` + slackTS4 + `","message":{"text":"Deployed *v2*","user":"U0BOT","bot_id":"B0BOT"}}`,
		text:       "Posted to C0GENERAL; the message's ts is " + slackTS4 + " (use it as thread_ts to reply in its thread).",
	}, {
		tool:   "SLACK_REPLY_IN_THREAD",
		args:   map[string]any{"channel": "C0GENERAL", "thread_ts": slackTS1, "text": "Done", "reply_broadcast": true},
		method: "POST", path: "/api/chat.postMessage",
		body:       `{"channel":"C0GENERAL","thread_ts":"` + slackTS1 + `","text":"Done","reply_broadcast":true}`,
		structured: `{"channel":"C0GENERAL","ts":"` + slackTS4 + `","message":{"text":"Done","thread_ts":"` + slackTS1 + `","user":"U0ALICE"}}`,
		text:       "Replied in thread " + slackTS1 + " of C0GENERAL; the reply's ts is " + slackTS4 + ".",
	}, {
		tool: "SLACK_GET_CHANNEL_HISTORY", args: map[string]any{"channel": "C0GENERAL", "limit": 1, "oldest": "1704164645"}, bot: true,
		method: "GET", path: "/api/conversations.history", query: "channel=C0GENERAL&limit=1&oldest=1704164645",
		structured: `{"count":1,"next_cursor":"bmV4dDox","messages":[{"ts":"` + slackTS3 + `","user":"U0BOB","text":"Lunch?"}]}`,
		text:       "messages: 1 item:\n- " + slackTS3 + " U0BOB: Lunch?\n" + `More exist: call again with cursor="bmV4dDox" for the next page.`,
	}, {
		tool: "SLACK_GET_THREAD_REPLIES", args: map[string]any{"channel": "C0GENERAL", "ts": slackTS1},
		method: "GET", path: "/api/conversations.replies", query: "channel=C0GENERAL&limit=50&ts=" + slackTS1,
		structured: `{"count":2,"messages":[
			{"ts":"` + slackTS1 + `","user":"U0ALICE","text":"Deploy at noon?","thread_ts":"` + slackTS1 + `","reply_count":1},
			{"ts":"` + slackTS2 + `","user":"U0BOB","text":"Yes, after lunch","thread_ts":"` + slackTS1 + `"}]}`,
		text: "messages: 2 items:\n- " + slackTS1 + " U0ALICE: Deploy at noon?\n- " + slackTS2 + " U0BOB: Yes, after lunch",
	}, {
		tool:   "SLACK_SEARCH_MESSAGES",
		args:   map[string]any{"query": "lunch", "count": 1, "sort": "timestamp", "sort_dir": "desc"},
		method: "GET", path: "/api/search.messages", query: "count=1&query=lunch&sort=timestamp&sort_dir=desc",
		structured: `{"count":1,"page":1,"next_page":2,"matches":[{"ts":"` + slackTS3 + `","channel":{"id":"C0GENERAL","name":"general"},
			"user":"U0BOB","username":"bob","text":"Lunch?","permalink":"` + slackPermalink + `1704164825000300"}]}`,
		text: "matches: 1 item on page 1:\n- #general " + slackTS3 + " bob: Lunch? " + slackPermalink + "1704164825000300\n" +
			"More may exist: call again with page=2 (count=1).",
	}, {
		tool: "SLACK_GET_USER", args: map[string]any{"user": "U0BOB"},
		method: "GET", path: "/api/users.info", query: "user=U0BOB",
		structured: `{"user":{"id":"U0BOB","team_id":"T0SWITCH1","name":"bob","real_name":"Bob Builder","tz":"Europe/Berlin",
			"is_bot":false,"is_admin":false,"deleted":false,
			"profile":{"display_name":"bob","title":"","email":"bob@example.com","status_text":""}}}`,
		text: "Bob Builder (@bob, id U0BOB) bob@example.com",
	}, {
		tool: "SLACK_FIND_USER_BY_EMAIL", args: map[string]any{"email": "alice@example.com"}, bot: true,
		method: "GET", path: "/api/users.lookupByEmail", query: "email=alice%40example.com",
		structured: `{"user":{"id":"U0ALICE","team_id":"T0SWITCH1","name":"alice","real_name":"Alice Liddell","tz":"Europe/Berlin",
			"is_bot":false,"is_admin":false,"deleted":false,
			"profile":{"display_name":"alice","title":"","email":"alice@example.com","status_text":""}}}`,
		text: "Alice Liddell (@alice, id U0ALICE) alice@example.com",
	}, {
		tool: "SLACK_ADD_REACTION", args: map[string]any{"channel": "C0GENERAL", "timestamp": slackTS1, "name": "white_check_mark"}, bot: true,
		method: "POST", path: "/api/reactions.add", body: `{"channel":"C0GENERAL","timestamp":"` + slackTS1 + `","name":"white_check_mark"}`,
		structured: `{"ok":true}`,
		text:       "Reaction added.",
	}}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			h := newSlackHarness(t)
			auth, token := h.user, slackUserToken
			if tt.bot {
				auth, token = h.bot, slackBotToken
			}
			res, err := h.call(t, tt.tool, tt.args, auth)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.fake)
			got := []string{r.Method, r.Path, r.RawQuery, r.Header.Get("Authorization"), r.Header.Get("User-Agent")}
			want := []string{tt.method, tt.path, tt.query, "Bearer " + token, "switchboard-test"}
			assertDiff(t, "request", want, got)
			assertJSONBody(t, r, tt.body)
			assertResult(t, res, tt.structured, tt.text)
		})
	}
}

// TestSlackCursorPaging follows next_cursor as the text tells an agent to.
func TestSlackCursorPaging(t *testing.T) {
	h := newSlackHarness(t)
	var ids []any
	cursor := ""
	for page := 1; page <= 5; page++ {
		args := map[string]any{"types": []any{"public_channel", "private_channel", "im"}, "limit": 2}
		if cursor != "" {
			args["cursor"] = cursor
		}
		res, err := h.call(t, "SLACK_LIST_CONVERSATIONS", args, h.user)
		if err != nil {
			t.Fatal(err)
		}
		if q := h.fake.Requests()[page-1].RawQuery; cursor != "" && !strings.Contains(q, "cursor="+cursor) {
			t.Errorf("page %d query %q lacks the cursor", page, q)
		}
		for _, ch := range res.Structured["channels"].([]any) {
			ids = append(ids, ch.(map[string]any)["id"])
		}
		cursor, _ = res.Structured["next_cursor"].(string)
		if cursor == "" {
			if strings.Contains(res.Text, "cursor=") {
				t.Errorf("last page text %q offers a cursor", res.Text)
			}
			break
		}
		if !strings.Contains(res.Text, `call again with cursor="`+cursor+`"`) {
			t.Errorf("page %d text %q does not name the cursor", page, res.Text)
		}
	}
	assertDiff(t, "conversations over all pages", []any{"C0GENERAL", "C0RANDOM", "G0SECRET", "C0OLD", "D0ALICEBOT"}, ids)
}

func TestSlackIdentify(t *testing.T) {
	h := newSlackHarness(t)
	tests := []struct {
		name string
		auth tools.Authorizer
		want tools.Identity
	}{
		{"UserToken", h.user, tools.Identity{ID: "U0ALICE", Label: "alice"}},
		{"BotToken", h.bot, tools.Identity{ID: "U0BOT", Label: "switchbot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.fake.Reset()
			who, err := h.exec.Identify(context.Background(), "slack", tt.auth)
			if err != nil || who != tt.want {
				t.Fatalf("Identify = %+v, %v; want %+v", who, err, tt.want)
			}
			r := h.fake.Requests()[0]
			if r.Method != "POST" || r.Path != "/api/auth.test" || r.Body != "" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer xox") {
				t.Errorf("request = %s %s %q %q", r.Method, r.Path, r.Body, r.Header.Get("Authorization"))
			}
		})
	}
	// Slack rejects a token with HTTP 200 and invalid_auth, which the
	// toolkit's error codes mark as unauthorized: the account expires.
	t.Run("RevokedTokenIsUnauthorized", func(t *testing.T) {
		h.fake.RevokeToken(slackBareToken)
		_, err := h.exec.Identify(context.Background(), "slack", h.bare)
		var e *tools.Error
		if !errors.As(err, &e) || e.Code != tools.CodeUpstreamError || !tools.IsUnauthorized(err) || e.Status != 200 ||
			!strings.Contains(e.Message, "rejected the account's credential (invalid_auth)") {
			t.Errorf("err = %v, want an unauthorized UPSTREAM_ERROR naming invalid_auth", err)
		}
	})
}

func TestSlackUpstreamErrors(t *testing.T) {
	history := map[string]any{"channel": "C0GENERAL"}
	post := map[string]any{"channel": "C0GENERAL", "text": "hi"}
	tests := []struct {
		name         string
		tool         string
		args         map[string]any
		auth         string // user, bot or bare
		fail         []failure
		code         string
		status       int
		unauthorized bool
		retryAfter   int
		requests     int
		message      string // substring of PublicMessage
	}{{
		name: "ChannelNotFound", tool: "SLACK_GET_CHANNEL_HISTORY", args: map[string]any{"channel": "C0NOPE"}, auth: "user",
		code: tools.CodeUpstreamError, status: 200, requests: 1, message: "Slack refused the request: channel_not_found.",
	}, {
		name: "BotNotInChannel", tool: "SLACK_POST_MESSAGE", args: map[string]any{"channel": "random", "text": "hi"}, auth: "bot",
		code: tools.CodeUpstreamError, status: 200, requests: 1, message: "not_in_channel",
	}, {
		name: "MissingScopeNamesTheNeededScope", tool: "SLACK_POST_MESSAGE", args: post, auth: "bare",
		code: tools.CodeUpstreamError, status: 200, requests: 1,
		message: "Slack refused the request (missing_scope): the account's credential lacks a required scope (needs one of: chat:write; has: no scopes). Re-authorize",
	}, {
		name: "MissingScopeNamesWhatTheTokenHas", tool: "SLACK_GET_CHANNEL_HISTORY", args: history, auth: "user",
		fail: []failure{{"/api/conversations.history", 200, nil,
			`{"ok":false,"error":"missing_scope","needed":"channels:history,groups:history","provided":"channels:read,chat:write"}`, 1}},
		code: tools.CodeUpstreamError, status: 200, requests: 1,
		message: "(needs one of: channels:history, groups:history; has: channels:read, chat:write)",
	}, {
		name: "SearchWithBotToken", tool: "SLACK_SEARCH_MESSAGES", args: map[string]any{"query": "lunch"}, auth: "bot",
		code: tools.CodeUpstreamError, status: 200, requests: 1, message: "not_allowed_token_type",
	}, {
		name: "UnknownEmail", tool: "SLACK_FIND_USER_BY_EMAIL", args: map[string]any{"email": "carol@example.com"}, auth: "user",
		code: tools.CodeUpstreamError, status: 200, requests: 1, message: "users_not_found",
	}, {
		name: "AlreadyReacted", tool: "SLACK_ADD_REACTION", args: map[string]any{"channel": "C0GENERAL", "timestamp": slackTS1, "name": "eyes"}, auth: "user",
		fail: []failure{{"/api/reactions.add", 200, nil, `{"ok":false,"error":"already_reacted"}`, 1}},
		code: tools.CodeUpstreamError, status: 200, requests: 1, message: "already_reacted",
	}, {
		name: "InvalidAuthIsUnauthorized", tool: "SLACK_LIST_CONVERSATIONS", auth: "user",
		fail: []failure{{"/api/conversations.list", 200, nil, `{"ok":false,"error":"invalid_auth"}`, 1}},
		code: tools.CodeUpstreamError, status: 200, unauthorized: true, requests: 1,
		message: "Slack rejected the account's credential (invalid_auth): it was revoked, expired or lacks access. The account must be re-authorized",
	}, {
		name: "TokenRevokedIsUnauthorized", tool: "SLACK_POST_MESSAGE", args: post, auth: "bot",
		fail: []failure{{"/api/chat.postMessage", 200, nil, `{"ok":false,"error":"token_revoked"}`, 1}},
		code: tools.CodeUpstreamError, status: 200, unauthorized: true, requests: 1, message: "(token_revoked)",
	}, {
		name: "AccountInactiveIsUnauthorized", tool: "SLACK_GET_USER", args: map[string]any{"user": "U0BOB"}, auth: "user",
		fail: []failure{{"/api/users.info", 200, nil, `{"ok":false,"error":"account_inactive"}`, 1}},
		code: tools.CodeUpstreamError, status: 200, unauthorized: true, requests: 1, message: "(account_inactive)",
	}, {
		name: "InternalErrorIsUnavailable", tool: "SLACK_GET_CHANNEL_HISTORY", args: history, auth: "bot",
		fail: []failure{{"/api/conversations.history", 200, nil, `{"ok":false,"error":"internal_error"}`, 1}},
		code: tools.CodeUpstreamUnavailable, status: 200, requests: 1, message: "Slack is unavailable (internal_error); try again later.",
	}, {
		name: "FatalErrorIsUnavailable", tool: "SLACK_POST_MESSAGE", args: post, auth: "bot",
		fail: []failure{{"/api/chat.postMessage", 200, nil, `{"ok":false,"error":"fatal_error"}`, 1}},
		code: tools.CodeUpstreamUnavailable, status: 200, requests: 1, message: "(fatal_error)",
	}, {
		name: "RatelimitedCodeWithoutHeaderWaitsAMinute", tool: "SLACK_SEARCH_MESSAGES", args: map[string]any{"query": "lunch"}, auth: "user",
		fail: []failure{{"/api/search.messages", 200, nil, fakeupstream.SlackRateLimited, 1}},
		code: tools.CodeUpstreamRateLimited, status: 200, retryAfter: 60, requests: 1, message: "(ratelimited); wait 60 seconds",
	}, {
		name: "DetailsRepeated", tool: "SLACK_POST_MESSAGE", args: post, auth: "bot",
		fail: []failure{{"/api/chat.postMessage", 200, nil,
			`{"ok":false,"error":"invalid_arguments","response_metadata":{"messages":["[ERROR] missing required field: channel"]}}`, 1}},
		code: tools.CodeUpstreamError, status: 200, requests: 1,
		message: "Slack refused the request: invalid_arguments ([ERROR] missing required field: channel).",
	}, {
		name: "EchoedTokenRedacted", tool: "SLACK_GET_USER", args: map[string]any{"user": "U0BOB"}, auth: "user",
		fail: []failure{{"/api/users.info", 200, nil, `{"ok":false,"error":"token ` + slackUserToken + ` revoked"}`, 1}},
		code: tools.CodeUpstreamError, status: 200, requests: 1, message: "token [redacted] revoked",
	}, {
		name: "GatewayUnauthorized401", tool: "SLACK_GET_USER", args: map[string]any{"user": "U0BOB"}, auth: "user",
		fail: []failure{{"/api/users.info", 401, nil, `{"ok":false,"error":"invalid_auth"}`, 1}},
		code: tools.CodeUpstreamError, status: 401, unauthorized: true, requests: 1, message: "must be re-authorized",
	}, {
		name: "NotFound404", tool: "SLACK_GET_USER", args: map[string]any{"user": "U0BOB"}, auth: "user",
		fail: []failure{{"/api/users.info", 404, nil, `{"ok":false,"error":"unknown_method"}`, 1}},
		code: tools.CodeUpstreamError, status: 404, requests: 1, message: "returned 404",
	}, {
		name: "RateLimited429", tool: "SLACK_GET_CHANNEL_HISTORY", args: history, auth: "bot",
		fail: []failure{{"/api/conversations.history", 429, http.Header{"Retry-After": {"30"}}, fakeupstream.SlackRateLimited, 1}},
		code: tools.CodeUpstreamRateLimited, status: 429, retryAfter: 30, requests: 1, message: "(HTTP 429: ratelimited); wait 30 seconds",
	}, {
		name: "ReadRetriedThenUnavailable503", tool: "SLACK_GET_CHANNEL_HISTORY", args: history, auth: "bot",
		fail: []failure{{"/api/conversations.history", 503, nil, "<html>down</html>", 5}},
		code: tools.CodeUpstreamUnavailable, status: 503, requests: 3, message: "unavailable (HTTP 503)",
	}, {
		name: "ServiceUnavailableCodeOn503", tool: "SLACK_GET_CHANNEL_HISTORY", args: history, auth: "bot",
		fail: []failure{{"/api/conversations.history", 503, nil, `{"ok":false,"error":"service_unavailable"}`, 5}},
		code: tools.CodeUpstreamUnavailable, status: 503, requests: 3, message: "unavailable (HTTP 503: service_unavailable)",
	}, {
		name: "WriteNotRetried502", tool: "SLACK_POST_MESSAGE", args: post, auth: "bot",
		fail: []failure{{"/api/chat.postMessage", 502, nil, "", 5}},
		code: tools.CodeUpstreamUnavailable, status: 502, requests: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSlackHarness(t)
			injectFailures(h.fake, tt.fail)
			auth := map[string]tools.Authorizer{"user": h.user, "bot": h.bot, "bare": h.bare}[tt.auth]
			_, err := h.call(t, tt.tool, tt.args, auth)
			e := asToolError(t, err)
			if e.Code != tt.code || e.Status != tt.status || tools.IsUnauthorized(err) != tt.unauthorized || e.RetryAfter() != tt.retryAfter {
				t.Errorf("code %s status %d unauthorized %v retry %d; want %s %d %v %d",
					e.Code, e.Status, tools.IsUnauthorized(err), e.RetryAfter(), tt.code, tt.status, tt.unauthorized, tt.retryAfter)
			}
			assertRequestCount(t, h.fake, tt.requests)
			assertContains(t, "message", e.PublicMessage(), tt.message)
			if strings.Contains(e.PublicMessage(), "html") {
				t.Errorf("message %q repeats the raw body", e.PublicMessage())
			}
		})
	}
}

// TestSlackInvalidArgumentsMakeNoRequest pins the schema rules that save a
// round trip Slack would refuse.
func TestSlackInvalidArgumentsMakeNoRequest(t *testing.T) {
	tests := []struct {
		name string
		tool string
		args map[string]any
		path string // of the first problem
	}{
		{"ChannelNameWhereIDIsNeeded", "SLACK_GET_CHANNEL_HISTORY", map[string]any{"channel": "#general"}, "/channel"},
		{"EmojiWithColons", "SLACK_ADD_REACTION", map[string]any{"channel": "C0GENERAL", "timestamp": slackTS1, "name": ":tada:"}, "/name"},
		{"TimestampNotTS", "SLACK_ADD_REACTION", map[string]any{"channel": "C0GENERAL", "timestamp": "yesterday", "name": "tada"}, "/timestamp"},
		{"ThreadTSRequired", "SLACK_REPLY_IN_THREAD", map[string]any{"channel": "C0GENERAL", "text": "hi"}, "/thread_ts"},
		{"EmptyText", "SLACK_POST_MESSAGE", map[string]any{"channel": "C0GENERAL", "text": ""}, "/text"},
		{"NotAnEmail", "SLACK_FIND_USER_BY_EMAIL", map[string]any{"email": "alice"}, "/email"},
		{"SearchCountOver100", "SLACK_SEARCH_MESSAGES", map[string]any{"query": "x", "count": 101}, "/count"},
		{"UnknownConversationType", "SLACK_LIST_CONVERSATIONS", map[string]any{"types": []any{"public"}}, "/types/0"},
		{"LimitOver999", "SLACK_GET_THREAD_REPLIES", map[string]any{"channel": "C0GENERAL", "ts": slackTS1, "limit": 1000}, "/limit"},
	}
	h := newSlackHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.call(t, tt.tool, tt.args, h.user)
			assertRequestCount(t, h.fake, 0)
			if e := wantCode(t, err, tools.CodeInvalidArguments); len(e.Problems) == 0 || e.Problems[0].Path != tt.path {
				t.Errorf("problems = %+v, want the first at %s", e.Problems, tt.path)
			}
		})
	}
}

func TestSlackCatalog(t *testing.T) {
	kit := builtin(t).Toolkit("slack")
	if kit == nil {
		t.Fatal(`Toolkit("slack") = nil`)
	}
	t.Run("Schemes", func(t *testing.T) {
		oauth, token := kit.Scheme(tools.SchemeOAuth2), kit.Scheme(tools.SchemeBearerToken)
		if oauth == nil || oauth.AuthorizationURL != "https://slack.com/oauth/v2/authorize" || oauth.TokenURL != "https://slack.com/api/oauth.v2.access" {
			t.Fatalf("oauth2 scheme = %+v", oauth)
		}
		if oauth.ScopeSeparator != "," || oauth.TokenResponse != tools.TokenResponseSlack || oauth.PKCE ||
			!cmp.Equal(oauth.UserScopes, []string{"search:read"}) || oauth.RevokeURL != "https://slack.com/api/auth.revoke" {
			t.Errorf("oauth2 settings = %+v", oauth)
		}
		if token == nil || token.Header != "Authorization" || token.Prefix != "Bearer " {
			t.Errorf("bearer_token scheme = %+v", token)
		}
	})
	t.Run("OKFalseIsAnErrorWithCodes", func(t *testing.T) {
		want := tools.ErrorRules{OKField: "ok", MessageField: "error", CodeField: "error",
			Unauthorized: []string{"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"},
			RateLimited:  map[string]int{"ratelimited": 60},
			Unavailable:  []string{"internal_error", "fatal_error", "service_unavailable"},
			MissingScope: &tools.MissingScopeRule{Codes: []string{"missing_scope"}, NeededField: "needed", GrantedField: "provided"},
			DetailFields: []string{"response_metadata.messages"}}
		assertDiff(t, "errors", want, kit.Errors)
	})
	t.Run("DescriptionsNameScopes", func(t *testing.T) {
		for _, tl := range kit.Tools {
			if !strings.Contains(tl.Description, "Scope") && !strings.Contains(tl.Description, "scope") {
				t.Errorf("%s: description names no scope", tl.Name)
			}
		}
		if d := builtin(t).Tool("SLACK_SEARCH_MESSAGES").Description; !strings.Contains(d, "USER token") || !strings.Contains(d, "search:read") {
			t.Errorf("search description does not say it needs a user token with search:read: %q", d)
		}
	})
}
