package fakeupstream

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
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
	srv *httptest.Server

	mu        sync.Mutex
	tokens    map[string]*gmToken
	mailboxes map[string]*gmMailbox // by email
	seq       int64
	requests  []Request
	failures  map[string][]*failure // by path
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
	g := &Gmail{tokens: map[string]*gmToken{}, mailboxes: map[string]*gmMailbox{}, failures: map[string][]*failure{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
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

// Requests returns a copy of every request received since the start or the
// last Reset, oldest first.
func (g *Gmail) Requests() []Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Request, len(g.requests))
	for i, r := range g.requests {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// Reset forgets the recorded requests and pending failures; mailboxes stay.
func (g *Gmail) Reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = nil
	g.failures = map[string][]*failure{}
}

// Fail makes the next times requests on path (exact URL path, any method)
// answer status with header and body instead of being served; status 0
// drops the connection.
func (g *Gmail) Fail(path string, status int, header http.Header, body string, times int) {
	if times <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failures[path] = append(g.failures[path], &failure{status: status, header: header.Clone(), body: body, times: times})
}

func (g *Gmail) nextFailure(path string) *failure {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.failures[path]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if f.times--; f.times == 0 {
		g.failures[path] = q[1:]
	}
	return f
}

var (
	gmTag   = regexp.MustCompile(`<[^>]*>`)
	gmStyle = regexp.MustCompile(`(?is)<(style|head)\b.*?</(style|head)>`)
)

var gmPath = regexp.MustCompile(`^/gmail/v1/users/([^/]+)/(profile|messages|threads|labels|drafts)(?:/([^/]+))?(?:/([^/]+))?$`)

func (g *Gmail) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 40<<20))
	g.mu.Lock()
	g.requests = append(g.requests, Request{Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery, Token: bearer(r), Header: r.Header.Clone(), Body: string(body)})
	g.mu.Unlock()
	if f := g.nextFailure(r.URL.Path); f != nil {
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

func (b *gmMailbox) message(id string) *gmMessage {
	for _, m := range b.messages {
		if m.id == id {
			return m
		}
	}
	return nil
}

func (b *gmMailbox) hasLabel(id string) bool {
	return slices.ContainsFunc(b.labels, func(l gmLabel) bool { return l.id == id })
}

// list serves messages.list and threads.list, newest first: q understands
// from:, to:, subject:, is:unread, is:starred, label:, in:, and plain words
// (searched in the whole message); labelIds must all match; pageToken is an
// offset.
func (g *Gmail) list(w http.ResponseWriter, r *http.Request, box *gmMailbox, kind string) {
	q := r.URL.Query()
	max := 100
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value for maxResults", "invalid")
			return
		}
		max = n
	}
	offset := 0
	if v := q.Get("pageToken"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid pageToken", "invalid")
			return
		}
		offset = n
	}
	spam := q.Get("includeSpamTrash") == "true"
	var hits []*gmMessage
	seen := map[string]bool{}
	for i := len(box.messages) - 1; i >= 0; i-- {
		m := box.messages[i]
		if !spam && (slices.Contains(m.labels, "SPAM") || slices.Contains(m.labels, "TRASH")) {
			continue
		}
		if !m.matches(q.Get("q"), q["labelIds"], box) {
			continue
		}
		if kind == "threads" {
			if seen[m.threadID] {
				continue
			}
			seen[m.threadID] = true
		}
		hits = append(hits, m)
	}
	out := map[string]any{"resultSizeEstimate": len(hits)}
	page := hits[min(offset, len(hits)):min(offset+max, len(hits))]
	var items []any
	for _, m := range page {
		if kind == "threads" {
			items = append(items, map[string]any{"id": m.threadID, "snippet": m.snippet(), "historyId": "1000"})
		} else {
			items = append(items, map[string]any{"id": m.id, "threadId": m.threadID})
		}
	}
	if items != nil {
		out[kind] = items
	}
	if offset+max < len(hits) {
		out["nextPageToken"] = strconv.Itoa(offset + max)
	}
	gmailJSON(w, out)
}

