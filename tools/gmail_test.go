package tools_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

const (
	gmailToken = "ya29.GmailSecret-0123456789abcdef"
	gmailUser  = "me@example.com"
)

// Three seeded messages: a multipart report with an attachment, an
// HTML-only reply in its thread, and a Latin-1 note.
const (
	gmailReport = "From: Ana Lima <ana@example.com>\nTo: me@example.com\nDate: Tue, 2 Jan 2024 09:00:00 +0000\n" +
		"Subject: Quarterly report\nMessage-ID: <CAA1@mail.example.com>\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=outer\n\n" +
		"--outer\nContent-Type: multipart/alternative; boundary=inner\n\n" +
		"--inner\nContent-Type: text/plain; charset=UTF-8\n\nHi,\n\nthe report is attached.\n\nAna\n" +
		"--inner\nContent-Type: text/html; charset=UTF-8\n\n<p>Hi,</p><p>the report is <b>attached</b>.</p>\n--inner--\n" +
		"--outer\nContent-Type: application/pdf; name=report.pdf\nContent-Disposition: attachment; filename=report.pdf\n" +
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQgZmFrZQ==\n--outer--\n"
	gmailHTMLReply = "From: me@example.com\nTo: Ana Lima <ana@example.com>\nDate: Tue, 2 Jan 2024 10:00:00 +0000\n" +
		"Subject: Re: Quarterly report\nMessage-ID: <CAB2@mail.gmail.com>\nIn-Reply-To: <CAA1@mail.example.com>\n" +
		"References: <CAA1@mail.example.com>\nContent-Type: text/html; charset=UTF-8\n\n" +
		"<html><head><style>p{}</style></head><body><p>Thanks Ana, <b>received</b> &amp; read.</p><p>Best</p></body></html>\n"
	gmailLatin1 = "From: =?ISO-8859-1?Q?Ren=E9?= <rene@example.fr>\nTo: me@example.com\nDate: Wed, 3 Jan 2024 08:00:00 +0100\n" +
		"Subject: =?ISO-8859-1?Q?Caf=E9?=\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"Un caf=E9, s'il vous pla=EEt.\n"
)

type gmailHarness struct {
	toolRunner
	fake   *fakeupstream.Gmail
	auth   tools.Authorizer
	report string // message ids
	reply  string
	note   string
}

func newGmailHarness(tb testing.TB) *gmailHarness {
	tb.Helper()
	fake := fakeupstream.NewGmail()
	tb.Cleanup(fake.Close)
	fake.AddUser(gmailToken, gmailUser)
	cat := builtin(tb)
	h := &gmailHarness{toolRunner: newToolRunner(cat, tools.ExecutorOptions{}, "gmail", fake.URL()), fake: fake,
		auth: cat.Toolkit("gmail").Scheme(tools.SchemeOAuth2).Authorizer(gmailToken)}
	h.report = fake.AddMessage(gmailUser, fakeupstream.GmailMessage{Raw: gmailReport, Labels: []string{"INBOX", "UNREAD"}})
	h.reply = fake.AddMessage(gmailUser, fakeupstream.GmailMessage{Raw: gmailHTMLReply, ThreadID: h.report, Labels: []string{"SENT"}})
	h.note = fake.AddMessage(gmailUser, fakeupstream.GmailMessage{Raw: gmailLatin1, Labels: []string{"INBOX"}})
	return h
}

// call runs tool as h.auth and checks that the mailbox's token appears
// nowhere.
func (h *gmailHarness) call(tb testing.TB, tool string, args map[string]any) (*tools.Result, error) {
	tb.Helper()
	return h.run(tb, tool, args, h.auth, gmailToken)
}

