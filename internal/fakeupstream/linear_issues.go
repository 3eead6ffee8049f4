package fakeupstream

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The fake Linear's operations on issues: executing a parsed request,
// applying mutations, connections (pages) and issue filters.

// execute runs a validated operation.
func (l *Linear) execute(op *linOp, viewer *LinearUser) (map[string]any, *linError) {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	switch op.field {
	case "viewer":
		return map[string]any{"viewer": map[string]any{"id": viewer.ID, "name": viewer.Name, "displayName": viewer.DisplayName,
			"email": viewer.Email, "admin": viewer.Admin, "organization": map[string]any{"id": "0rg00000-0000-4000-8000-000000000001", "name": "Acme", "urlKey": LinearOrg}}}, nil
	case "teams":
		items := make([]any, len(l.teams))
		for i, t := range l.teams {
			items[i] = map[string]any{"id": t.id, "key": t.key, "name": t.name, "description": t.description, "private": false}
		}
		return map[string]any{"teams": linConnection(items, op.args)}, nil
	case "issues", "searchIssues":
		var items []any
		list := slices.Clone(l.issues)
		if op.args["orderBy"] != "createdAt" {
			slices.SortStableFunc(list, func(a, b *linIssue) int { return b.updated.Compare(a.updated) })
		}
		for _, is := range list {
			if op.field == "searchIssues" && !is.matchesTerm(str(op.args, "term"), op.args["includeComments"] == true) {
				continue
			}
			if f, ok := op.args["filter"].(map[string]any); ok && !is.matches(f, viewer) {
				continue
			}
			items = append(items, is.json())
		}
		return map[string]any{op.field: linConnection(items, op.args)}, nil
	case "issue":
		is := l.issue(str(op.args, "id"))
		if is == nil {
			return nil, linNotFound("Issue")
		}
		return map[string]any{"issue": is.json()}, nil
	case "issueCreate", "issueUpdate":
		var is *linIssue
		if op.field == "issueCreate" {
			var team *linTeam
			for _, t := range l.teams {
				if t.id == str(op.input, "teamId") {
					team = t
				}
			}
			if team == nil {
				return nil, linNotFound("Team")
			}
			if strings.TrimSpace(str(op.input, "title")) == "" {
				return nil, &linError{status: http.StatusOK, message: "Argument Validation Error", code: "INVALID_INPUT", typ: "invalid input", presentation: "title should not be empty"}
			}
			is = l.newIssue(team, "", "", viewer)
		} else if is = l.issue(str(op.args, "id")); is == nil {
			return nil, linNotFound("Issue")
		}
		if err := l.apply(is, op.input); err != nil {
			return nil, err
		}
		return map[string]any{op.field: map[string]any{"success": true, "lastSyncId": float64(l.seq), "issue": is.json()}}, nil
	case "commentCreate":
		is := l.issue(str(op.input, "issueId"))
		if is == nil {
			return nil, linNotFound("Issue")
		}
		l.seq++
		c := linComment{id: fmt.Sprintf("c0mment0-0000-4000-8000-%012d", l.seq), body: str(op.input, "body"), user: viewer, created: epoch.Add(time.Duration(l.seq) * time.Minute)}
		is.comments = append(is.comments, c)
		return map[string]any{"commentCreate": map[string]any{"success": true, "comment": map[string]any{"id": c.id, "body": c.body,
			"url": is.url() + "#comment-" + c.id[len(c.id)-8:], "createdAt": stamp(c.created), "user": map[string]any{"name": viewer.Name},
			"issue": map[string]any{"identifier": is.identifier}}}}, nil
	}
	return nil, linInvalid("Cannot query field \"%s\".", op.field)
}

// apply sets the input fields given on an issue.
func (l *Linear) apply(is *linIssue, in map[string]any) *linError {
	for k, v := range in {
		s, _ := v.(string)
		switch k {
		case "title":
			is.title = s
		case "description":
			is.description = s
		case "assigneeId":
			is.assignee = nil
			for _, u := range l.users {
				if u.ID == s {
					is.assignee = u
				}
			}
			if is.assignee == nil && v != nil {
				return linNotFound("User")
			}
		case "priority":
			n, _ := v.(float64)
			if n < 0 || n > 4 {
				return &linError{status: http.StatusOK, message: "Argument Validation Error", code: "INVALID_INPUT", typ: "invalid input", presentation: "priority must not be greater than 4"}
			}
			is.priority = int(n)
		case "stateId":
			i := slices.IndexFunc(is.team.states, func(st linState) bool { return st.id == s })
			if i < 0 {
				return linNotFound("WorkflowState")
			}
			is.state = is.team.states[i]
		case "labelIds":
			is.labels = nil
			for _, id := range v.([]any) {
				i := slices.IndexFunc(is.team.labels, func(lb linState) bool { return lb.id == id })
				if i < 0 {
					return linNotFound("IssueLabel")
				}
				is.labels = append(is.labels, is.team.labels[i])
			}
		case "projectId":
			is.projectID = s
		case "parentId":
			if l.issue(s) == nil {
				return linNotFound("Issue")
			}
			is.parentID = s
		case "estimate":
			n, _ := v.(float64)
			is.estimate, is.hasEstimate = int(n), true
		case "dueDate":
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				return linInvalid("Variable \"$dueDate\" got invalid value %q; Expected type \"TimelessDate\".", s)
			}
			is.dueDate = s
		}
	}
	l.seq++
	is.updated = epoch.Add(time.Duration(l.seq) * time.Minute)
	return nil
}