func (m *gmMessage) matches(query string, labelIDs []string, box *gmMailbox) bool {
	for _, l := range labelIDs {
		if !slices.Contains(m.labels, l) {
			return false
		}
	}
	parsed, _ := mail.ReadMessage(bytes.NewReader(m.raw))
	header := func(name string) string {
		if parsed == nil {
			return ""
		}
		return strings.ToLower(parsed.Header.Get(name))
	}
	for _, term := range strings.Fields(strings.ToLower(query)) {
		key, val, has := strings.Cut(term, ":")
		ok := true
		switch {
		case has && (key == "from" || key == "to" || key == "subject"):
			ok = strings.Contains(header(key), val)
		case has && key == "is" && (val == "unread" || val == "starred"):
			ok = slices.Contains(m.labels, strings.ToUpper(val))
		case has && (key == "label" || key == "in"):
			ok = slices.ContainsFunc(m.labels, func(l string) bool {
				return strings.EqualFold(l, val) || slices.ContainsFunc(box.labels, func(b gmLabel) bool { return b.id == l && strings.EqualFold(b.name, val) })
			})
		default:
			ok = strings.Contains(strings.ToLower(string(m.raw)), term)
		}
		if !ok {
			return false
		}
	}
	return true
}

// send stores a sent message or a draft from {raw, threadId} (a draft:
// {message: {raw, threadId}}), checking what Gmail checks.
func (g *Gmail) send(w http.ResponseWriter, box *gmMailbox, body []byte, draft bool) {
	type message struct {
		Raw      string `json:"raw"`
		ThreadID string `json:"threadId"`
	}
	var msg message
	if draft {
		var d struct{ Message *message }
		if err := json.Unmarshal(body, &d); err != nil || d.Message == nil {
			gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid draft: the message is missing", "invalidArgument")
			return
		}
		msg = *d.Message
	} else if err := json.Unmarshal(body, &msg); err != nil {
		gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.", "badRequest")
		return
	}
	raw, err := base64.URLEncoding.DecodeString(msg.Raw)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(msg.Raw); err != nil {
			gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value for ByteString: "+msg.Raw[:min(len(msg.Raw), 20)], "invalidArgument")
			return
		}
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid RFC 5322 message", "invalidArgument")
		return
	}
	if !draft && parsed.Header.Get("To") == "" && parsed.Header.Get("Cc") == "" && parsed.Header.Get("Bcc") == "" {
		gmailError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "Precondition check failed.", "failedPrecondition")
		return
	}
	for _, h := range []string{"To", "Cc", "Bcc"} {
		if v := parsed.Header.Get(h); v != "" {
			if _, err := mail.ParseAddressList(v); err != nil {
				gmailError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid "+h+" header", "invalidArgument")
				return
			}
		}
	}
	if msg.ThreadID != "" && !slices.ContainsFunc(box.messages, func(m *gmMessage) bool { return m.threadID == msg.ThreadID }) {
		gmailError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", "notFound")
		return
	}
	full := append([]byte("From: "+box.email+"\r\n"), raw...)
	if draft {
		m := g.store(box, full, msg.ThreadID, []string{"DRAFT"})
		id := "r" + strings.TrimPrefix(m.id, "18c")
		box.drafts[id] = m
		gmailJSON(w, map[string]any{"id": id, "message": m.resource(false)})
		return
	}
	gmailJSON(w, g.store(box, full, msg.ThreadID, []string{"SENT"}).resource(false))
}

// resource renders the Message resource: ids and labels, and with full the
// snippet and payload (format full).
func (m *gmMessage) resource(full bool) map[string]any {
	out := map[string]any{"id": m.id, "threadId": m.threadID, "labelIds": m.labels}
	if !full {
		return out
	}
	out["snippet"] = m.snippet()
	out["historyId"] = "1000"
	out["internalDate"] = strconv.FormatInt(m.date.UnixMilli(), 10)
	out["sizeEstimate"] = len(m.raw)
	if parsed, err := mail.ReadMessage(bytes.NewReader(m.raw)); err == nil {
		seq := 0
		out["payload"] = gmPart(parsed.Header, parsed.Body, "", &seq, m.id)
	}
	return out
}