func TestGmailBuiltin(t *testing.T) {
	gm := builtin(t).Toolkit("gmail")
	if gm == nil {
		t.Fatal("no gmail toolkit")
	}
	s := gm.Scheme(tools.SchemeOAuth2)
	want := &tools.Scheme{Kind: "oauth2", Header: "Authorization", Prefix: "Bearer ", Help: s.Help,
		AuthorizationURL: "https://accounts.google.com/o/oauth2/v2/auth", TokenURL: "https://oauth2.googleapis.com/token",
		RevokeURL: "https://oauth2.googleapis.com/revoke", RevokeBody: tools.RevokeBodyForm, Scopes: []string{"https://www.googleapis.com/auth/gmail.modify"},
		ScopeSeparator: " ", AuthorizationParams: map[string]string{"access_type": "offline", "prompt": "consent"},
		ClientAuth: tools.ClientAuthBody, PKCE: true, TokenResponse: tools.TokenResponseStandard}
	assertDiff(t, "oauth2 scheme", want, s)
	if gm.Scheme(tools.SchemeBearerToken) != nil {
		t.Error("gmail declares a bearer_token scheme; Google has no long-lived tokens to paste")
	}
	h := newGmailHarness(t)
	who, err := h.exec.Identify(context.Background(), "gmail", h.auth)
	if err != nil || who != (tools.Identity{ID: gmailUser, Label: gmailUser}) {
		t.Fatalf("Identify = %+v, %v", who, err)
	}
	if r := h.fake.Requests()[0]; r.Method != "GET" || r.Path != "/gmail/v1/users/me/profile" || r.Token != gmailToken {
		t.Errorf("identity request = %s %s", r.Method, r.Path)
	}
}

