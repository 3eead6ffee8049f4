package fakeupstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Slack is a fake Slack Web API (https://slack.com/api/<method>): one
// workspace with users, tokens and their scopes, conversations and their
// messages. Like Slack it answers failures with HTTP 200 and {"ok": false,
// "error": "<code>"} (missing_scope adds needed and provided), reads
// arguments from the query, a form body or a JSON body, and pages lists with
// cursors in response_metadata.next_cursor. It records every request and can
// fail requests on demand (Fail takes URL paths such as
// /api/chat.postMessage). It is safe for concurrent use.
type Slack struct {
	recorder
	srv *httptest.Server

	mu     sync.Mutex
	tokens map[string]*slackToken
	users  map[string]*SlackUser // by id
	convs  map[string]*slackConv // by id
	order  []*slackConv          // creation order, the order of conversations.list
	seq    int64                 // message timestamps
}

// The fake workspace.
const (
	SlackTeamID   = "T0SWITCH1"
	SlackTeamName = "Switchboard Test"
	SlackTeamURL  = "https://switchboard-test.slack.com/"
)

// SlackUser is a member of the fake workspace.
type SlackUser struct {
	ID       string // U…; bots are users too
	Name     string // the handle
	RealName string
	Email    string
	IsBot    bool
	BotID    string // B…, for bots
}

// SlackChannel describes a conversation to add.
type SlackChannel struct {
	ID       string // C… or G…; D… for a direct message
	Name     string // "" for direct messages
	Private  bool
	MPIM     bool // group direct message
	Archived bool
	Members  []string // user ids; a direct message has exactly two
}

type slackToken struct {
	user   *SlackUser
	bot    bool // an xoxb- token
	scopes []string
}

type slackConv struct {
	SlackChannel
	messages []*slackMessage // oldest first, replies included
}

func (c *slackConv) im() bool { return strings.HasPrefix(c.ID, "D") }

func (c *slackConv) member(id string) bool { return slices.Contains(c.Members, id) }

type slackMessage struct {
	ts, user, botID, text, threadTS, subtype string
	reactions                                []*slackReaction
}

type slackReaction struct {
	name  string
	users []string
}

// NewSlack starts an empty fake Slack on a loopback port. Call Close when
// done.
func NewSlack() *Slack {
	s := &Slack{
		tokens: map[string]*slackToken{}, users: map[string]*SlackUser{},
		convs: map[string]*slackConv{},
	}
	s.srv = httptest.NewServer(s.record(10<<20, http.HandlerFunc(s.serve)))
	return s
}

// URL returns the API base URL, e.g. http://127.0.0.1:34567/api (the
// equivalent of https://slack.com/api).
func (s *Slack) URL() string { return s.srv.URL + "/api" }

// Close shuts the server down.
func (s *Slack) Close() { s.srv.Close() }

// AddUser adds a member to the workspace.
func (s *Slack) AddUser(u SlackUser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &u
}

// AddToken makes token a credential of the user with userID, holding scopes.
// A token starting with xoxb- is a bot token, any other a user token.
func (s *Slack) AddToken(token, userID string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		panic("fakeupstream: AddToken for unknown Slack user " + userID)
	}
	s.tokens[token] = &slackToken{user: u, bot: strings.HasPrefix(token, "xoxb-"), scopes: scopes}
}

// RevokeToken makes token unknown, so that requests with it get invalid_auth.
func (s *Slack) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// AddChannel adds a conversation.
func (s *Slack) AddChannel(ch SlackChannel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &slackConv{SlackChannel: ch}
	s.convs[ch.ID] = c
	s.order = append(s.order, c)
}

// AddMessage posts text by user in channel, in the thread of threadTS when
// it is not empty, and returns the message's ts.
func (s *Slack) AddMessage(channel, user, text, threadTS string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.convs[channel]
	if c == nil {
		panic("fakeupstream: AddMessage to unknown Slack channel " + channel)
	}
	return s.post(c, &slackMessage{user: user, text: text, threadTS: threadTS}).ts
}

// post appends m to c with the next timestamp. The caller holds s.mu.
func (s *Slack) post(c *slackConv, m *slackMessage) *slackMessage {
	s.seq++
	m.ts = fmt.Sprintf("%d.%06d", epoch.Unix()+s.seq*60, s.seq*100)
	c.messages = append(c.messages, m)
	return m
}

// SlackRateLimited is the body Slack sends with HTTP 429 and Retry-After.
const SlackRateLimited = `{"ok":false,"error":"ratelimited"}`

// slackCall is one Web API call: its caller and its arguments.
type slackCall struct {
	tok  *slackToken
	args url.Values
	warn []string // response_metadata.warnings
}

