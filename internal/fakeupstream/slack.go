package fakeupstream

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Slack is a fake Slack Web API (https://slack.com/api/<method>): one
// workspace with users, tokens and their scopes, conversations and their
// messages. Like Slack it answers failures with HTTP 200 and {"ok": false,
// "error": "<code>"} (missing_scope adds needed and provided), reads
// arguments from the query, a form body or a JSON body, and pages lists with
// cursors in response_metadata.next_cursor. It records every request and can
// fail requests on demand. It is safe for concurrent use.
type Slack struct {
	srv *httptest.Server

	mu       sync.Mutex
	tokens   map[string]*slackToken
	users    map[string]*SlackUser // by id
	convs    map[string]*slackConv // by id
	order    []*slackConv          // creation order, the order of conversations.list
	seq      int64                 // message timestamps
	requests []Request
	failures map[string][]*failure // by path
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
		convs: map[string]*slackConv{}, failures: map[string][]*failure{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
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

// Requests returns a copy of every request received since the start or the
// last Reset, oldest first.
func (s *Slack) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// Reset forgets the recorded requests and pending failures; the workspace
// stays.
func (s *Slack) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.failures = map[string][]*failure{}
}

// Fail makes the next times requests on path (exact URL path such as
// /api/chat.postMessage, any method) answer status with header and body
// instead of being served; status 0 drops the connection. Calls queue up.
func (s *Slack) Fail(path string, status int, header http.Header, body string, times int) {
	if times <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[path] = append(s.failures[path], &failure{status: status, header: header.Clone(), body: body, times: times})
}

func (s *Slack) nextFailure(path string) *failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failures[path]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if f.times--; f.times == 0 {
		s.failures[path] = q[1:]
	}
	return f
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

// serve records the request, applies injected failures, authenticates, reads
// the arguments and runs the method.
func (s *Slack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Token: bearer(r), Header: r.Header.Clone(), Body: string(body),
	})
	s.mu.Unlock()
	if f := s.nextFailure(r.URL.Path); f != nil {
		if f.status == 0 {
			drop(w)
			return
		}
		for k, v := range f.header {
			w.Header()[k] = v
		}
		w.WriteHeader(f.status)
		io.WriteString(w, f.body)
		return
	}
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
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(out)
}

func (s *Slack) authTest(c *slackCall) (map[string]any, *slackFailure) {
	out := map[string]any{"url": SlackTeamURL, "team": SlackTeamName, "user": c.tok.user.Name,
		"team_id": SlackTeamID, "user_id": c.tok.user.ID, "is_enterprise_install": false}
	if c.tok.bot {
		out["bot_id"] = c.tok.user.BotID
	}
	return out, nil
}

// kind returns a conversation's type as conversations.list names it.
func (c *slackConv) kind() string {
	switch {
	case c.im():
		return "im"
	case c.MPIM:
		return "mpim"
	case c.Private:
		return "private_channel"
	}
	return "public_channel"
}

var slackReadScopes = map[string]string{"public_channel": "channels:read", "private_channel": "groups:read", "mpim": "mpim:read", "im": "im:read"}

var slackHistoryScopes = map[string]string{"public_channel": "channels:history", "private_channel": "groups:history", "mpim": "mpim:history", "im": "im:history"}