func TestGmailReadTools(t *testing.T) {
	h := newGmailHarness(t)
	report := map[string]any{
		"id": h.report, "thread_id": h.report, "label_ids": []any{"INBOX", "UNREAD"},
		"from": "Ana Lima <ana@example.com>", "to": "me@example.com", "date": "Tue, 2 Jan 2024 09:00:00 +0000",
		"subject": "Quarterly report", "message_id": "<CAA1@mail.example.com>",
		"body_text": "Hi,\n\nthe report is attached.\n\nAna", "body_format": "text/plain",
		"attachments": []any{map[string]any{"filename": "report.pdf", "mime_type": "application/pdf", "size": 13,
			"attachment_id": "ANGjdJ_" + h.report + "_1"}},
		"attachments_note": "\n\nAttachments (not inlined): report.pdf (application/pdf, 13 bytes)",
	}
	tests := []struct {
		name, tool string
		args       map[string]any
		path       string
		query      string
		structured any
		text       []string // substrings
	}{{
		name: "Profile", tool: "GMAIL_GET_PROFILE", path: "/gmail/v1/users/me/profile",
		structured: map[string]any{"emailAddress": gmailUser, "messagesTotal": 3, "threadsTotal": 2, "historyId": "1003"},
		text:       []string{"me@example.com: 3 messages in 2 threads"},
	}, {
		name: "SearchWithQueryAndLabels", tool: "GMAIL_LIST_MESSAGES",
		args: map[string]any{"query": "from:ana is:unread", "label_ids": []any{"INBOX", "UNREAD"}, "max_results": 5},
		path: "/gmail/v1/users/me/messages", query: "labelIds=INBOX&labelIds=UNREAD&maxResults=5&q=from%3Aana+is%3Aunread",
		structured: map[string]any{"messages": []any{map[string]any{"id": h.report, "threadId": h.report}}, "count": 1},
		text:       []string{"messages: 1 item:\n- " + h.report + " (thread " + h.report + ")"},
	}, {
		name: "ListPagesWithToken", tool: "GMAIL_LIST_MESSAGES",
		args: map[string]any{"max_results": 2, "include_spam_trash": true},
		path: "/gmail/v1/users/me/messages", query: "includeSpamTrash=true&maxResults=2",
		structured: map[string]any{"count": 2, "next_cursor": "2", "messages": []any{
			map[string]any{"id": h.note, "threadId": h.note}, map[string]any{"id": h.reply, "threadId": h.report}}},
		text: []string{`More exist: call again with page_token="2" for the next page.`},
	}, {
		name: "SecondPage", tool: "GMAIL_LIST_MESSAGES", args: map[string]any{"max_results": 2, "page_token": "2"},
		path: "/gmail/v1/users/me/messages", query: "maxResults=2&pageToken=2",
		structured: map[string]any{"count": 1, "messages": []any{map[string]any{"id": h.report, "threadId": h.report}}},
	}, {
		name: "ThreadsWithDefaultPageSize", tool: "GMAIL_LIST_THREADS",
		path: "/gmail/v1/users/me/threads", query: "maxResults=20",
		structured: map[string]any{"count": 2, "threads": []any{
			map[string]any{"id": h.note, "snippet": "Un café, s'il vous plaît."},
			map[string]any{"id": h.report, "snippet": "Thanks Ana, received & read. Best"}}},
		text: []string{"threads: 2 items:\n- " + h.note + ": Un café"},
	}, {
		name: "MessageWithAttachment", tool: "GMAIL_GET_MESSAGE", args: map[string]any{"message_id": h.report},
		path: "/gmail/v1/users/me/messages/" + h.report, query: "format=full",
		structured: report,
		text: []string{"From: Ana Lima <ana@example.com>\nTo: me@example.com\nDate: Tue, 2 Jan 2024 09:00:00 +0000\nSubject: Quarterly report\n" +
			"Labels: INBOX, UNREAD\n(id " + h.report + ", thread " + h.report + ", Message-ID <CAA1@mail.example.com>)\n\n" +
			"Hi,\n\nthe report is attached.\n\nAna\n\nAttachments (not inlined): report.pdf (application/pdf, 13 bytes)"},
	}, {
		name: "HTMLOnlyMessage", tool: "GMAIL_GET_MESSAGE", args: map[string]any{"message_id": h.reply},
		path: "/gmail/v1/users/me/messages/" + h.reply, query: "format=full",
		structured: map[string]any{"id": h.reply, "thread_id": h.report, "label_ids": []any{"SENT"},
			"from": "me@example.com", "to": "Ana Lima <ana@example.com>", "date": "Tue, 2 Jan 2024 10:00:00 +0000",
			"subject": "Re: Quarterly report", "message_id": "<CAB2@mail.gmail.com>", "in_reply_to": "<CAA1@mail.example.com>",
			"references": "<CAA1@mail.example.com>", "body_text": "Thanks Ana, received & read.\nBest",
			"body_format": "text/html converted to text", "attachments": []any{}},
	}, {
		name: "Latin1Message", tool: "GMAIL_GET_MESSAGE", args: map[string]any{"message_id": h.note},
		path: "/gmail/v1/users/me/messages/" + h.note, query: "format=full",
		text: []string{"From: René <rene@example.fr>", "Subject: Café", "Un café, s'il vous plaît."},
	}, {
		name: "Thread", tool: "GMAIL_GET_THREAD", args: map[string]any{"thread_id": h.report},
		path: "/gmail/v1/users/me/threads/" + h.report, query: "format=full",
		text: []string{"Thread " + h.report + ", 2 messages:\n\nFrom: Ana Lima <ana@example.com>\nTo: me@example.com\n",
			"Hi,\n\nthe report is attached.\n\nAna\n\nAttachments (not inlined): report.pdf (application/pdf, 13 bytes)\n\n-----\n\nFrom: me@example.com\n",
			"Thanks Ana, received & read.\nBest"},
	}, {
		name: "Labels", tool: "GMAIL_LIST_LABELS", path: "/gmail/v1/users/me/labels",
		text: []string{"labels: 15 items:\n- CHAT: CHAT (system)", "- Label_1: Work (user)"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.fake.Reset()
			res, err := h.call(t, tt.tool, tt.args)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.fake)
			got := []string{r.Method, r.Path, r.RawQuery, r.Header.Get("Authorization"), r.Body}
			want := []string{"GET", tt.path, tt.query, "Bearer " + gmailToken, ""}
			assertDiff(t, "request", want, got)
			if tt.structured != nil {
				assertSameJSON(t, "structured", tt.structured, res.Structured)
			}
			assertContains(t, "text", res.Text, tt.text...)
		})
	}
	t.Run("ThreadStructured", func(t *testing.T) {
		res, err := h.call(t, "GMAIL_GET_THREAD", map[string]any{"thread_id": h.report})
		if err != nil {
			t.Fatal(err)
		}
		msgs := res.Structured["messages"].([]any)
		first := msgs[0].(map[string]any)
		if res.Structured["message_count"] != 2 || len(msgs) != 2 || first["id"] != h.report || first["message_id"] != "<CAA1@mail.example.com>" {
			t.Errorf("structured = %v", res.Structured)
		}
		if _, ok := first["body_text"]; ok {
			t.Error("bodies are in the transcript, not repeated per message")
		}
	})
}

