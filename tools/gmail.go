package tools

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// Gmail's Go-coded parts (catalog/gmail.yaml): the API takes a message as a
// base64url-encoded RFC 5322 document and returns one as a tree of MIME
// parts, neither of which the declarative format can build or read.
func init() {
	registerBodyBuilder("gmail_mime", func(args map[string]any) (map[string]any, error) {
		return gmailMessageBody(args)
	})
	registerBodyBuilder("gmail_draft", func(args map[string]any) (map[string]any, error) {
		msg, err := gmailMessageBody(args)
		if err != nil {
			return nil, err
		}
		return map[string]any{"message": msg}, nil
	})
	registerTransform("gmail_message", func(doc any) any {
		if m, ok := doc.(map[string]any); ok {
			return gmailMessage(m)
		}
		return doc
	})
	registerTransform("gmail_thread", gmailThread)
}

// gmailMessageBody builds the Message resource {raw, threadId} from the
// arguments to, cc, bcc, subject, body_text, body_html, and for a reply
// thread_id, in_reply_to (the Message-ID header of the message answered)
// and references (its References header).
func gmailMessageBody(args map[string]any) (map[string]any, error) {
	raw, err := buildMIME(args)
	if err != nil {
		return nil, err
	}
	msg := map[string]any{"raw": base64.URLEncoding.EncodeToString(raw)}
	if id, _ := args["thread_id"].(string); id != "" {
		msg["threadId"] = id
	}
	return msg, nil
}

var msgIDPattern = regexp.MustCompile(`^<[^<>\s]+>$`)

// buildMIME writes the RFC 5322 message, CRLF line endings. Gmail fills in
// From (the account), Date and Message-ID.
func buildMIME(args map[string]any) ([]byte, error) {
	str := func(name string) string { s, _ := args[name].(string); return s }
	var h bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&h, "%s: %s\r\n", name, value) }
	recipients := 0
	for _, f := range []struct{ arg, name string }{{"to", "To"}, {"cc", "Cc"}, {"bcc", "Bcc"}} {
		list, _ := args[f.arg].([]any)
		var addrs []string
		for _, item := range list {
			s, _ := item.(string)
			a, err := mail.ParseAddress(s)
			if err != nil || strings.ContainsAny(s, "\r\n") {
				return nil, badArgument(f.arg, "%q is not an email address (name@example.com or \"Name <name@example.com>\")", s)
			}
			addrs = append(addrs, a.String())
		}
		if len(addrs) > 0 {
			header(f.name, strings.Join(addrs, ", "))
			recipients += len(addrs)
		}
	}
	if recipients == 0 {
		return nil, badArgument("to", "give at least one recipient in to, cc or bcc")
	}
	subject := str("subject")
	inReplyTo, err := messageID("in_reply_to", str("in_reply_to"))
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(subject, "\r\n") {
		return nil, badArgument("subject", "must be one line")
	}
	if inReplyTo != "" && !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = "Re: " + subject
	}
	header("Subject", mime.QEncoding.Encode("UTF-8", subject))
	if inReplyTo != "" {
		var refs []string
		for _, r := range strings.Fields(str("references")) {
			id, err := messageID("references", r)
			if err != nil {
				return nil, err
			}
			refs = append(refs, id)
		}
		if len(refs) == 0 || refs[len(refs)-1] != inReplyTo {
			refs = append(refs, inReplyTo)
		}
		header("In-Reply-To", inReplyTo)
		header("References", strings.Join(refs, " "))
	} else if str("references") != "" {
		return nil, badArgument("references", "goes with in_reply_to, the message being answered")
	}
	header("MIME-Version", "1.0")
	text, htmlBody := str("body_text"), str("body_html")
	var body bytes.Buffer
	switch {
	case text == "" && htmlBody == "":
		return nil, badArgument("body_text", "give body_text, body_html or both")
	case htmlBody == "":
		writeTextPart(&h, &body, "text/plain", text)
	case text == "":
		writeTextPart(&h, &body, "text/html", htmlBody)
	default:
		mw := multipart.NewWriter(&body)
		header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
		for _, p := range []struct{ typ, s string }{{"text/plain", text}, {"text/html", htmlBody}} {
			var ph bytes.Buffer
			var pb bytes.Buffer
			writeTextPart(&ph, &pb, p.typ, p.s)
			w, err := mw.CreatePart(partHeader(ph.String()))
			if err != nil {
				return nil, err
			}
			w.Write(pb.Bytes())
		}
		if err := mw.Close(); err != nil {
			return nil, err
		}
	}
	h.WriteString("\r\n")
	h.Write(body.Bytes())
	return h.Bytes(), nil
}

