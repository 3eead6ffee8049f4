package accounts_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"switchboard/accounts"
	"switchboard/internal/fakeupstream"
)

// TestNotionRevokeIsJSON pins the shape of revocation at Notion: a JSON
// body {"token": …}, HTTP Basic client authentication and the
// Notion-Version header, as Notion documents it (revoke_body: json).
func TestNotionRevokeIsJSON(t *testing.T) {
	api := fakeupstream.NewNotion()
	defer api.Close()
	op := fakeupstream.NewOAuth(fakeupstream.OAuthOptions{ClientID: "ncid", ClientSecret: "nsecret", ClientAuth: "basic",
		OnToken: func(token string, id fakeupstream.OAuthIdentity) {
			api.AddBot(token, fakeupstream.NotionBot{Name: "Switchboard", Workspace: "Acme", OwnerName: id.Name, OwnerEmail: id.Email})
		}})
	defer op.Close()
	op.AddIdentity(octo)
	var mu sync.Mutex
	var got *http.Request
	var body []byte
	revoke := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got, body = r.Clone(context.Background()), nil
		body, _ = io.ReadAll(r.Body)
		w.Write([]byte(`{}`))
	}))
	defer revoke.Close()

	svc := testService(t, nil, map[string]string{"notion": api.URL()}, accounts.AuthConfig{ID: "ac_notion", Toolkit: "notion", Scheme: "oauth2",
		ClientID: "ncid", ClientSecret: "nsecret", AuthorizeURL: op.AuthorizeURL(), TokenURL: op.TokenURL(), RevokeURL: revoke.URL})
	ctx := context.Background()
	id, _, err := signInWith(t, svc, op, aliceScope(t, svc), accounts.AuthorizeRequest{Toolkit: "notion"}, octo.Subject, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, revoked, err := svc.DeleteAccount(ctx, "alice", "notion", id); err != nil || !revoked {
		t.Fatalf("delete: revoked=%v err=%v", revoked, err)
	}
	mu.Lock()
	defer mu.Unlock()
	var doc map[string]string
	if err := json.Unmarshal(body, &doc); err != nil || doc["token"] == "" || len(doc) != 1 {
		t.Errorf("revoke body %q, want {\"token\": …}", body)
	}
	user, pass, ok := got.BasicAuth()
	if !ok || user != "ncid" || pass != "nsecret" || got.Header.Get("Notion-Version") == "" || !strings.HasPrefix(got.Header.Get("Content-Type"), "application/json") {
		t.Errorf("revoke request: basic=%v %q, Notion-Version %q, Content-Type %q", ok, user, got.Header.Get("Notion-Version"), got.Header.Get("Content-Type"))
	}
}
