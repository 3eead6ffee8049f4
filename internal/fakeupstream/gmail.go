package fakeupstream

import (
	"bytes"
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

// Gmail scopes the fake knows.
const (
	GmailScopeModify   = "https://www.googleapis.com/auth/gmail.modify"
	GmailScopeReadonly = "https://www.googleapis.com/auth/gmail.readonly"
	GmailScopeFull     = "https://mail.google.com/"
)

// Gmail is a fake Gmail API v1 (https://gmail.googleapis.com/gmail/v1):
// mailboxes with bearer tokens and scopes, messages stored as RFC 5322
// documents and served in format full (a tree of MIME parts with base64url
// bodies), threads, labels, send, drafts, modify and trash. Like Google it
// answers failures with {"error": {"code", "message", "errors", "status"}}
// and a WWW-Authenticate challenge on 401 and missing scopes. It records
// every request and can fail requests on demand. It is safe for concurrent
// use.
type Gmail struct {
	recorder
	srv *httptest.Server

	mu        sync.Mutex
	tokens    map[string]*gmToken
	mailboxes map[string]*gmMailbox // by email
	seq       int64
}

type gmToken struct {
	box    *gmMailbox
	scopes []string
}

type gmMailbox struct {
	email    string
	messages []*gmMessage // oldest first
	labels   []gmLabel
	drafts   map[string]*gmMessage
}

type gmLabel struct{ id, name, typ string }

type gmMessage struct {
	id, threadID string
	labels       []string
	raw          []byte
	date         time.Time
}

// GmailMessage describes a message to add to a mailbox.
type GmailMessage struct {
	// Raw is the RFC 5322 message, e.g. "From: a@b\r\nSubject: Hi\r\n\r\nBody".
	Raw string
	// ThreadID puts the message in an existing thread; "" starts a new one.
	ThreadID string
	// Labels are label ids, e.g. INBOX, UNREAD.
	Labels []string
}

var gmSystemLabels = []string{"CHAT", "SENT", "INBOX", "IMPORTANT", "TRASH", "DRAFT", "SPAM", "CATEGORY_FORUMS",
	"CATEGORY_UPDATES", "CATEGORY_PERSONAL", "CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL", "STARRED", "UNREAD"}

// NewGmail starts a fake Gmail with no mailboxes on a loopback port. Call
// Close when done.
func NewGmail() *Gmail {
	g := &Gmail{tokens: map[string]*gmToken{}, mailboxes: map[string]*gmMailbox{}}
	g.srv = httptest.NewServer(g.record(40<<20, http.HandlerFunc(g.serve)))
	return g
}

// URL returns the API base URL, the equivalent of https://gmail.googleapis.com.
func (g *Gmail) URL() string { return g.srv.URL }

// Close shuts the server down.
func (g *Gmail) Close() { g.srv.Close() }

// AddUser makes token a credential of the mailbox email, creating the
// mailbox with the system labels and a user label "Work" (id Label_1) when
// it is new. With no scopes the token holds gmail.modify.
func (g *Gmail) AddUser(token, email string, scopes ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	box := g.mailboxes[email]
	if box == nil {
		box = &gmMailbox{email: email, drafts: map[string]*gmMessage{}}
		for _, l := range gmSystemLabels {
			box.labels = append(box.labels, gmLabel{l, l, "system"})
		}
		box.labels = append(box.labels, gmLabel{"Label_1", "Work", "user"})
		g.mailboxes[email] = box
	}
	if len(scopes) == 0 {
		scopes = []string{GmailScopeModify}
	}
	g.tokens[token] = &gmToken{box: box, scopes: scopes}
}

// AddMessage stores a message in the mailbox of email and returns its id.
func (g *Gmail) AddMessage(email string, m GmailMessage) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	box := g.mailboxes[email]
	if box == nil {
		panic("fakeupstream: AddMessage for unknown mailbox " + email)
	}
	return g.store(box, []byte(strings.ReplaceAll(m.Raw, "\r\n", "\n")), m.ThreadID, m.Labels).id
}

// store adds a message; g.mu is held. Line endings become CRLF.
func (g *Gmail) store(box *gmMailbox, raw []byte, threadID string, labels []string) *gmMessage {
	g.seq++
	raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	m := &gmMessage{id: fmt.Sprintf("18c%013x", g.seq), labels: slices.Clone(labels), raw: raw, date: epoch.Add(time.Duration(g.seq) * time.Minute)}
	if threadID == "" {
		threadID = m.id
	}
	m.threadID = threadID
	box.messages = append(box.messages, m)
	return m
}

// Messages returns the raw RFC 5322 messages of a mailbox, oldest first.
func (g *Gmail) Messages(email string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	if box := g.mailboxes[email]; box != nil {
		for _, m := range box.messages {
			out = append(out, string(m.raw))
		}
	}
	return out
}

var (
	gmTag   = regexp.MustCompile(`<[^>]*>`)
	gmStyle = regexp.MustCompile(`(?is)<(style|head)\b.*?</(style|head)>`)
)