func (s *Slack) conversationsList(c *slackCall) (map[string]any, *slackFailure) {
	types := []string{"public_channel"}
	if v := c.args.Get("types"); v != "" {
		types = strings.Split(v, ",")
	}
	for _, t := range types {
		sc, ok := slackReadScopes[t]
		if !ok {
			return nil, slackFail("invalid_types")
		}
		if f := c.need(sc); f != nil {
			return nil, f
		}
	}
	var list []any
	for _, cv := range s.order {
		if !slices.Contains(types, cv.kind()) || !s.visible(c, cv) ||
			(cv.Archived && c.args.Get("exclude_archived") == "true") {
			continue
		}
		list = append(list, s.convJSON(c, cv))
	}
	page, next, f := slackPage(c.args, list, 100)
	if f != nil {
		return nil, f
	}
	return map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

// visible reports whether the caller can see cv: public channels are open
// to all, the rest to members.
func (s *Slack) visible(c *slackCall, cv *slackConv) bool {
	return cv.kind() == "public_channel" || cv.member(c.tok.user.ID)
}

func (s *Slack) convJSON(c *slackCall, cv *slackConv) map[string]any {
	out := map[string]any{"id": cv.ID, "created": epoch.Unix(), "is_archived": cv.Archived, "is_im": cv.im(),
		"is_mpim": cv.MPIM, "is_private": cv.Private || cv.im() || cv.MPIM, "context_team_id": SlackTeamID}
	if cv.im() {
		other := cv.Members[0]
		if other == c.tok.user.ID && len(cv.Members) > 1 {
			other = cv.Members[1]
		}
		out["user"] = other
		return out
	}
	out["name"], out["name_normalized"] = cv.Name, cv.Name
	out["is_channel"], out["is_group"] = !cv.Private && !cv.MPIM, cv.Private || cv.MPIM
	out["is_general"] = cv.Name == "general"
	out["is_member"] = cv.member(c.tok.user.ID)
	out["num_members"] = len(cv.Members)
	out["topic"] = map[string]any{"value": "", "creator": "", "last_set": 0}
	out["purpose"] = map[string]any{"value": "About #" + cv.Name, "creator": "", "last_set": 0}
	return out
}

// readable finds the conversation in the channel argument and checks that
// the caller may read its messages: the type's history scope, and for a bot
// membership.
func (s *Slack) readable(c *slackCall) (*slackConv, *slackFailure) {
	cv := s.convs[c.args.Get("channel")]
	if cv == nil || !s.visible(c, cv) {
		return nil, slackFail("channel_not_found")
	}
	if f := c.need(slackHistoryScopes[cv.kind()]); f != nil {
		return nil, f
	}
	if c.tok.bot && !cv.member(c.tok.user.ID) {
		return nil, slackFail("not_in_channel")
	}
	return cv, nil
}

func (s *Slack) conversationsHistory(c *slackCall) (map[string]any, *slackFailure) {
	cv, f := s.readable(c)
	if f != nil {
		return nil, f
	}
	oldest, latest := c.args.Get("oldest"), c.args.Get("latest")
	var list []any
	for i := len(cv.messages) - 1; i >= 0; i-- {
		m := cv.messages[i]
		reply := m.threadTS != "" && m.threadTS != m.ts && m.subtype != "thread_broadcast"
		if reply || (oldest != "" && !tsAfter(m.ts, oldest)) || (latest != "" && !tsAfter(latest, m.ts)) {
			continue
		}
		list = append(list, s.messageJSON(cv, m))
	}
	return slackMessagePage(c, list)
}

func (s *Slack) conversationsReplies(c *slackCall) (map[string]any, *slackFailure) {
	cv, f := s.readable(c)
	if f != nil {
		return nil, f
	}
	ts := c.args.Get("ts")
	var list []any
	for _, m := range cv.messages {
		if m.ts == ts && m.threadTS != "" && m.threadTS != m.ts {
			ts = m.threadTS // the ts of a reply names its thread
		}
	}
	for _, m := range cv.messages {
		if m.ts == ts || (m.threadTS == ts && ts != "") {
			list = append(list, s.messageJSON(cv, m))
		}
	}
	if len(list) == 0 {
		return nil, slackFail("thread_not_found")
	}
	return slackMessagePage(c, list)
}

func slackMessagePage(c *slackCall, list []any) (map[string]any, *slackFailure) {
	page, next, f := slackPage(c.args, list, 100)
	if f != nil {
		return nil, f
	}
	out := map[string]any{"messages": page, "has_more": next != ""}
	if next != "" {
		out["response_metadata"] = map[string]any{"next_cursor": next}
	}
	return out, nil
}

// tsAfter reports whether Slack timestamp a is later than b.
func tsAfter(a, b string) bool {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	return x > y
}

func (s *Slack) messageJSON(cv *slackConv, m *slackMessage) map[string]any {
	out := map[string]any{"type": "message", "user": m.user, "text": m.text, "ts": m.ts, "team": SlackTeamID}
	if m.botID != "" {
		out["bot_id"] = m.botID
	}
	if m.subtype != "" {
		out["subtype"] = m.subtype
	}
	if m.threadTS != "" {
		out["thread_ts"] = m.threadTS
	}
	if m.threadTS == "" || m.threadTS == m.ts {
		var replies []string
		for _, r := range cv.messages {
			if r.threadTS == m.ts && r != m {
				replies = append(replies, r.ts)
			}
		}
		if len(replies) > 0 {
			out["thread_ts"], out["reply_count"], out["latest_reply"] = m.ts, len(replies), replies[len(replies)-1]
		}
	}
	if len(m.reactions) > 0 {
		var rs []any
		for _, r := range m.reactions {
			rs = append(rs, map[string]any{"name": r.name, "users": r.users, "count": len(r.users)})
		}
		out["reactions"] = rs
	}
	return out
}

// slackPage applies limit (default def) and cursor to list, and returns the
// page and the next cursor ("" on the last page).
func slackPage(args url.Values, list []any, def int) ([]any, string, *slackFailure) {
	limit := def
	if v := args.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, "", slackFail("invalid_limit")
		}
		limit = min(n, 999)
	}
	from := 0
	if v := args.Get("cursor"); v != "" {
		raw, err := base64.StdEncoding.DecodeString(v)
		n, ok := strings.CutPrefix(string(raw), "next:")
		if from, err = strconv.Atoi(n); err != nil || !ok || from < 0 || from > len(list) {
			return nil, "", slackFail("invalid_cursor")
		}
	}
	to := min(from+limit, len(list))
	next := ""
	if to < len(list) {
		next = base64.StdEncoding.EncodeToString([]byte("next:" + strconv.Itoa(to)))
	}
	page := list[from:to]
	if page == nil {
		page = []any{}
	}
	return page, next, nil
}

