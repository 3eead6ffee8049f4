package fakeupstream

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The fake Slack's methods beyond conversations: chat.postMessage,
// search.messages, users.info, users.lookupByEmail and reactions.add.

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
