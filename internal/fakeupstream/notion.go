package fakeupstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"
)

// NotionVersion is the only Notion-Version the fake serves: the data-source
// API of 2025-09-03 (databases hold data sources; rows are queried through
// /v1/data_sources/{id}/query).
const NotionVersion = "2025-09-03"

// Notion is a fake Notion API (api.notion.com, Notion-Version 2025-09-03):
// integration tokens, each the bot of an integration in one workspace; per
// workspace a seeded page with content and a database with one data source
// (see NotionSeed). It serves users/me, search, pages, block children,
// databases, data sources and data source queries (with the common filter
// conditions), pages by cursor, checks what Notion checks that a caller
// could get wrong (version header, token, capabilities, ids, body shapes,
// property names and types, limits), answers with Notion's error object
// {"object":"error","status","code","message"}, records every request and
// can fail requests on demand. It is safe for concurrent use.
//
// Everything in a workspace counts as shared with every bot of that
// workspace; objects of other workspaces are not found (404), as in Notion.
type Notion struct {
	recorder
	srv *httptest.Server

	mu      sync.Mutex
	bots    map[string]*ntBot       // by token
	spaces  map[string]*ntWorkspace // by name
	pages   map[string]*ntPage      // by id
	blocks  map[string]*ntBlock     // by id
	dbs     map[string]*ntDatabase  // by id
	sources map[string]*ntSource    // by id
	seq     int                     // ids and timestamps
}

// NotionBot is the identity behind a token: an integration's bot user in
// one workspace.
type NotionBot struct {
	// ID is the bot user's id; "" derives one.
	ID string
	// Name is the integration's name.
	Name string
	// Workspace names the workspace; its content is seeded on first use.
	Workspace string
	// OwnerName and OwnerEmail are the user who authorized a public (OAuth)
	// integration; both empty make an internal integration, owned by the
	// workspace.
	OwnerName, OwnerEmail string
	// ReadOnly leaves out the insert and update content capabilities:
	// creating pages and appending blocks answer 403 restricted_resource.
	ReadOnly bool
}

// NotionSeed names the objects a new workspace starts with: the page Home
// (at the workspace's top level) whose content is a heading_1 "Welcome", a
// paragraph "This workspace belongs to <workspace>." (the name in bold, so
// two rich text runs), an unchecked to_do, a toggle "Details" holding one
// paragraph, a go code block and the inline database Tasks. Tasks has one
// data source, Tasks, with the properties Name (title), Status (status: Not
// started, In progress, Done), Due (date), Tags (multi_select: work, home)
// and Points (number), and the rows of TaskIDs.
type NotionSeed struct {
	HomePageID   string
	DatabaseID   string
	DataSourceID string
	// TaskIDs are the rows "Write report" (In progress, due 2024-02-01,
	// work, 3 points), "Plan offsite" (Not started, due 2024-03-15, work,
	// 5) and "Pay invoices" (Done, no due date, home, 1), in that order.
	TaskIDs []string
	// HomeBlockIDs are Home's blocks in order (the last is the database's
	// child_database block, whose id is DatabaseID); the toggle's child is
	// ToggleChildID.
	HomeBlockIDs  []string
	ToggleChildID string
	// OwnerID is the workspace member who created all of it.
	OwnerID string
}

type ntBot struct {
	NotionBot
	space *ntWorkspace
	owner string // the owner user's id, for a public integration
}

type ntWorkspace struct {
	id, name string
	owner    string // the user who created the seeded content
	seed     NotionSeed
}

type ntPage struct {
	id      string
	space   *ntWorkspace
	parent  map[string]any
	source  *ntSource // for database rows
	props   map[string]any
	content []string // block ids
	created int
	edited  int
	creator string
	trashed bool
}

type ntBlock struct {
	id      string
	space   *ntWorkspace
	parent  map[string]any
	typ     string
	value   map[string]any
	content []string
	created int
	creator string
}

type ntDatabase struct {
	id, title string
	space     *ntWorkspace
	parent    map[string]any
	sources   []*ntSource
	created   int
}

type ntSource struct {
	id, title string
	db        *ntDatabase
	schema    []*ntProp
	created   int
}

type ntProp struct {
	id, name, typ string
	options       []string // select, multi_select, status
}

// ntError is Notion's error object.
type ntError struct {
	status        int
	code, message string
}

func ntErrorf(status int, code, format string, args ...any) *ntError {
	return &ntError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func ntInvalid(format string, args ...any) *ntError {
	return ntErrorf(http.StatusBadRequest, "validation_error", format, args...)
}

// NewNotion starts a fake Notion on a loopback port. Call Close when done.
func NewNotion() *Notion {
	n := &Notion{
		bots: map[string]*ntBot{}, spaces: map[string]*ntWorkspace{}, pages: map[string]*ntPage{},
		blocks: map[string]*ntBlock{}, dbs: map[string]*ntDatabase{}, sources: map[string]*ntSource{},
	}
	n.srv = httptest.NewServer(n.handler())
	return n
}

// URL returns the API base URL, the equivalent of https://api.notion.com.
func (n *Notion) URL() string { return n.srv.URL }

// Close shuts the server down.
func (n *Notion) Close() { n.srv.Close() }

// AddBot registers token as a credential of bot and returns the bot with
// its ID filled in. Several tokens may name the same bot ID (a
// re-authorization).
func (n *Notion) AddBot(token string, bot NotionBot) NotionBot {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.spaces[bot.Workspace]
	if s == nil {
		s = n.seedLocked(bot.Workspace)
	}
	if bot.ID == "" {
		bot.ID = n.idLocked()
	}
	b := &ntBot{NotionBot: bot, space: s}
	if bot.OwnerName != "" || bot.OwnerEmail != "" {
		for _, other := range n.bots {
			if other.ID == bot.ID {
				b.owner = other.owner // a re-authorization by the same user
			}
		}
		if b.owner == "" {
			b.owner = n.idLocked()
		}
	}
	n.bots[token] = b
	return bot
}

// Seed returns the ids of workspace's seeded objects (zero when the
// workspace is unknown).
func (n *Notion) Seed(workspace string) NotionSeed {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s := n.spaces[workspace]; s != nil {
		return s.seed
	}
	return NotionSeed{}
}

// RevokeToken makes token unknown, so that requests with it get 401.
func (n *Notion) RevokeToken(token string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.bots, token)
}