// target finds where chat.postMessage posts: a conversation id, a channel
// name (with or without #), or a user id (their direct message).
func (s *Slack) target(c *slackCall, ref string) *slackConv {
	ref = strings.TrimPrefix(ref, "#")
	for _, cv := range s.order {
		switch {
		case cv.ID == ref, cv.Name == ref && ref != "":
			return cv
		case cv.im() && cv.member(ref) && cv.member(c.tok.user.ID):
			return cv
		}
	}
	return nil
}

func (s *Slack) chatPostMessage(c *slackCall) (map[string]any, *slackFailure) {
	cv := s.target(c, c.args.Get("channel"))
	switch {
	case cv == nil || !s.visible(c, cv):
		return nil, slackFail("channel_not_found")
	case strings.TrimSpace(c.args.Get("text")) == "" && c.args.Get("blocks") == "":
		return nil, slackFail("no_text")
	case cv.Archived:
		return nil, slackFail("is_archived")
	case c.tok.bot && !cv.member(c.tok.user.ID):
		return nil, slackFail("not_in_channel")
	}
	m := &slackMessage{user: c.tok.user.ID, text: c.args.Get("text"), threadTS: c.args.Get("thread_ts")}
	if c.tok.bot {
		m.botID = c.tok.user.BotID
	}
	if m.threadTS != "" && c.args.Get("reply_broadcast") == "true" {
		m.subtype = "thread_broadcast"
	}
	s.post(cv, m)
	msg := s.messageJSON(cv, m)
	if m.botID != "" {
		msg["app_id"] = "A0SWITCH1"
	}
	return map[string]any{"channel": cv.ID, "ts": m.ts, "message": msg}, nil
}

func (s *Slack) searchMessages(c *slackCall) (map[string]any, *slackFailure) {
	if c.tok.bot {
		return nil, slackFail("not_allowed_token_type")
	}
	if f := c.need("search:read"); f != nil {
		return nil, f
	}
	q := c.args.Get("query")
	if strings.TrimSpace(q) == "" {
		return nil, slackFail("no_query")
	}
	words := strings.Fields(strings.ToLower(q))
	var matches []map[string]any
	for _, cv := range s.order {
		if !s.visible(c, cv) {
			continue
		}
		for _, m := range cv.messages {
			if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(strings.ToLower(m.text), w) }) {
				matches = append(matches, s.matchJSON(cv, m))
			}
		}
	}
	asc := c.args.Get("sort_dir") == "asc"
	slices.SortStableFunc(matches, func(a, b map[string]any) int {
		x, _ := strconv.ParseFloat(a["ts"].(string), 64)
		y, _ := strconv.ParseFloat(b["ts"].(string), 64)
		if asc {
			x, y = y, x
		}
		return cmp.Compare(y, x) // equal scores: newest first, as timestamp sort
	})
	count, page := slackInt(c.args, "count", 20, 100), slackInt(c.args, "page", 1, 100)
	from := min((page-1)*count, len(matches))
	to := min(from+count, len(matches))
	list := make([]any, 0, to-from)
	for _, m := range matches[from:to] {
		list = append(list, m)
	}
	pages := max((len(matches)+count-1)/count, 1)
	return map[string]any{"query": q, "messages": map[string]any{
		"total": len(matches), "matches": list,
		"paging":     map[string]any{"count": count, "total": len(matches), "page": page, "pages": pages},
		"pagination": map[string]any{"total_count": len(matches), "page": page, "per_page": count, "page_count": pages, "first": from + 1, "last": to},
	}}, nil
}

