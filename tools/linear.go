package tools

import (
	"regexp"
	"strings"
)

// Linear's Go-coded part (catalog/linear.yaml): its IssueFilter is a nested
// object of comparators that simple arguments map onto.
func init() {
	registerBodyBuilder("linear_issue_filter", linearIssueFilter)
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// linearIssueFilter turns the arguments team, assignee, state, state_type,
// label, project_id, priority and updated_after into the variable filter
// (an IssueFilter), left out when none is given.
func linearIssueFilter(args map[string]any) (map[string]any, error) {
	str := func(name string) string { s, _ := args[name].(string); return strings.TrimSpace(s) }
	f := map[string]any{}
	if team := str("team"); team != "" {
		if uuidPattern.MatchString(team) {
			f["team"] = map[string]any{"id": map[string]any{"eq": team}}
		} else {
			f["team"] = map[string]any{"key": map[string]any{"eqIgnoreCase": team}}
		}
	}
	switch a := str("assignee"); {
	case a == "":
	case strings.EqualFold(a, "me"):
		f["assignee"] = map[string]any{"isMe": map[string]any{"eq": true}}
	case strings.EqualFold(a, "none"):
		f["assignee"] = map[string]any{"null": true}
	case strings.Contains(a, "@"):
		f["assignee"] = map[string]any{"email": map[string]any{"eqIgnoreCase": a}}
	case uuidPattern.MatchString(a):
		f["assignee"] = map[string]any{"id": map[string]any{"eq": a}}
	default:
		return nil, badArgument("assignee", "%q is not me, none, an email address or a user id", a)
	}
	state := map[string]any{}
	if s := str("state"); s != "" {
		state["name"] = map[string]any{"eqIgnoreCase": s}
	}
	if s := str("state_type"); s != "" {
		state["type"] = map[string]any{"eq": s}
	}
	if len(state) > 0 {
		f["state"] = state
	}
	if l := str("label"); l != "" {
		f["labels"] = map[string]any{"some": map[string]any{"name": map[string]any{"eqIgnoreCase": l}}}
	}
	if p := str("project_id"); p != "" {
		f["project"] = map[string]any{"id": map[string]any{"eq": p}}
	}
	if p, ok := args["priority"]; ok {
		f["priority"] = map[string]any{"eq": p}
	}
	if t := str("updated_after"); t != "" {
		f["updatedAt"] = map[string]any{"gte": t}
	}
	if len(f) == 0 {
		return map[string]any{}, nil
	}
	return map[string]any{"filter": f}, nil
}