// writeTextPart writes the headers of a UTF-8 text part to h and its
// quoted-printable content to body.
func writeTextPart(h, body *bytes.Buffer, typ, s string) {
	fmt.Fprintf(h, "Content-Type: %s\r\n", mime.FormatMediaType(typ, map[string]string{"charset": "UTF-8"}))
	h.WriteString("Content-Transfer-Encoding: quoted-printable\r\n")
	qp := quotedprintable.NewWriter(body)
	qp.Write([]byte(strings.ReplaceAll(s, "\r\n", "\n")))
	qp.Close()
}

func partHeader(block string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	for _, line := range strings.Split(strings.TrimSpace(block), "\r\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			h.Add(k, v)
		}
	}
	return h
}

// messageID checks an RFC 5322 message id, adding the angle brackets an
// agent may have left out.
func messageID(arg, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if !strings.HasPrefix(s, "<") {
		s = "<" + s + ">"
	}
	if !msgIDPattern.MatchString(s) {
		return "", badArgument(arg, "%q is not a Message-ID like <abc@mail.gmail.com>", s)
	}
	return s, nil
}

// gmailMessage reads a Message resource (format full) into what an agent
// needs: ids, labels, the usual headers, the text body (text/plain, else
// text/html turned into text) and the attachments by name and size, never
// their content.
func gmailMessage(m map[string]any) map[string]any {
	payload, _ := m["payload"].(map[string]any)
	out := map[string]any{}
	for key, field := range map[string]string{"id": "id", "thread_id": "threadId", "label_ids": "labelIds", "snippet": "snippet"} {
		if v, ok := m[field]; ok {
			out[key] = v
		}
	}
	headers := partHeaders(payload)
	for key, name := range map[string]string{"from": "From", "to": "To", "cc": "Cc", "subject": "Subject", "date": "Date",
		"message_id": "Message-Id", "in_reply_to": "In-Reply-To", "references": "References"} {
		if v := headers.Get(name); v != "" {
			out[key] = decodeHeader(v)
		}
	}
	text, format := "", ""
	if data, charset, ok := findPart(payload, "text/plain"); ok {
		text, format = decodeCharset(data, charset), "text/plain"
	} else if data, charset, ok := findPart(payload, "text/html"); ok {
		text, format = htmlToText(decodeCharset(data, charset)), "text/html converted to text"
	}
	out["body_text"], out["body_format"] = strings.TrimSpace(text), format
	var attachments []any
	var names []string
	walkParts(payload, func(p map[string]any) {
		name, _ := p["filename"].(string)
		if name == "" {
			return
		}
		body, _ := p["body"].(map[string]any)
		a := map[string]any{"filename": name, "mime_type": p["mimeType"], "size": body["size"]}
		if id, ok := body["attachmentId"]; ok {
			a["attachment_id"] = id
		}
		attachments = append(attachments, a)
		names = append(names, fmt.Sprintf("%s (%s, %s bytes)", name, scalarText(p["mimeType"]), scalarText(body["size"])))
	})
	out["attachments"] = attachments
	if attachments == nil {
		out["attachments"] = []any{}
	}
	if len(names) > 0 {
		out["attachments_note"] = "\n\nAttachments (not inlined): " + strings.Join(names, "; ")
	}
	return out
}