func slackInt(args url.Values, name string, def, most int) int {
	n, err := strconv.Atoi(args.Get(name))
	if err != nil || n < 1 {
		return def
	}
	return min(n, most)
}

func (s *Slack) matchJSON(cv *slackConv, m *slackMessage) map[string]any {
	ch := map[string]any{"id": cv.ID, "is_private": cv.Private || cv.im() || cv.MPIM, "is_mpim": cv.MPIM}
	if cv.Name != "" {
		ch["name"] = cv.Name
	} else if cv.im() {
		ch["name"] = cv.Members[0]
	}
	username := ""
	if u := s.users[m.user]; u != nil {
		username = u.Name
	}
	return map[string]any{"iid": "iid-" + m.ts, "team": SlackTeamID, "channel": ch, "type": "message",
		"user": m.user, "username": username, "ts": m.ts, "text": m.text,
		"permalink": SlackTeamURL + "archives/" + cv.ID + "/p" + strings.ReplaceAll(m.ts, ".", "")}
}

func (s *Slack) usersInfo(c *slackCall) (map[string]any, *slackFailure) {
	u := s.users[c.args.Get("user")]
	if u == nil {
		return nil, slackFail("user_not_found")
	}
	return map[string]any{"user": s.userJSON(c, u)}, nil
}

func (s *Slack) usersLookupByEmail(c *slackCall) (map[string]any, *slackFailure) {
	email := strings.ToLower(c.args.Get("email"))
	for _, u := range s.users {
		if email != "" && strings.ToLower(u.Email) == email && !u.IsBot {
			return map[string]any{"user": s.userJSON(c, u)}, nil
		}
	}
	return nil, slackFail("users_not_found")
}

// userJSON is Slack's user object; the email needs users:read.email.
func (s *Slack) userJSON(c *slackCall, u *SlackUser) map[string]any {
	profile := map[string]any{"real_name": u.RealName, "display_name": u.Name, "title": "",
		"status_text": "", "status_emoji": "", "image_48": "https://avatars.example/" + u.ID + "_48.png"}
	if c.need("users:read.email") == nil && u.Email != "" {
		profile["email"] = u.Email
	}
	return map[string]any{"id": u.ID, "team_id": SlackTeamID, "name": u.Name, "deleted": false,
		"real_name": u.RealName, "tz": "Europe/Berlin", "tz_label": "Central European Time", "tz_offset": 3600,
		"is_admin": false, "is_owner": false, "is_bot": u.IsBot, "is_app_user": false, "profile": profile}
}

var slackEmoji = regexp.MustCompile(`^[a-z0-9_+'-]+(::skin-tone-[2-6])?$`)

func (s *Slack) reactionsAdd(c *slackCall) (map[string]any, *slackFailure) {
	cv := s.convs[c.args.Get("channel")]
	if cv == nil || !s.visible(c, cv) {
		return nil, slackFail("channel_not_found")
	}
	name := c.args.Get("name")
	if !slackEmoji.MatchString(name) {
		return nil, slackFail("invalid_name")
	}
	i := slices.IndexFunc(cv.messages, func(m *slackMessage) bool { return m.ts == c.args.Get("timestamp") })
	if i < 0 {
		return nil, slackFail("message_not_found")
	}
	m, me := cv.messages[i], c.tok.user.ID
	for _, r := range m.reactions {
		if r.name == name {
			if slices.Contains(r.users, me) {
				return nil, slackFail("already_reacted")
			}
			r.users = append(r.users, me)
			return nil, nil
		}
	}
	m.reactions = append(m.reactions, &slackReaction{name: name, users: []string{me}})
	return nil, nil
}