// slackFailure is an {"ok": false} answer; extra adds fields such as needed.
type slackFailure struct {
	code  string
	extra map[string]any
}

func slackFail(code string) *slackFailure { return &slackFailure{code: code} }

type slackMethod func(*Slack, *slackCall) (map[string]any, *slackFailure)

// slackMethods maps each method to its handler and the scopes it needs (any
// one of them; nil for none or when the handler checks per conversation).
var slackMethods = map[string]struct {
	fn     slackMethod
	scopes []string
}{
	"auth.test":             {(*Slack).authTest, nil},
	"conversations.list":    {(*Slack).conversationsList, nil},
	"conversations.history": {(*Slack).conversationsHistory, nil},
	"conversations.replies": {(*Slack).conversationsReplies, nil},
	"chat.postMessage":      {(*Slack).chatPostMessage, []string{"chat:write"}},
	"search.messages":       {(*Slack).searchMessages, nil}, // bot tokens are refused first
	"users.info":            {(*Slack).usersInfo, []string{"users:read"}},
	"users.lookupByEmail":   {(*Slack).usersLookupByEmail, []string{"users:read.email"}},
	"reactions.add":         {(*Slack).reactionsAdd, []string{"reactions:write"}},
}

// serve authenticates, reads the arguments and runs the method.
func (s *Slack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	name, _ := strings.CutPrefix(r.URL.Path, "/api/")
	m, known := slackMethods[name]
	if !known {
		slackAnswer(w, nil, nil, slackFail("unknown_method"))
		return
	}
	call := &slackCall{args: r.URL.Query()}
	if f := call.readBody(r, body); f != nil {
		slackAnswer(w, call, nil, f)
		return
	}
	tok := bearer(r)
	if tok == "" {
		tok = call.args.Get("token") // Slack still takes it as a POST parameter
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch call.tok = s.tokens[tok]; {
	case tok == "":
		slackAnswer(w, call, nil, slackFail("not_authed"))
	case call.tok == nil:
		slackAnswer(w, call, nil, slackFail("invalid_auth"))
	default:
		if f := call.need(m.scopes...); f != nil {
			slackAnswer(w, call, nil, f)
			return
		}
		out, f := m.fn(s, call)
		slackAnswer(w, call, out, f)
	}
}

// readBody merges a form or JSON body into the arguments. A JSON body
// without charset=utf-8 works but draws Slack's missing_charset warning.
func (c *slackCall) readBody(r *http.Request, body []byte) *slackFailure {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if params["charset"] == "" {
			c.warn = append(c.warn, "missing_charset")
		}
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&doc) != nil {
			return slackFail("invalid_json")
		}
		for k, v := range doc {
			switch v := v.(type) {
			case string:
				c.args.Set(k, v)
			case bool, json.Number:
				c.args.Set(k, fmt.Sprint(v))
			default:
				data, _ := json.Marshal(v)
				c.args.Set(k, string(data))
			}
		}
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return slackFail("invalid_form_data")
		}
		for k, vs := range form {
			c.args[k] = vs
		}
	default:
		return slackFail("invalid_post_type")
	}
	return nil
}

// need checks that the token holds one of scopes.
func (c *slackCall) need(scopes ...string) *slackFailure {
	if len(scopes) == 0 || slices.ContainsFunc(scopes, func(sc string) bool { return slices.Contains(c.tok.scopes, sc) }) {
		return nil
	}
	return &slackFailure{code: "missing_scope", extra: map[string]any{
		"needed": strings.Join(scopes, ","), "provided": strings.Join(c.tok.scopes, ","),
	}}
}

// slackAnswer writes HTTP 200 with ok true and out, or ok false and f.
func slackAnswer(w http.ResponseWriter, c *slackCall, out map[string]any, f *slackFailure) {
	if out == nil {
		out = map[string]any{}
	}
	out["ok"] = f == nil
	if f != nil {
		out["error"] = f.code
		for k, v := range f.extra {
			out[k] = v
		}
	}
	if c != nil && len(c.warn) > 0 {
		out["warning"] = strings.Join(c.warn, ",")
		meta, _ := out["response_metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
		}
		meta["warnings"] = c.warn
		out["response_metadata"] = meta
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Slack) authTest(c *slackCall) (map[string]any, *slackFailure) {
	out := map[string]any{"url": SlackTeamURL, "team": SlackTeamName, "user": c.tok.user.Name,
		"team_id": SlackTeamID, "user_id": c.tok.user.ID, "is_enterprise_install": false}
	if c.tok.bot {
		out["bot_id"] = c.tok.user.BotID
	}
	return out, nil
}