// sentMessage decodes the raw message of a send or draft request body.
type sentMessage struct {
	header   mail.Header
	rawHead  string
	threadID string
	parts    map[string]string // content type → decoded text
}

func decodeSent(tb testing.TB, body string, draft bool) sentMessage {
	tb.Helper()
	var msg struct {
		Raw      string `json:"raw"`
		ThreadID string `json:"threadId"`
	}
	if draft {
		var d struct {
			Message json.RawMessage `json:"message"`
		}
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			tb.Fatal(err)
		}
		body = string(d.Message)
	}
	var keys map[string]any
	if err := json.Unmarshal([]byte(body), &keys); err != nil {
		tb.Fatal(err)
	}
	for k := range keys {
		if k != "raw" && k != "threadId" {
			tb.Errorf("message has member %q", k)
		}
	}
	json.Unmarshal([]byte(body), &msg)
	raw, err := base64.URLEncoding.DecodeString(msg.Raw)
	if err != nil {
		tb.Fatalf("raw is not base64url: %v", err)
	}
	if bytes.Contains(raw, []byte("\n")) && !bytes.Contains(raw, []byte("\r\n")) {
		tb.Error("raw does not use CRLF line endings")
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("raw is not RFC 5322: %v", err)
	}
	out := sentMessage{header: m.Header, threadID: msg.ThreadID, parts: map[string]string{}}
	out.rawHead, _, _ = strings.Cut(string(raw), "\r\n\r\n")
	addPart := func(h interface{ Get(string) string }, r io.Reader) {
		tb.Helper()
		mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
		if params["charset"] != "UTF-8" || h.Get("Content-Transfer-Encoding") != "quoted-printable" {
			tb.Errorf("part %s: charset %q, encoding %q", mt, params["charset"], h.Get("Content-Transfer-Encoding"))
		}
		data, err := io.ReadAll(quotedprintable.NewReader(r))
		if err != nil {
			tb.Fatal(err)
		}
		out.parts[mt] = string(data)
	}
	mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if mt == "multipart/alternative" {
		mr := multipart.NewReader(m.Body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			addPart(p.Header, p)
		}
	} else {
		addPart(m.Header, m.Body)
	}
	return out
}

