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
	"net/mail"
	"slices"
	"strconv"
	"strings"
)

// The fake Gmail's messages: listing and search (Gmail's query syntax,
// reduced), sending, and the resource with its MIME parts.

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