// gmailThread reads a Thread resource (format full): its messages as
// gmailMessage reads them, and a transcript of them, oldest first.
func gmailThread(doc any) any {
	t, ok := doc.(map[string]any)
	if !ok {
		return doc
	}
	list, _ := t["messages"].([]any)
	msgs := make([]any, 0, len(list))
	parts := make([]string, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		s := gmailMessage(m)
		msgs = append(msgs, s)
		var b strings.Builder
		for _, f := range []struct{ key, label string }{{"from", "From"}, {"to", "To"}, {"cc", "Cc"}, {"date", "Date"}, {"subject", "Subject"}, {"id", "Message id"}} {
			if v := scalarText(s[f.key]); v != "" {
				fmt.Fprintf(&b, "%s: %s\n", f.label, v)
			}
		}
		b.WriteString("\n" + scalarText(s["body_text"]) + scalarText(s["attachments_note"]))
		parts = append(parts, b.String())
	}
	return map[string]any{"id": t["id"], "message_count": len(msgs), "messages": msgs,
		"transcript": strings.Join(parts, "\n\n-----\n\n")}
}

// partHeaders returns a part's headers ([{name, value}]).
func partHeaders(p map[string]any) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	list, _ := p["headers"].([]any)
	for _, item := range list {
		kv, _ := item.(map[string]any)
		name, _ := kv["name"].(string)
		value, _ := kv["value"].(string)
		if name != "" {
			h.Add(name, value)
		}
	}
	return h
}

// walkParts calls f on p and every part below it, depth first.
func walkParts(p map[string]any, f func(map[string]any)) {
	if p == nil {
		return
	}
	f(p)
	parts, _ := p["parts"].([]any)
	for _, sub := range parts {
		if m, ok := sub.(map[string]any); ok {
			walkParts(m, f)
		}
	}
}

// findPart returns the decoded data and charset of the first inline part of
// mimeType that has data.
func findPart(payload map[string]any, mimeType string) ([]byte, string, bool) {
	var data []byte
	var charset string
	found := false
	walkParts(payload, func(p map[string]any) {
		if found || !strings.EqualFold(scalarText(p["mimeType"]), mimeType) || scalarText(p["filename"]) != "" {
			return
		}
		body, _ := p["body"].(map[string]any)
		s, _ := body["data"].(string)
		if s == "" {
			return
		}
		d, err := decodeBase64URL(s)
		if err != nil {
			return
		}
		if _, params, err := mime.ParseMediaType(partHeaders(p).Get("Content-Type")); err == nil {
			charset = params["charset"]
		}
		data, found = d, true
	})
	return data, charset, found
}

func decodeBase64URL(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if d, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return d, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// decodeCharset turns data in charset into valid UTF-8.
func decodeCharset(data []byte, charset string) string {
	if cs := strings.ToLower(charset); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		if enc, err := htmlindex.Get(cs); err == nil {
			if d, err := enc.NewDecoder().Bytes(data); err == nil {
				data = d
			}
		}
	}
	s := string(data)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\r\n", "\n")
}

var headerDecoder = &mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}}

// decodeHeader decodes RFC 2047 encoded words, leaving the value as is when
// it has none or they are broken.
func decodeHeader(v string) string {
	if d, err := headerDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

var (
	htmlHidden  = regexp.MustCompile(`(?is)<(script|style|head|title)\b.*?</(script|style|head|title)\s*>`)
	htmlComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	htmlBreak   = regexp.MustCompile(`(?i)<\s*(br|hr|/p|/div|/tr|/li|/h[1-6]|/table|/ul|/ol|/blockquote)\b[^>]*>`)
	htmlItem    = regexp.MustCompile(`(?i)<\s*li\b[^>]*>`)
	htmlTag     = regexp.MustCompile(`(?s)<[^>]*>`)
	hSpace      = regexp.MustCompile(`[ \t\f\v\x{a0}]+`)
	blankLines  = regexp.MustCompile(`\n{3,}`)
)

// htmlToText keeps the text of an HTML body: no tags, scripts or styles,
// line breaks where blocks end, entities decoded.
func htmlToText(s string) string {
	s = htmlHidden.ReplaceAllString(s, "")
	s = htmlComment.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\n", " ")
	s = htmlBreak.ReplaceAllString(s, "\n")
	s = htmlItem.ReplaceAllString(s, "\n- ")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(hSpace.ReplaceAllString(l, " "))
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
