package fakeupstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
	recorder
	srv *httptest.Server

	mu     sync.Mutex
	creds  map[string]*linCred // by the Authorization header value
	users  []*LinearUser
	teams  []*linTeam
	issues []*linIssue
	seq    int
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
	l := &Linear{creds: map[string]*linCred{}}
	eng := &linTeam{id: "9cfb482a-81e3-4154-b5b9-2c805e70a02d", key: "ENG", name: "Engineering", description: "Product engineering"}
	for i, s := range [][2]string{{"Backlog", "backlog"}, {"Todo", "unstarted"}, {"In Progress", "started"}, {"Done", "completed"}, {"Canceled", "canceled"}} {
		eng.states = append(eng.states, linState{fmt.Sprintf("5e1c0c3a-0000-4000-8000-00000000000%d", i+1), s[0], s[1]})
	}
	eng.labels = []linState{{id: "1abe1000-0000-4000-8000-000000000001", name: "Bug"}, {id: "1abe1000-0000-4000-8000-000000000002", name: "Feature"}}
	l.teams = append(l.teams, eng, &linTeam{id: "0d5a7e11-6e6f-4d2b-9a41-7bd4a2f3c8e1", key: "OPS", name: "Operations",
		states: []linState{{"5e1c0c3a-0000-4000-8000-0000000000f1", "Todo", "unstarted"}}})
	l.srv = httptest.NewServer(l.record(10<<20, http.HandlerFunc(l.serve)))
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
	writeJSON(w, e.status, map[string]any{"errors": []any{map[string]any{"message": e.message, "extensions": ext}}, "data": nil})
}

func linInvalid(format string, args ...any) *linError {
	return &linError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...), code: "GRAPHQL_VALIDATION_FAILED", typ: "graphql error"}
}

func linNotFound(what string) *linError {
	return &linError{status: http.StatusOK, message: "Entity not found: " + what, code: "INVALID_INPUT", typ: "invalid input",
		presentation: "Could not find referenced " + what + "."}
}

// serve authenticates the request, reads its one GraphQL operation and
// runs it.
func (l *Linear) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
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
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}