// ntHandler serves one endpoint for bot; body is the decoded JSON object of
// a POST or PATCH ({} when empty).
type ntHandler func(bot *ntBot, r *http.Request, body map[string]any) (any, *ntError)

// handler records the request, applies injected failures, then routes.
func (n *Notion) handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, write bool, h ntHandler) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { n.serve(w, r, write, h) })
	}
	route("GET /v1/users/me", false, n.usersMe)
	route("POST /v1/search", false, n.search)
	route("POST /v1/pages", true, n.createPage)
	route("GET /v1/pages/{id}", false, n.getPage)
	route("GET /v1/blocks/{id}/children", false, n.listChildren)
	route("PATCH /v1/blocks/{id}/children", true, n.appendChildren)
	route("GET /v1/databases/{id}", false, n.getDatabase)
	route("GET /v1/data_sources/{id}", false, n.getSource)
	route("POST /v1/data_sources/{id}/query", false, n.querySource)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ntWrite(w, nil, ntErrorf(http.StatusBadRequest, "invalid_request_url", "Invalid request URL."))
	})
	return n.record(5<<20, mux)
}

// serve checks the version header, the token and, for writes, the
// capabilities, decodes a JSON body, then runs h.
func (n *Notion) serve(w http.ResponseWriter, r *http.Request, write bool, h ntHandler) {
	switch v := r.Header.Get("Notion-Version"); {
	case v == "":
		ntWrite(w, nil, ntErrorf(http.StatusBadRequest, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`."))
		return
	case v != NotionVersion:
		ntWrite(w, nil, ntErrorf(http.StatusBadRequest, "validation_error", "Notion-Version header failed validation: this fake serves only %q, instead was %q.", NotionVersion, v))
		return
	}
	n.mu.Lock()
	bot := n.bots[bearer(r)]
	n.mu.Unlock()
	if bot == nil {
		ntWrite(w, nil, ntErrorf(http.StatusUnauthorized, "unauthorized", "API token is invalid."))
		return
	}
	if write && bot.ReadOnly {
		ntWrite(w, nil, ntErrorf(http.StatusForbidden, "restricted_resource", "Insufficient permissions for this endpoint."))
		return
	}
	body := map[string]any{}
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		data, _ := io.ReadAll(r.Body)
		if len(bytes.TrimSpace(data)) > 0 {
			var v any
			if json.Unmarshal(data, &v) != nil {
				ntWrite(w, nil, ntErrorf(http.StatusBadRequest, "invalid_json", "Error parsing JSON body."))
				return
			}
			m, ok := v.(map[string]any)
			if !ok {
				ntWrite(w, nil, ntInvalid("body failed validation: body should be an object, instead was `%s`.", data))
				return
			}
			body = m
		}
	}
	n.mu.Lock()
	out, e := h(bot, r, body)
	n.mu.Unlock()
	ntWrite(w, out, e)
}

// ntWrite answers v, or Notion's error object for e when it is not nil.
func ntWrite(w http.ResponseWriter, v any, e *ntError) {
	if e != nil {
		writeJSON(w, e.status, map[string]any{"object": "error", "status": e.status, "code": e.code, "message": e.message})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// --- ids, times and lookups (callers hold n.mu) ---

func (n *Notion) idLocked() string {
	n.seq++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.seq)
}

// ntTime renders a fake clock tick the way Notion does (minute precision).
func ntTime(tick int) string {
	return epoch.Add(time.Duration(tick) * time.Minute).Truncate(time.Minute).Format("2006-01-02T15:04:05.000Z")
}

var ntHex = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ntID normalizes a Notion id (with or without dashes) to the dashed form.
func ntID(raw, what string) (string, *ntError) {
	s := strings.ToLower(strings.ReplaceAll(raw, "-", ""))
	if !ntHex.MatchString(s) {
		return "", ntInvalid("path failed validation: path.%s should be a valid uuid, instead was `%q`.", what, raw)
	}
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:], nil
}

func ntNotFound(kind, id string, bot *ntBot) *ntError {
	return ntErrorf(http.StatusNotFound, "object_not_found",
		"Could not find %s with ID: %s. Make sure the relevant pages and databases are shared with your integration %q.", kind, id, bot.Name)
}

func (n *Notion) page(bot *ntBot, raw, what string) (*ntPage, *ntError) {
	id, e := ntID(raw, what)
	if e != nil {
		return nil, e
	}
	if p := n.pages[id]; p != nil && p.space == bot.space {
		return p, nil
	}
	return nil, ntNotFound("page", id, bot)
}

func (n *Notion) source(bot *ntBot, raw, what string) (*ntSource, *ntError) {
	id, e := ntID(raw, what)
	if e != nil {
		return nil, e
	}
	if s := n.sources[id]; s != nil && s.db.space == bot.space {
		return s, nil
	}
	return nil, ntNotFound("data_source", id, bot)
}

func (s *ntSource) prop(key string) *ntProp {
	for _, p := range s.schema {
		if p.name == key || p.id == key {
			return p
		}
	}
	return nil
}