var gmPath = regexp.MustCompile(`^/gmail/v1/users/([^/]+)/(profile|messages|threads|labels|drafts)(?:/([^/]+))?(?:/([^/]+))?$`)

// serve authenticates the request and routes it.
func (g *Gmail) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	tok := g.tokens[bearer(r)]
	if tok == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		gmailError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", "authError")
		return
	}
	m := gmPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		gmailError(w, http.StatusNotFound, "NOT_FOUND", "Not Found", "notFound")
		return
	}
	user, kind, id, action := m[1], m[2], m[3], m[4]
	if user != "me" && user != tok.box.email {
		gmailError(w, http.StatusForbidden, "PERMISSION_DENIED", "Delegation denied for "+tok.box.email, "forbidden")
		return
	}
	write := r.Method != http.MethodGet
	if !tok.allowed(write) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="`+
			strings.Join([]string{GmailScopeFull, GmailScopeModify}, " ")+`"`)
		gmailError(w, http.StatusForbidden, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", "insufficientPermissions")
		return
	}
	box := tok.box
	switch {
	case kind == "profile" && id == "" && r.Method == http.MethodGet:
		threads := map[string]bool{}
		for _, msg := range box.messages {
			threads[msg.threadID] = true
		}
		gmailJSON(w, map[string]any{"emailAddress": box.email, "messagesTotal": len(box.messages), "threadsTotal": len(threads), "historyId": strconv.FormatInt(1000+g.seq, 10)})
	case kind == "labels" && id == "" && r.Method == http.MethodGet:
		var labels []any
		for _, l := range box.labels {
			labels = append(labels, map[string]any{"id": l.id, "name": l.name, "type": l.typ})
		}
		gmailJSON(w, map[string]any{"labels": labels})
	case (kind == "messages" || kind == "threads") && id == "" && r.Method == http.MethodGet:
		g.list(w, r, box, kind)
	case kind == "messages" && id != "" && action == "" && r.Method == http.MethodGet:
		msg := box.message(id)
		if msg == nil {
			gmailError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", "notFound")
			return
		}
		if f := r.URL.Query().Get("format"); f != "" && f != "full" {
			gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "the fake serves format full only", "invalidArgument")
			return
		}
		gmailJSON(w, msg.resource(true))
	case kind == "threads" && id != "" && action == "" && r.Method == http.MethodGet:
		var msgs []any
		for _, msg := range box.messages {
			if msg.threadID == id {
				msgs = append(msgs, msg.resource(true))
			}
		}
		if msgs == nil {
			gmailError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", "notFound")
			return
		}
		gmailJSON(w, map[string]any{"id": id, "historyId": strconv.FormatInt(1000+g.seq, 10), "messages": msgs})
	case kind == "messages" && id == "send" && action == "" && r.Method == http.MethodPost:
		g.send(w, box, body, false)
	case kind == "drafts" && id == "" && r.Method == http.MethodPost:
		g.send(w, box, body, true)
	case kind == "messages" && id != "" && (action == "modify" || action == "trash") && r.Method == http.MethodPost:
		msg := box.message(id)
		if msg == nil {
			gmailError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", "notFound")
			return
		}
		add, remove := []string{"TRASH"}, []string{"INBOX"}
		if action == "modify" {
			var req struct{ AddLabelIds, RemoveLabelIds []string }
			if err := json.Unmarshal(body, &req); err != nil {
				gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.", "badRequest")
				return
			}
			add, remove = req.AddLabelIds, req.RemoveLabelIds
			for _, l := range append(slices.Clone(add), remove...) {
				if !box.hasLabel(l) {
					gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid label: "+l, "invalidArgument")
					return
				}
			}
		} else if len(body) > 0 {
			gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "trash takes no request body", "badRequest")
			return
		}
		msg.labels = slices.DeleteFunc(msg.labels, func(l string) bool { return slices.Contains(remove, l) })
		for _, l := range add {
			if !slices.Contains(msg.labels, l) {
				msg.labels = append(msg.labels, l)
			}
		}
		gmailJSON(w, msg.resource(false))
	default:
		gmailError(w, http.StatusNotFound, "NOT_FOUND", "Not Found", "notFound")
	}
}

// allowed reports whether the token's scopes allow reading or writing.
func (t *gmToken) allowed(write bool) bool {
	for _, s := range t.scopes {
		if s == GmailScopeModify || s == GmailScopeFull || (!write && s == GmailScopeReadonly) {
			return true
		}
	}
	return false
}

// gmailJSON answers 200 with v.
func gmailJSON(w http.ResponseWriter, v any) { writeGoogleJSON(w, http.StatusOK, v) }

// gmailError answers with Google's JSON error shape.
func gmailError(w http.ResponseWriter, code int, status, message, reason string) {
	writeGoogleJSON(w, code, googleErrorDoc(code, status, message, "global", reason))
}
