package fakeupstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Linear is a fake Linear GraphQL API (POST https://api.linear.app/graphql)
// for the operations Switchboard's linear toolkit sends: viewer, teams,
// issues (with the IssueFilter keys it builds), searchIssues, issue,
// issueCreate, issueUpdate and commentCreate. It reads a document's one
// operation the way a GraphQL server validates it against Linear's schema:
// every variable declared and used, declared with the type its position
// expects (String! for issue(id:), Int for priority, …), required ones
// provided, and input object fields known to their input type; absent
// optional variables leave their input fields out. Answers carry every
// field the toolkit selects. Failures are Linear's: {"errors": [{"message",
// "extensions": {"code", "type", "userPresentableMessage"}}]}, HTTP 400 for
// authentication and validation errors. OAuth tokens must come as "Bearer
// <token>", personal API keys bare. It records every request and can fail
// requests on demand. It is safe for concurrent use.
type Linear struct {
	srv *httptest.Server

	mu       sync.Mutex
	creds    map[string]*linCred // by the Authorization header value
	users    []*LinearUser
	teams    []*linTeam
	issues   []*linIssue
	seq      int
	requests []Request
	failures map[string][]*failure
}

// LinearUser is a member of the fake workspace.
type LinearUser struct {
	ID, Name, DisplayName, Email string
	Admin                        bool
}

type linCred struct{ user *LinearUser }

type linTeam struct {
	id, key, name, description string
	states                     []linState
	labels                     []linState // id and name
	next                       int
}

type linState struct{ id, name, typ string }

type linIssue struct {
	id, identifier, title, description string
	team                               *linTeam
	state                              linState
	assignee, creator                  *LinearUser
	priority, estimate                 int
	hasEstimate                        bool
	labels                             []linState
	projectID, parentID, dueDate       string
	created, updated                   time.Time
	comments                           []linComment
}

type linComment struct {
	id, body string
	user     *LinearUser
	created  time.Time
}

// The fake workspace.
const LinearOrg = "acme"

// NewLinear starts a fake Linear on a loopback port with team ENG
// (states Backlog, Todo, In Progress, Done, Canceled; labels Bug, Feature)
// and no users. Call Close when done.
func NewLinear() *Linear {
	l := &Linear{creds: map[string]*linCred{}, failures: map[string][]*failure{}}
	eng := &linTeam{id: "9cfb482a-81e3-4154-b5b9-2c805e70a02d", key: "ENG", name: "Engineering", description: "Product engineering"}
	for i, s := range [][2]string{{"Backlog", "backlog"}, {"Todo", "unstarted"}, {"In Progress", "started"}, {"Done", "completed"}, {"Canceled", "canceled"}} {
		eng.states = append(eng.states, linState{fmt.Sprintf("5e1c0c3a-0000-4000-8000-00000000000%d", i+1), s[0], s[1]})
	}
	eng.labels = []linState{{id: "1abe1000-0000-4000-8000-000000000001", name: "Bug"}, {id: "1abe1000-0000-4000-8000-000000000002", name: "Feature"}}
	l.teams = append(l.teams, eng, &linTeam{id: "0d5a7e11-6e6f-4d2b-9a41-7bd4a2f3c8e1", key: "OPS", name: "Operations",
		states: []linState{{"5e1c0c3a-0000-4000-8000-0000000000f1", "Todo", "unstarted"}}})
	l.srv = httptest.NewServer(http.HandlerFunc(l.serve))
	return l
}

// URL returns the API base URL, the equivalent of https://api.linear.app.
func (l *Linear) URL() string { return l.srv.URL }

// Close shuts the server down.
func (l *Linear) Close() { l.srv.Close() }

// EngTeamID is the id of team ENG.
const EngTeamID = "9cfb482a-81e3-4154-b5b9-2c805e70a02d"

// AddUser adds a member with an OAuth access token (sent as "Bearer
// <token>") and, when apiKey is not "", a personal API key (sent bare).
func (l *Linear) AddUser(u LinearUser, token, apiKey string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := &u
	l.users = append(l.users, p)
	if token != "" {
		l.creds["Bearer "+token] = &linCred{user: p}
	}
	if apiKey != "" {
		l.creds[apiKey] = &linCred{user: p}
	}
}

// AddIssue adds an issue to team ENG in the state named state and returns
// its identifier (ENG-1, …).
func (l *Linear) AddIssue(title, description, state, assigneeEmail string, priority int, labels ...string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	team := l.teams[0]
	is := l.newIssue(team, title, description, l.users[0])
	is.priority = priority
	for _, s := range team.states {
		if s.name == state {
			is.state = s
		}
	}
	for _, u := range l.users {
		if u.Email == assigneeEmail {
			is.assignee = u
		}
	}
	for _, name := range labels {
		for _, lb := range team.labels {
			if lb.name == name {
				is.labels = append(is.labels, lb)
			}
		}
	}
	return is.identifier
}

func (l *Linear) newIssue(team *linTeam, title, description string, creator *LinearUser) *linIssue {
	l.seq++
	team.next++
	now := epoch.Add(time.Duration(l.seq) * time.Minute)
	is := &linIssue{id: fmt.Sprintf("1ssue000-0000-4000-8000-%012d", l.seq), identifier: fmt.Sprintf("%s-%d", team.key, team.next),
		title: title, description: description, team: team, state: team.states[0], creator: creator, created: now, updated: now}
	l.issues = append(l.issues, is)
	return is
}

// AddComment adds a comment by the first user to the issue with identifier.
func (l *Linear) AddComment(identifier, body string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	is := l.issue(identifier)
	l.seq++
	is.comments = append(is.comments, linComment{id: fmt.Sprintf("c0mment0-0000-4000-8000-%012d", l.seq), body: body, user: l.users[0], created: epoch.Add(time.Duration(l.seq) * time.Minute)})
}

// Requests returns a copy of every request received since the start or the
// last Reset, oldest first.
func (l *Linear) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, len(l.requests))
	for i, r := range l.requests {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// Reset forgets the recorded requests and pending failures.
func (l *Linear) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = nil
	l.failures = map[string][]*failure{}
}