func (l *Linear) issue(id string) *linIssue {
	for _, is := range l.issues {
		if is.id == id || strings.EqualFold(is.identifier, id) {
			return is
		}
	}
	return nil
}

// linConnection pages items with first (default 50) and after (an offset
// cursor).
func linConnection(items []any, args map[string]any) map[string]any {
	first := 50
	if f, ok := args["first"].(float64); ok {
		first = int(f)
	}
	from := 0
	if a, ok := args["after"].(string); ok {
		from, _ = strconv.Atoi(strings.TrimPrefix(a, "cursor:"))
	}
	from = min(from, len(items))
	to := min(from+first, len(items))
	end := any(nil)
	if to > from {
		end = "cursor:" + strconv.Itoa(to)
	}
	nodes := items[from:to]
	if nodes == nil {
		nodes = []any{}
	}
	return map[string]any{"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": to < len(items), "endCursor": end}}
}

func (is *linIssue) url() string {
	return "https://linear.app/" + LinearOrg + "/issue/" + strings.ToLower(is.identifier)
}

var linPriorityLabels = []string{"No priority", "Urgent", "High", "Medium", "Low"}

func (is *linIssue) json() map[string]any {
	user := func(u *LinearUser) any {
		if u == nil {
			return nil
		}
		return map[string]any{"id": u.ID, "name": u.Name, "email": u.Email}
	}
	labels := []any{}
	for _, lb := range is.labels {
		labels = append(labels, map[string]any{"id": lb.id, "name": lb.name})
	}
	comments := []any{}
	for _, c := range is.comments {
		comments = append(comments, map[string]any{"id": c.id, "body": c.body, "createdAt": stamp(c.created), "user": map[string]any{"name": c.user.Name}})
	}
	out := map[string]any{
		"id": is.id, "identifier": is.identifier, "title": is.title, "description": nil, "url": is.url(),
		"priority": is.priority, "priorityLabel": linPriorityLabels[is.priority], "estimate": nil, "dueDate": nil,
		"createdAt": stamp(is.created), "updatedAt": stamp(is.updated), "completedAt": nil,
		"state":    map[string]any{"id": is.state.id, "name": is.state.name, "type": is.state.typ},
		"team":     map[string]any{"id": is.team.id, "key": is.team.key, "name": is.team.name},
		"assignee": user(is.assignee), "creator": map[string]any{"id": is.creator.ID, "name": is.creator.Name},
		"project": nil, "parent": nil, "labels": map[string]any{"nodes": labels}, "comments": map[string]any{"nodes": comments},
	}
	if is.description != "" {
		out["description"] = is.description
	}
	if is.hasEstimate {
		out["estimate"] = is.estimate
	}
	if is.dueDate != "" {
		out["dueDate"] = is.dueDate
	}
	if is.projectID != "" {
		out["project"] = map[string]any{"id": is.projectID, "name": "Project " + is.projectID}
	}
	if is.state.typ == "completed" {
		out["completedAt"] = stamp(is.updated)
	}
	return out
}

func (is *linIssue) matchesTerm(term string, comments bool) bool {
	text := is.title + " " + is.description
	if comments {
		for _, c := range is.comments {
			text += " " + c.body
		}
	}
	for _, w := range strings.Fields(strings.ToLower(term)) {
		if !strings.Contains(strings.ToLower(text), w) {
			return false
		}
	}
	return true
}

// matches applies the IssueFilter keys and comparators the toolkit builds.
func (is *linIssue) matches(f map[string]any, viewer *LinearUser) bool {
	cmp := func(c any, value string) bool {
		m, _ := c.(map[string]any)
		for op, want := range m {
			w := fmt.Sprint(want)
			switch op {
			case "eq":
				if value != w {
					return false
				}
			case "eqIgnoreCase":
				if !strings.EqualFold(value, w) {
					return false
				}
			case "gte":
				if value < w {
					return false
				}
			default:
				return false
			}
		}
		return true
	}
	get := func(path ...string) any {
		var v any = f
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		return v
	}
	if t := get("team"); t != nil && !(cmp(get("team", "id"), is.team.id) && cmp(get("team", "key"), is.team.key)) {
		return false
	}
	if a, ok := get("assignee").(map[string]any); ok {
		switch {
		case a["null"] == true:
			if is.assignee != nil {
				return false
			}
		case is.assignee == nil:
			return false
		case get("assignee", "isMe") != nil:
			if is.assignee != viewer {
				return false
			}
		default:
			if !cmp(a["email"], is.assignee.Email) || !cmp(a["id"], is.assignee.ID) {
				return false
			}
		}
	}
	if get("state") != nil && !(cmp(get("state", "name"), is.state.name) && cmp(get("state", "type"), is.state.typ)) {
		return false
	}
	if lb := get("labels", "some", "name"); lb != nil && !slices.ContainsFunc(is.labels, func(l linState) bool { return cmp(lb, l.name) }) {
		return false
	}
	if p := get("project", "id"); p != nil && !cmp(p, is.projectID) {
		return false
	}
	if p := get("priority"); p != nil && !cmp(p, strconv.Itoa(is.priority)) {
		return false
	}
	if u := get("updatedAt"); u != nil && !cmp(u, stamp(is.updated)) {
		return false
	}
	return true
}
