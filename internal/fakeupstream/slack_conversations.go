package fakeupstream

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The fake Slack's conversations methods: conversations.list, .history and
// .replies, with Slack's cursor paging.

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
		raw, decodeErr := base64.StdEncoding.DecodeString(v)
		n, ok := strings.CutPrefix(string(raw), "next:")
		var err error
		if from, err = strconv.Atoi(n); decodeErr != nil || err != nil || !ok || from < 0 || from > len(list) {
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