// Fail makes the next times requests on path answer status with header
// and body; status 0 drops the connection.
func (l *Linear) Fail(path string, status int, header http.Header, body string, times int) {
	if times <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[path] = append(l.failures[path], &failure{status: status, header: header.Clone(), body: body, times: times})
}

func (l *Linear) nextFailure(path string) *failure {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.failures[path]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if f.times--; f.times == 0 {
		l.failures[path] = q[1:]
	}
	return f
}

// linError is a GraphQL error answer.
type linError struct {
	status            int
	message, code     string
	typ, presentation string
}

func (e *linError) write(w http.ResponseWriter) {
	ext := map[string]any{"code": e.code, "type": e.typ, "userError": true}
	if e.presentation != "" {
		ext["userPresentableMessage"] = e.presentation
	}
	linJSON(w, e.status, map[string]any{"errors": []any{map[string]any{"message": e.message, "extensions": ext}}, "data": nil})
}

func linInvalid(format string, args ...any) *linError {
	return &linError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...), code: "GRAPHQL_VALIDATION_FAILED", typ: "graphql error"}
}

func linNotFound(what string) *linError {
	return &linError{status: http.StatusOK, message: "Entity not found: " + what, code: "INVALID_INPUT", typ: "invalid input",
		presentation: "Could not find referenced " + what + "."}
}

func linJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (l *Linear) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	l.mu.Lock()
	l.requests = append(l.requests, Request{Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery, Token: bearer(r), Header: r.Header.Clone(), Body: string(body)})
	l.mu.Unlock()
	if f := l.nextFailure(r.URL.Path); f != nil {
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
	if r.URL.Path != "/graphql" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cred := l.creds[r.Header.Get("Authorization")]
	if cred == nil {
		(&linError{status: http.StatusBadRequest, message: "Authentication required, not authenticated", code: "AUTHENTICATION_ERROR",
			typ: "authentication error", presentation: "You need to authenticate to access this operation."}).write(w)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		linInvalid("Must provide query string.").write(w)
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Query == "" {
		linInvalid("Must provide query string.").write(w)
		return
	}
	op, lerr := linParse(req.Query, req.Variables)
	if lerr != nil {
		lerr.write(w)
		return
	}
	data, lerr := l.execute(op, cred.user)
	if lerr != nil {
		lerr.write(w)
		return
	}
	linJSON(w, http.StatusOK, map[string]any{"data": data})
}

// linOp is a parsed operation: its root field, and the values of its
// arguments and input fields (absent when their variable was not given).
type linOp struct {
	field string
	args  map[string]any
	input map[string]any
}

var (
	linVarDef  = regexp.MustCompile(`\$(\w+)\s*:\s*([\w\[\]!]+)`)
	linVarUse  = regexp.MustCompile(`\$(\w+)`)
	linArgPair = regexp.MustCompile(`(\w+)\s*:\s*\$(\w+)`)
	linRoot    = regexp.MustCompile(`^\s*(\w+)\s*(\(([^()]*)\))?`)
)

// linSchema is the part of Linear's schema the toolkit touches: for each
// root field, the type of each argument and input field.
var linSchema = map[string]map[string]string{
	"viewer": {},
	"teams":  {"first": "Int", "after": "String", "filter": "TeamFilter"},
	"issues": {"filter": "IssueFilter", "first": "Int", "after": "String", "orderBy": "PaginationOrderBy", "includeArchived": "Boolean"},
	"searchIssues": {"term": "String!", "first": "Int", "after": "String", "filter": "IssueFilter", "includeComments": "Boolean",
		"teamId": "String", "includeArchived": "Boolean", "orderBy": "PaginationOrderBy"},
	"issue": {"id": "String!"},
	"issueCreate": {"input.teamId": "String!", "input.title": "String", "input.description": "String", "input.assigneeId": "String",
		"input.priority": "Int", "input.stateId": "String", "input.labelIds": "[String!]", "input.projectId": "String",
		"input.parentId": "String", "input.estimate": "Int", "input.dueDate": "TimelessDate"},
	"issueUpdate": {"id": "String!", "input.title": "String", "input.description": "String", "input.assigneeId": "String",
		"input.priority": "Int", "input.stateId": "String", "input.labelIds": "[String!]", "input.projectId": "String",
		"input.parentId": "String", "input.estimate": "Int", "input.dueDate": "TimelessDate"},
	"commentCreate": {"input.issueId": "String", "input.body": "String"},
}

// linParse validates the document as Linear's server would for these
// operations and resolves its variables.
func linParse(doc string, vars map[string]any) (*linOp, *linError) {
	open := strings.Index(doc, "{")
	if open < 0 || strings.LastIndex(doc, "}") < open {
		return nil, linInvalid("Syntax Error: Expected \"{\".")
	}
	head, rest := doc[:open], doc[open+1:]
	declared := map[string]string{}
	for _, m := range linVarDef.FindAllStringSubmatch(head, -1) {
		declared[m[1]] = m[2]
	}
	used := map[string]bool{}
	for _, m := range linVarUse.FindAllStringSubmatch(rest, -1) {
		used[m[1]] = true
		if _, ok := declared[m[1]]; !ok {
			return nil, linInvalid("Variable \"$%s\" is not defined.", m[1])
		}
	}
	for name, typ := range declared {
		if !used[name] {
			return nil, linInvalid("Variable \"$%s\" is never used.", name)
		}
		if v, ok := vars[name]; strings.HasSuffix(typ, "!") && (!ok || v == nil) {
			return nil, linInvalid("Variable \"$%s\" of required type \"%s\" was not provided.", name, typ)
		}
	}
	m := linRoot.FindStringSubmatch(rest)
	if m == nil {
		return nil, linInvalid("Syntax Error: Expected Name.")
	}
	op := &linOp{field: m[1], args: map[string]any{}, input: map[string]any{}}
	types, known := linSchema[op.field]
	if !known {
		return nil, linInvalid("Cannot query field \"%s\" on type \"Query\".", op.field)
	}
	argText := m[3]
	if strings.Contains(op.field, "Create") || op.field == "issueUpdate" {
		// issueUpdate(id: $id, input: {…}): the parentheses hold an object.
		end := strings.Index(rest, ") {")
		if end < 0 {
			return nil, linInvalid("Syntax Error: Expected \")\".")
		}
		argText = rest[strings.Index(rest, "(")+1 : end]
	}
	inInput := map[string]bool{}
	if i := strings.Index(argText, "input:"); i >= 0 {
		inner := argText[i:]
		for _, p := range linArgPair.FindAllStringSubmatch(inner, -1) {
			inInput[p[1]] = true
		}
	}
	for _, p := range linArgPair.FindAllStringSubmatch(argText, -1) {
		key, name := p[1], p[2]
		pos := key
		if inInput[key] {
			pos = "input." + key
		}
		want, ok := types[pos]
		if !ok {
			if inInput[key] {
				return nil, linInvalid("Field \"%s\" is not defined by type \"%sInput\".", key, strings.ToUpper(op.field[:1])+op.field[1:])
			}
			return nil, linInvalid("Unknown argument \"%s\" on field \"Query.%s\".", key, op.field)
		}
		got := declared[name]
		if strings.TrimSuffix(got, "!") != strings.TrimSuffix(want, "!") || (strings.HasSuffix(want, "!") && !strings.HasSuffix(got, "!")) {
			return nil, linInvalid("Variable \"$%s\" of type \"%s\" used in position expecting type \"%s\".", name, got, want)
		}
		v, given := vars[name]
		if !given {
			continue
		}
		if err := linCheckValue(name, want, v); err != nil {
			return nil, err
		}
		if inInput[key] {
			op.input[key] = v
		} else {
			op.args[key] = v
		}
	}
	for name := range vars {
		if _, ok := declared[name]; !ok {
			return nil, linInvalid("Variable \"$%s\" is not defined by the operation.", name)
		}
	}
	return op, nil
}

// linCheckValue checks a variable's JSON value against its GraphQL type.
func linCheckValue(name, typ string, v any) *linError {
	bad := func() *linError {
		return linInvalid("Variable \"$%s\" got invalid value %v; %s cannot represent it.", name, v, strings.TrimSuffix(typ, "!"))
	}
	if v == nil {
		return nil
	}
	switch strings.TrimSuffix(typ, "!") {
	case "String", "TimelessDate":
		if _, ok := v.(string); !ok {
			return bad()
		}
	case "Int":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return bad()
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return bad()
		}
	case "[String!]":
		list, ok := v.([]any)
		if !ok {
			return bad()
		}
		for _, item := range list {
			if _, ok := item.(string); !ok {
				return bad()
			}
		}
	case "PaginationOrderBy":
		if v != "createdAt" && v != "updatedAt" {
			return linInvalid("Variable \"$%s\" got invalid value %q; Value %q does not exist in \"PaginationOrderBy\" enum.", name, v, v)
		}
	case "IssueFilter", "TeamFilter":
		f, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		for key := range f {
			if !slices.Contains([]string{"team", "assignee", "state", "labels", "project", "priority", "updatedAt", "title", "and", "or"}, key) {
				return linInvalid("Variable \"$%s\" got invalid value; Field \"%s\" is not defined by type \"IssueFilter\".", name, key)
			}
		}
	}
	return nil
}

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