// snippet is the start of the message's first text part, tags removed.
func (m *gmMessage) snippet() string {
	parsed, err := mail.ReadMessage(bytes.NewReader(m.raw))
	if err != nil {
		return ""
	}
	seq := 0
	text := gmText(gmPart(parsed.Header, parsed.Body, "", &seq, m.id))
	text = gmStyle.ReplaceAllString(text, " ")
	s := strings.Join(strings.Fields(html.UnescapeString(gmTag.ReplaceAllString(text, " "))), " ")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

// gmText returns the data of the first text part below p.
func gmText(p map[string]any) string {
	if body, _ := p["body"].(map[string]any); body != nil && strings.HasPrefix(p["mimeType"].(string), "text/") {
		if data, _ := body["data"].(string); data != "" {
			d, _ := base64.URLEncoding.DecodeString(data)
			for _, h := range p["headers"].([]any) {
				kv := h.(map[string]any)
				if _, params, _ := mime.ParseMediaType(kv["value"].(string)); kv["name"] == "Content-Type" && strings.EqualFold(params["charset"], "iso-8859-1") {
					runes := make([]rune, len(d)) // Latin-1 bytes are the first 256 code points
					for i, b := range d {
						runes[i] = rune(b)
					}
					return string(runes)
				}
			}
			return string(d)
		}
	}
	parts, _ := p["parts"].([]any)
	for _, sub := range parts {
		if s := gmText(sub.(map[string]any)); s != "" {
			return s
		}
	}
	return ""
}

// gmPart renders one MIME part the way format full does: headers as a list,
// a non-multipart body transfer-decoded and base64url-encoded (attachments
// by attachmentId instead), multipart children in parts.
func gmPart(h map[string][]string, body io.Reader, partID string, seq *int, msgID string) map[string]any {
	get := func(name string) string {
		if v := h[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var headers []any
	for name, vs := range h {
		for _, v := range vs {
			headers = append(headers, map[string]any{"name": name, "value": v})
		}
	}
	slices.SortFunc(headers, func(a, b any) int {
		return strings.Compare(a.(map[string]any)["name"].(string), b.(map[string]any)["name"].(string))
	})
	ct := get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mt, params, _ := mime.ParseMediaType(ct)
	_, dispParams, _ := mime.ParseMediaType(get("Content-Disposition"))
	filename := dispParams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	p := map[string]any{"partId": partID, "mimeType": mt, "filename": filename, "headers": headers}
	if strings.HasPrefix(mt, "multipart/") {
		p["body"] = map[string]any{"size": 0}
		mr := multipart.NewReader(body, params["boundary"])
		var parts []any
		for i := 0; ; i++ {
			sub, err := mr.NextRawPart()
			if err != nil {
				break
			}
			id := strconv.Itoa(i)
			if partID != "" {
				id = partID + "." + id
			}
			parts = append(parts, gmPart(sub.Header, sub, id, seq, msgID))
		}
		p["parts"] = parts
		return p
	}
	data, _ := io.ReadAll(body)
	switch strings.ToLower(get("Content-Transfer-Encoding")) {
	case "base64":
		data, _ = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), ""))
	case "quoted-printable":
		data, _ = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(data)))
	}
	if filename != "" {
		*seq++
		p["body"] = map[string]any{"size": len(data), "attachmentId": fmt.Sprintf("ANGjdJ_%s_%d", msgID, *seq)}
		return p
	}
	p["body"] = map[string]any{"size": len(data), "data": base64.URLEncoding.EncodeToString(data)}
	return p
}

// gmailJSON answers 200 with v.
func gmailJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

// gmailError answers with Google's JSON error shape.
func gmailError(w http.ResponseWriter, code int, status, message, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": message, "status": status,
		"errors": []any{map[string]any{"message": message, "domain": "global", "reason": reason}},
	}})
}
