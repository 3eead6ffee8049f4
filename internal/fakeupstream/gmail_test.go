package fakeupstream

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func gmailDo(tb testing.TB, g *Gmail, method, path, token, body string) (int, http.Header, map[string]any) {
	tb.Helper()
	req, _ := http.NewRequest(method, g.URL()+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(data, &out)
	return res.StatusCode, res.Header, out
}

func TestGmailFake(t *testing.T) {
	g := NewGmail()
	t.Cleanup(g.Close)
	g.AddUser("tok", "me@example.com")
	g.AddUser("ro", "me@example.com", GmailScopeReadonly)
	id := g.AddMessage("me@example.com", GmailMessage{Raw: "From: a@example.com\nTo: me@example.com\nSubject: Hi\nContent-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/plain; charset=UTF-8\n\nHello\n--b\nContent-Type: image/png\nContent-Disposition: attachment; filename=x.png\n" +
		"Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n", Labels: []string{"INBOX", "UNREAD"}})
	raw := func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, method, path, token, body string
		status                          int
		want                            string // in the JSON answer
	}{
		{"NoToken401", "GET", "/gmail/v1/users/me/profile", "", "", 401, `"status":"UNAUTHENTICATED"`},
		{"Profile", "GET", "/gmail/v1/users/me/profile", "tok", "", 200, `"emailAddress":"me@example.com"`},
		{"OtherUser403", "GET", "/gmail/v1/users/you@example.com/profile", "tok", "", 403, "Delegation denied"},
		{"ReadonlyCannotSend", "POST", "/gmail/v1/users/me/messages/send", "ro", `{"raw":"` + raw("To: b@example.com\r\n\r\nx") + `"}`, 403, "insufficient authentication scopes"},
		{"AttachmentNotInlined", "GET", "/gmail/v1/users/me/messages/" + id + "?format=full", "tok", "", 200, `"attachmentId":"ANGjdJ_` + id + `_1"`},
		{"TextPartInlined", "GET", "/gmail/v1/users/me/messages/" + id, "tok", "", 200, `"data":"` + base64.URLEncoding.EncodeToString([]byte("Hello")) + `"`},
		{"SendNeedsRecipient", "POST", "/gmail/v1/users/me/messages/send", "tok", `{"raw":"` + raw("Subject: x\r\n\r\nx") + `"}`, 400, "FAILED_PRECONDITION"},
		{"SendBadBase64", "POST", "/gmail/v1/users/me/messages/send", "tok", `{"raw":"@@@"}`, 400, "Invalid value for ByteString"},
		{"SendUnknownThread", "POST", "/gmail/v1/users/me/messages/send", "tok", `{"raw":"` + raw("To: b@example.com\r\n\r\nx") + `","threadId":"nope"}`, 404, "not found"},
		{"Send", "POST", "/gmail/v1/users/me/messages/send", "tok", `{"raw":"` + raw("To: b@example.com\r\n\r\nx") + `","threadId":"` + id + `"}`, 200, `"threadId":"` + id + `"`},
		{"DraftNeedsMessage", "POST", "/gmail/v1/users/me/drafts", "tok", `{"raw":"x"}`, 400, "Invalid draft"},
		{"ModifyUnknownLabel", "POST", "/gmail/v1/users/me/messages/" + id + "/modify", "tok", `{"addLabelIds":["NOPE"]}`, 400, "Invalid label: NOPE"},
		{"Trash", "POST", "/gmail/v1/users/me/messages/" + id + "/trash", "tok", "", 200, `"labelIds":["UNREAD","TRASH"]`},
		{"TrashedLeftOutOfLists", "GET", "/gmail/v1/users/me/messages?labelIds=UNREAD", "tok", "", 200, `"resultSizeEstimate":0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, out := gmailDo(t, g, tt.method, tt.path, tt.token, tt.body)
			data, _ := json.Marshal(out)
			if status != tt.status || !strings.Contains(string(data), tt.want) {
				t.Errorf("%d %s; want %d with %s", status, data, tt.status, tt.want)
			}
			if status == 403 && tt.token == "ro" && !strings.Contains(h.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
				t.Errorf("WWW-Authenticate = %q", h.Get("WWW-Authenticate"))
			}
		})
	}
}