func TestGmailWriteTools(t *testing.T) {
	tests := []struct {
		name, tool string
		args       func(h *gmailHarness) map[string]any
		path       string
		draft      bool
		header     map[string]string // decoded headers of the raw message
		rawHeader  []string          // substrings of the raw header block
		parts      map[string]string
		thread     func(h *gmailHarness) string
		text       string // with %s for the new message id
	}{{
		name: "SendMultipart", tool: "GMAIL_SEND_EMAIL", path: "/gmail/v1/users/me/messages/send",
		args: func(*gmailHarness) map[string]any {
			return map[string]any{"to": []any{"Bob Ray <bob@example.com>", "eve@example.com"}, "cc": []any{"carol@example.com"},
				"bcc": []any{"dan@example.com"}, "subject": "Lunch? ☕ at noon", "body_text": "Noon at the usual place.\nSee you",
				"body_html": "<p>Noon at the <b>usual</b> place.</p>"}
		},
		header: map[string]string{"To": `"Bob Ray" <bob@example.com>, <eve@example.com>`, "Cc": "<carol@example.com>",
			"Bcc": "<dan@example.com>", "Subject": "Lunch? ☕ at noon", "Mime-Version": "1.0", "In-Reply-To": "", "References": ""},
		rawHeader: []string{"Subject: =?UTF-8?q?Lunch=3F_=E2=98=95_at_noon?="},
		parts:     map[string]string{"text/plain": "Noon at the usual place.\r\nSee you", "text/html": "<p>Noon at the <b>usual</b> place.</p>"},
		thread:    func(*gmailHarness) string { return "" },
		text:      "Sent message %s (thread %[1]s).",
	}, {
		name: "ReplyInThread", tool: "GMAIL_REPLY_TO_EMAIL", path: "/gmail/v1/users/me/messages/send",
		args: func(h *gmailHarness) map[string]any {
			return map[string]any{"thread_id": h.report, "in_reply_to": "<CAB2@mail.gmail.com>",
				"references": "<CAA1@mail.example.com>", "to": []any{"ana@example.com"}, "subject": "Quarterly report",
				"body_text": "Thanks again!"}
		},
		header: map[string]string{"To": "<ana@example.com>", "Subject": "Re: Quarterly report", "In-Reply-To": "<CAB2@mail.gmail.com>",
			"References": "<CAA1@mail.example.com> <CAB2@mail.gmail.com>", "Cc": "", "Bcc": ""},
		parts:  map[string]string{"text/plain": "Thanks again!"},
		thread: func(h *gmailHarness) string { return h.report },
		text:   "Sent reply %s in thread REPORT.",
	}, {
		name: "ReplyKeepsReAndAddsBrackets", tool: "GMAIL_REPLY_TO_EMAIL", path: "/gmail/v1/users/me/messages/send",
		args: func(h *gmailHarness) map[string]any {
			return map[string]any{"thread_id": h.report, "in_reply_to": "CAA1@mail.example.com", "to": []any{"ana@example.com"},
				"subject": "RE: Quarterly report", "body_html": "<p>ok</p>"}
		},
		header: map[string]string{"Subject": "RE: Quarterly report", "In-Reply-To": "<CAA1@mail.example.com>", "References": "<CAA1@mail.example.com>"},
		parts:  map[string]string{"text/html": "<p>ok</p>"},
		thread: func(h *gmailHarness) string { return h.report },
	}, {
		name: "Draft", tool: "GMAIL_CREATE_DRAFT", path: "/gmail/v1/users/me/drafts", draft: true,
		args: func(*gmailHarness) map[string]any {
			return map[string]any{"to": []any{"bob@example.com"}, "subject": "Plan", "body_text": "Draft body"}
		},
		header: map[string]string{"To": "<bob@example.com>", "Subject": "Plan"},
		parts:  map[string]string{"text/plain": "Draft body"},
		thread: func(*gmailHarness) string { return "" },
	}, {
		name: "DraftReply", tool: "GMAIL_CREATE_DRAFT", path: "/gmail/v1/users/me/drafts", draft: true,
		args: func(h *gmailHarness) map[string]any {
			return map[string]any{"to": []any{"ana@example.com"}, "subject": "Quarterly report", "body_text": "Will do.",
				"thread_id": h.report, "in_reply_to": "<CAA1@mail.example.com>"}
		},
		header: map[string]string{"Subject": "Re: Quarterly report", "In-Reply-To": "<CAA1@mail.example.com>", "References": "<CAA1@mail.example.com>"},
		parts:  map[string]string{"text/plain": "Will do."},
		thread: func(h *gmailHarness) string { return h.report },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGmailHarness(t)
			h.fake.Reset()
			res, err := h.call(t, tt.tool, tt.args(h))
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.fake)
			got := []string{r.Method, r.Path, r.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type")}
			assertDiff(t, "request", []string{"POST", tt.path, "", "Bearer " + gmailToken, "application/json; charset=utf-8"}, got)
			m := decodeSent(t, r.Body, tt.draft)
			for k, v := range tt.header {
				if got := m.header.Get(k); k == "Subject" {
					if d, err := new(mime.WordDecoder).DecodeHeader(got); err != nil || d != v {
						t.Errorf("Subject = %q (%v), want %q", d, err, v)
					}
				} else if got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			for _, s := range tt.rawHeader {
				if !strings.Contains(m.rawHead, s) {
					t.Errorf("raw header block %q\nlacks %q", m.rawHead, s)
				}
			}
			if m.header.Get("From") != "" || m.header.Get("Date") != "" {
				t.Error("From and Date are Gmail's to set")
			}
			assertDiff(t, "parts", tt.parts, m.parts)
			if want := tt.thread(h); m.threadID != want {
				t.Errorf("threadId = %q, want %q", m.threadID, want)
			}
			id, _ := res.Structured["id"].(string)
			if tt.draft {
				msg, _ := res.Structured["message"].(map[string]any)
				if !strings.HasPrefix(id, "r") || msg["id"] == nil || !strings.HasPrefix(res.Text, "Created draft "+id) {
					t.Errorf("result %q %v", res.Text, res.Structured)
				}
			} else if tt.text != "" {
				want := strings.ReplaceAll(fmt.Sprintf(tt.text, id), "REPORT", h.report)
				if res.Text != want || id == "" {
					t.Errorf("text = %q, want %q", res.Text, want)
				}
			}
		})
	}
}

