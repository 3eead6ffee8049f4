package transport

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAPIConnectedAccounts(t *testing.T) {
	w := newAPIWorld(t)
	alice, aliceToken := w.newSession(t, map[string]any{"user_id": "alice"})
	work := w.connect(t, alice["id"].(string), aliceToken, aliceWork, "work")
	home := w.connect(t, alice["id"].(string), aliceToken, alicePersonal, "home")
	bob, bobST := w.newSession(t, map[string]any{"user_id": "bob"})
	bobs := w.connect(t, bob["id"].(string), bobST, bobToken, "")
	pending := w.do(t, "POST", "/api/v1/sessions/"+alice["id"].(string)+"/link", opKey, map[string]any{"toolkit": "github", "auth_config": "ac_github_bearer_token"}).
		want(t, http.StatusCreated, "").body["connected_account_id"].(string)

	ids := func(r reply) []string {
		var out []string
		for _, it := range r.body["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}

	t.Run("List", func(t *testing.T) {
		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"", []string{pending, bobs, home, work}},
			{"?user_id=alice", []string{pending, home, work}},
			{"?user_id=alice,bob&status=ACTIVE", []string{bobs, home, work}},
			{"?user_id=alice&status=INITIATED", []string{pending}},
			{"?toolkit=gmail", nil},
			{"?user_id=carol", nil},
		} {
			got := w.do(t, "GET", "/api/v1/connected_accounts"+tt.query, opKey, nil).want(t, http.StatusOK, "")
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("%q (-want +got):\n%s", tt.query, diff)
			}
		}
		one := w.do(t, "GET", "/api/v1/connected_accounts?user_id=alice&status=active", opKey, nil).want(t, http.StatusOK, "")
		item := one.body["items"].([]any)[0].(map[string]any)
		for _, key := range []string{"id", "user_id", "toolkit", "alias", "label", "status", "status_reason", "auth_config", "scheme", "created_at", "connected_at", "last_used_at"} {
			if _, ok := item[key]; !ok {
				t.Errorf("an account lacks %s: %v", key, item)
			}
		}
		if item["label"] != "alice-home" || item["alias"] != "home" {
			t.Errorf("item = %v", item)
		}
		if strings.Contains(one.raw, alicePersonal) || strings.Contains(one.raw, aliceWork) {
			t.Error("a listing carries a credential")
		}
	})
	t.Run("MalformedOrUnknownQuery", func(t *testing.T) {
		// A pair net/url cannot read is not dropped with its filter: the
		// whole request is refused.
		for _, path := range []string{
			"/api/v1/connected_accounts?user_id=alice;toolkit=github",
			"/api/v1/connected_accounts?user_id=bob;",
			"/api/v1/connected_accounts?user_id=bob&limit=1;",
			"/api/v1/connected_accounts?user_id=bob&%zz=1",
			"/api/v1/audit?user_id=bob;",
			"/api/v1/connected_accounts/" + work + "?user_id=alice;",
			"/api/v1/sessions/" + alice["id"].(string) + "?x=1",
			"/api/v1/sessions/" + alice["id"].(string) + "/toolkits?limit=-1",
			"/api/v1/openapi.json?x=1",
		} {
			w.do(t, "GET", path, opKey, nil).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
		}
		w.do(t, "POST", "/api/v1/sessions?user_id=bob", opKey, map[string]any{"user_id": "alice"}).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
		w.do(t, "POST", "/api/v1/connected_accounts/"+work+"/disable?user_id=alice&x=1", opKey, nil).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
		if got := w.do(t, "GET", "/api/v1/connected_accounts/"+work, opKey, nil).want(t, http.StatusOK, ""); got.body["status"] != "ACTIVE" {
			t.Errorf("a refused disable changed the account: %s", got.raw)
		}
		// The Composio adapter refuses what it cannot read, and ignores
		// parameters it does not take, as Composio does.
		composio := func(path string) int {
			return w.doHeaders(t, "GET", path, nil, map[string]string{"x-api-key": opKey}).status
		}
		if got := composio("/api/v3.1/connected_accounts?user_ids=bob;"); got != http.StatusBadRequest {
			t.Errorf("Composio adapter with a malformed query answered %d", got)
		}
		if got := composio("/api/v3.1/connected_accounts?user_ids=bob"); got != http.StatusOK {
			t.Errorf("Composio adapter answered %d", got)
		}
	})
	t.Run("Pages", func(t *testing.T) {
		var seen []string
		cursor := ""
		for range 5 {
			path := "/api/v1/connected_accounts?limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			got := w.do(t, "GET", path, opKey, nil).want(t, http.StatusOK, "")
			seen = append(seen, ids(got)...)
			next, _ := got.body["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if diff := cmp.Diff([]string{pending, bobs, home, work}, seen); diff != "" {
			t.Errorf("pages (-want +got):\n%s", diff)
		}
	})
	t.Run("ListRefusals", func(t *testing.T) {
		for query, status := range map[string]int{
			"?status=REVOKED": http.StatusBadRequest, "?limit=0": http.StatusBadRequest, "?limit=201": http.StatusBadRequest,
			"?limit=1.5": http.StatusBadRequest, "?cursor=abc": http.StatusBadRequest, "?user_ids=alice": http.StatusBadRequest,
			"?toolkit=myspace": http.StatusUnprocessableEntity,
		} {
			if got := w.do(t, "GET", "/api/v1/connected_accounts"+query, opKey, nil); got.status != status {
				t.Errorf("%s answered %d: %s", query, got.status, got.raw)
			}
		}
		w.do(t, "GET", "/api/v1/connected_accounts", aliceToken, nil).want(t, http.StatusForbidden, "FORBIDDEN")
		w.do(t, "GET", "/api/v1/connected_accounts", "", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
	})
	t.Run("GetAndUserFilter", func(t *testing.T) {
		got := w.do(t, "GET", "/api/v1/connected_accounts/"+work, opKey, nil).want(t, http.StatusOK, "")
		if got.body["user_id"] != "alice" || got.body["label"] != "alice-work" {
			t.Errorf("GET = %s", got.raw)
		}
		w.do(t, "GET", "/api/v1/connected_accounts/"+work+"?user_id=alice", opKey, nil).want(t, http.StatusOK, "")
		foreign := w.do(t, "GET", "/api/v1/connected_accounts/"+work+"?user_id=bob", opKey, nil).want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		unknown := w.do(t, "GET", "/api/v1/connected_accounts/ca_unknown?user_id=bob", opKey, nil).want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		if strings.ReplaceAll(foreign.message(), work, "X") != strings.ReplaceAll(unknown.message(), "ca_unknown", "X") {
			t.Errorf("foreign and unknown differ:\n%s\n%s", foreign.message(), unknown.message())
		}
		w.do(t, "GET", "/api/v1/connected_accounts/"+work, aliceToken, nil).want(t, http.StatusForbidden, "FORBIDDEN")
	})
	t.Run("Rename", func(t *testing.T) {
		got := w.do(t, "PATCH", "/api/v1/connected_accounts/"+work, opKey, map[string]any{"alias": "office"}).want(t, http.StatusOK, "")
		if got.body["alias"] != "office" {
			t.Errorf("alias = %v", got.body["alias"])
		}
		w.do(t, "PATCH", "/api/v1/connected_accounts/"+work, opKey, map[string]any{"alias": "home"}).want(t, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", "/api/v1/connected_accounts/"+work, opKey, map[string]any{"alias": "a b"}).want(t, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", "/api/v1/connected_accounts/"+work, opKey, map[string]any{"label": "x"}).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", "/api/v1/connected_accounts/"+work+"?user_id=bob", opKey, map[string]any{"alias": "x"}).want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		got = w.do(t, "PATCH", "/api/v1/connected_accounts/"+work, opKey, map[string]any{"alias": nil}).want(t, http.StatusOK, "")
		if got.body["alias"] != nil {
			t.Errorf("alias after null = %v", got.body["alias"])
		}
	})
	t.Run("DisableEnable", func(t *testing.T) {
		got := w.do(t, "POST", "/api/v1/connected_accounts/"+home+"/disable", opKey, nil).want(t, http.StatusOK, "")
		if got.body["status"] != "INACTIVE" || got.body["status_reason"] == nil {
			t.Errorf("disabled = %s", got.raw)
		}
		w.do(t, "POST", "/api/v1/connected_accounts/"+home+"/disable", opKey, nil).want(t, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS")
		got = w.do(t, "POST", "/api/v1/connected_accounts/"+home+"/enable", opKey, nil).want(t, http.StatusOK, "")
		if got.body["status"] != "ACTIVE" || got.body["status_reason"] != nil {
			t.Errorf("enabled = %s", got.raw)
		}
		w.do(t, "POST", "/api/v1/connected_accounts/"+home+"/enable?user_id=bob", opKey, nil).want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		w.do(t, "POST", "/api/v1/connected_accounts/"+home+"/disable", opKey, map[string]any{"why": "x"}).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
	})
	t.Run("RefreshNeedsOAuth", func(t *testing.T) {
		w.do(t, "POST", "/api/v1/connected_accounts/"+home+"/refresh", opKey, nil).want(t, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS")
	})
	t.Run("Delete", func(t *testing.T) {
		w.do(t, "DELETE", "/api/v1/connected_accounts/"+bobs+"?user_id=alice", opKey, nil).want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		got := w.do(t, "DELETE", "/api/v1/connected_accounts/"+bobs, opKey, nil).want(t, http.StatusOK, "")
		if got.body["deleted"] != true || got.body["revoked"] != false {
			t.Errorf("DELETE = %s", got.raw)
		}
		w.do(t, "GET", "/api/v1/connected_accounts/"+bobs, opKey, nil).want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		w.do(t, "DELETE", "/api/v1/connected_accounts/"+bobs, opKey, nil).want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
	})
}

func TestAPIRefreshOAuthAccount(t *testing.T) {
	w := newAPIWorld(t)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	link := w.do(t, "POST", "/api/v1/sessions/"+sess["id"].(string)+"/link", token, map[string]any{"toolkit": "github"}).want(t, http.StatusCreated, "")
	back := w.oauthConsent(t, link.body["redirect_url"].(string), true)
	if resp, err := noRedirect.Get(back); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: %v %v", resp, err)
	}
	id := link.body["connected_account_id"].(string)
	before := w.op.TokenRequests("refresh_token")
	got := w.do(t, "POST", "/api/v1/connected_accounts/"+id+"/refresh", opKey, nil).want(t, http.StatusOK, "")
	if got.body["status"] != "ACTIVE" || got.body["label"] != "octo-work" {
		t.Errorf("refreshed = %s", got.raw)
	}
	if n := w.op.TokenRequests("refresh_token") - before; n != 1 {
		t.Errorf("%d refresh requests at the provider, want 1", n)
	}
	// The refreshed token acts.
	w.do(t, "POST", "/api/v1/sessions/"+sess["id"].(string)+"/execute", token, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"}).want(t, http.StatusOK, "")
	if tok := w.lastGitHubToken(t); tok == "" {
		t.Error("no token reached GitHub")
	}
	w.op.InvalidateGrants(octo.Subject)
	w.do(t, "POST", "/api/v1/connected_accounts/"+id+"/refresh", opKey, nil).want(t, http.StatusConflict, "ACCOUNT_INACTIVE")
	if acct := w.do(t, "GET", "/api/v1/connected_accounts/"+id, opKey, nil); acct.body["status"] != "EXPIRED" {
		t.Errorf("after invalid_grant: %s", acct.raw)
	}
}

func TestAPIRoutingErrors(t *testing.T) {
	w := newAPIWorld(t)
	got := w.do(t, "PUT", "/api/v1/sessions", opKey, nil).want(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	if got.header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q", got.header.Get("Allow"))
	}
	w.do(t, "GET", "/api/v1/nothing", opKey, nil).want(t, http.StatusNotFound, "NOT_FOUND")
	w.do(t, "GET", "/api/v2/sessions", opKey, nil).want(t, http.StatusNotFound, "NOT_FOUND")
	got = w.doHeaders(t, "GET", "/api/v1/connected_accounts", nil, map[string]string{"X-Api-Key": opKey, "Origin": "https://evil.example"})
	got.want(t, http.StatusForbidden, "FORBIDDEN")
}