func TestGmailLabelTools(t *testing.T) {
	tests := []struct {
		name, tool string
		args       func(h *gmailHarness) map[string]any
		path       func(h *gmailHarness) string
		body       string
		labels     []any
		text       string
	}{{
		name: "ArchiveMarkReadStar", tool: "GMAIL_MODIFY_MESSAGE_LABELS",
		args: func(h *gmailHarness) map[string]any {
			return map[string]any{"message_id": h.report, "add_label_ids": []any{"STARRED"}, "remove_label_ids": []any{"INBOX", "UNREAD"}}
		},
		path:   func(h *gmailHarness) string { return "/gmail/v1/users/me/messages/" + h.report + "/modify" },
		body:   `{"addLabelIds":["STARRED"],"removeLabelIds":["INBOX","UNREAD"]}`,
		labels: []any{"STARRED"}, text: "now has labels: STARRED.",
	}, {
		name: "Trash", tool: "GMAIL_TRASH_MESSAGE",
		args:   func(h *gmailHarness) map[string]any { return map[string]any{"message_id": h.note} },
		path:   func(h *gmailHarness) string { return "/gmail/v1/users/me/messages/" + h.note + "/trash" },
		labels: []any{"TRASH"}, text: "to Trash (labels: TRASH).",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGmailHarness(t)
			h.fake.Reset()
			res, err := h.call(t, tt.tool, tt.args(h))
			if err != nil {
				t.Fatal(err)
			}
			r := onlyRequest(t, h.fake)
			if r.Method != "POST" || r.Path != tt.path(h) || r.RawQuery != "" {
				t.Errorf("request %s %s?%s", r.Method, r.Path, r.RawQuery)
			}
			assertJSONBody(t, r, tt.body)
			if diff := cmp.Diff(tt.labels, res.Structured["labelIds"]); diff != "" || !strings.HasSuffix(res.Text, tt.text) {
				t.Errorf("result %q (-want +got labels):\n%s", res.Text, diff)
			}
		})
	}
	t.Run("NeitherAddNorRemoveRefused", func(t *testing.T) {
		h := newGmailHarness(t)
		h.fake.Reset()
		_, err := h.call(t, "GMAIL_MODIFY_MESSAGE_LABELS", map[string]any{"message_id": h.report})
		assertRequestCount(t, h.fake, 0)
		wantCode(t, err, tools.CodeInvalidArguments)
	})
}

func TestGmailInvalidMessages(t *testing.T) {
	tests := []struct {
		name string
		tool string
		args map[string]any
		path string
	}{
		{"NoBody", "GMAIL_SEND_EMAIL", map[string]any{"to": []any{"a@example.com"}, "subject": "s"}, "/body_text"},
		{"BadAddress", "GMAIL_SEND_EMAIL", map[string]any{"to": []any{"not an address"}, "subject": "s", "body_text": "b"}, "/to"},
		{"HeaderInjection", "GMAIL_SEND_EMAIL", map[string]any{"to": []any{"a@example.com"}, "subject": "s\r\nBcc: x@evil.test", "body_text": "b"}, "/subject"},
		{"BadMessageID", "GMAIL_REPLY_TO_EMAIL", map[string]any{"thread_id": "t1", "in_reply_to": "<a b>", "to": []any{"a@example.com"}, "subject": "s", "body_text": "b"}, "/in_reply_to"},
		{"ReferencesWithoutReply", "GMAIL_CREATE_DRAFT", map[string]any{"to": []any{"a@example.com"}, "subject": "s", "body_text": "b", "references": "<x@y>"}, "/references"},
		{"MissingThread", "GMAIL_REPLY_TO_EMAIL", map[string]any{"in_reply_to": "<a@b>", "to": []any{"a@example.com"}, "subject": "s", "body_text": "b"}, "/thread_id"},
	}
	h := newGmailHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.fake.Reset()
			_, err := h.call(t, tt.tool, tt.args)
			assertRequestCount(t, h.fake, 0)
			if e := wantCode(t, err, tools.CodeInvalidArguments); len(e.Problems) == 0 || e.Problems[0].Path != tt.path {
				t.Errorf("problems = %+v, want the first on %s", e.Problems, tt.path)
			}
		})
	}
}
