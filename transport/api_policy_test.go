package transport

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// policyPath is the account route of id.
func policyPath(id string) string { return "/api/v1/connected_accounts/" + id }

// issueCall is the body of an execute that opens an issue in alice's
// repository, with title as its one telling argument.
func issueCall(title string) map[string]any {
	return map[string]any{"tool": "GITHUB_CREATE_ISSUE", "arguments": map[string]any{"owner": "alice-work", "repo": "notes", "title": title}}
}

// issuesCreated counts the issue creations the fake GitHub received.
func (w *apiWorld) issuesCreated() int {
	n := 0
	for _, r := range w.gh.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/issues") {
			n++
		}
	}
	return n
}

func TestAPIAccountPolicy(t *testing.T) {
	w := newAPIWorld(t)
	w.gh.AddRepo("alice-work", "notes", false)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	id := sess["id"].(string)
	work := w.connect(t, id, token, aliceWork, "work")
	execute := "/api/v1/sessions/" + id + "/execute"

	t.Run("DefaultShown", func(t *testing.T) {
		got := w.do(t, "GET", policyPath(work), opKey, nil).want(t, http.StatusOK, "")
		if !jsonEqual(got.body["policy"], map[string]any{"access": "read_write", "allow_tools": []any{}, "deny_tools": []any{}, "confirm": "none"}) {
			t.Errorf("policy of a new account = %v", got.body["policy"])
		}
	})
	t.Run("PatchMergesFieldByField", func(t *testing.T) {
		w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"access": "read_only", "deny_tools": []string{"github_list_*"}}}).want(t, http.StatusOK, "")
		got := w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"confirm": "writes", "deny_tools": nil}}).want(t, http.StatusOK, "")
		if !jsonEqual(got.body["policy"], map[string]any{"access": "read_only", "allow_tools": []any{}, "deny_tools": []any{}, "confirm": "writes"}) {
			t.Errorf("policy after two patches = %v", got.body["policy"])
		}
		got = w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": nil}).want(t, http.StatusOK, "")
		if p := got.body["policy"].(map[string]any); p["access"] != "read_write" || p["confirm"] != "none" {
			t.Errorf("policy after null = %v", p)
		}
	})
	t.Run("Refusals", func(t *testing.T) {
		w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"alias": "job", "policy": map[string]any{"access": "admin"}}).want(t, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"deny_tools": []string{"GMAIL_SEND_EMAIL"}}}).want(t, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"acess": "read_only"}}).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", policyPath(work), token, map[string]any{"policy": map[string]any{"access": "read_write"}}).want(t, http.StatusForbidden, "FORBIDDEN")
		if got := w.do(t, "GET", policyPath(work), opKey, nil).want(t, http.StatusOK, ""); got.body["alias"] != "work" {
			t.Errorf("a refused patch renamed the account: %v", got.body["alias"])
		}
	})
	t.Run("ReadOnlyThroughExecute", func(t *testing.T) {
		w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"access": "read_only"}}).want(t, http.StatusOK, "")
		w.gh.Reset()
		got := w.do(t, "POST", execute, token, issueCall("no")).want(t, http.StatusForbidden, "ACCOUNT_POLICY_DENIED")
		if p, _ := got.body["error"].(map[string]any)["policy"].(map[string]any); p["access"] != "read_only" {
			t.Errorf("the refusal's policy = %v", p)
		}
		w.do(t, "POST", execute, token, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"}).want(t, http.StatusOK, "")
		if n := w.issuesCreated(); n != 0 {
			t.Errorf("the refused write reached GitHub %d times", n)
		}
		tk := toolkitItem(t, w.do(t, "GET", "/api/v1/sessions/"+id+"/toolkits", token, nil).want(t, http.StatusOK, ""), "github")
		if p, _ := tk["connected_account"].(map[string]any)["policy"].(map[string]any); p["access"] != "read_only" {
			t.Errorf("session toolkits: %v", tk)
		}
		for _, it := range w.do(t, "GET", "/api/v1/sessions/"+id+"/tools", token, nil).want(t, http.StatusOK, "").body["items"].([]any) {
			if name := it.(map[string]any)["name"]; name == "GITHUB_CREATE_ISSUE" {
				t.Errorf("the session's tools list %s, which its read-only account may never run", name)
			}
		}
	})
}

// confirmLink is the confirmation of a CONFIRMATION_REQUIRED answer.
func confirmLink(tb testing.TB, r reply) (id, link string) {
	tb.Helper()
	c, _ := r.body["error"].(map[string]any)["confirmation"].(map[string]any)
	id, _ = c["id"].(string)
	link, _ = c["url"].(string)
	if id == "" || !strings.Contains(link, "/confirm/") {
		tb.Fatalf("no confirmation in %s", r.raw)
	}
	return id, link
}

// answer plays the person on a confirmation page: it loads the page and
// submits action ("allow" or "deny") with the page's form token, or with
// csrf when it is not empty. It returns the status and the page.
func answer(tb testing.TB, link, action, csrf string) (int, string) {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if csrf == "" {
		m := csrfField.FindSubmatch(page)
		if m == nil {
			return resp.StatusCode, string(page)
		}
		csrf = string(m[1])
	}
	resp, err = http.PostForm(link, url.Values{"csrf": {csrf}, "action": {action}})
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

// TestAPIConfirmationLink pins the link flow through the application API:
// 428 with a link, the page naming the call, CSRF, allow once, replay and
// foreign ids refused, decline final.
func TestAPIConfirmationLink(t *testing.T) {
	w := newAPIWorld(t)
	w.gh.AddRepo("alice-work", "notes", false)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	id := sess["id"].(string)
	work := w.connect(t, id, token, aliceWork, "work")
	execute := "/api/v1/sessions/" + id + "/execute"
	w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"confirm": "writes"}}).want(t, http.StatusOK, "")
	w.gh.Reset()

	cf, link := confirmLink(t, w.do(t, "POST", execute, token, issueCall("Quarterly report")).want(t, http.StatusPreconditionRequired, "CONFIRMATION_REQUIRED"))
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"create an issue", "alice-work (work)", "Quarterly report", "alice", `value="allow"`, `value="deny"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the confirmation page lacks %q:\n%s", want, page)
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the confirmation page is not locked down: %v", resp.Header)
	}
	if status, _ := answer(t, link, "allow", "forged"); status != http.StatusForbidden {
		t.Errorf("a forged form answered %d", status)
	}
	w.do(t, "POST", execute, token, map[string]any{"tool": "GITHUB_CREATE_ISSUE", "arguments": issueCall("Quarterly report")["arguments"], "confirmation": cf}).
		want(t, http.StatusPreconditionRequired, "CONFIRMATION_REQUIRED")
	if status, page := answer(t, link, "allow", ""); status != http.StatusOK || !strings.Contains(page, "You allowed it") {
		t.Fatalf("allowing answered %d:\n%s", status, page)
	}
	if status, _ := answer(t, link, "deny", ""); status != http.StatusGone {
		t.Errorf("a second answer got %d, want 410", status)
	}
	confirmed := issueCall("Quarterly report")
	confirmed["confirmation"] = cf
	w.do(t, "POST", execute, token, confirmed).want(t, http.StatusOK, "")
	w.do(t, "POST", execute, token, confirmed).want(t, http.StatusPreconditionRequired, "CONFIRMATION_REQUIRED")

	bob, bobST := w.newSession(t, map[string]any{"user_id": "bob"})
	bobs := w.connect(t, bob["id"].(string), bobST, bobToken, "")
	w.do(t, "PATCH", policyPath(bobs), opKey, map[string]any{"policy": map[string]any{"confirm": "writes"}}).want(t, http.StatusOK, "")
	cf2, link2 := confirmLink(t, w.do(t, "POST", execute, token, issueCall("Second")).want(t, http.StatusPreconditionRequired, "CONFIRMATION_REQUIRED"))
	answer(t, link2, "allow", "")
	foreign := issueCall("Second")
	foreign["confirmation"] = cf2
	got := w.do(t, "POST", "/api/v1/sessions/"+bob["id"].(string)+"/execute", bobST, foreign).want(t, http.StatusPreconditionRequired, "CONFIRMATION_REQUIRED")
	if !strings.Contains(got.message(), "not one of this user's") {
		t.Errorf("bob's session with alice's confirmation: %s", got.raw)
	}

	cf3, link3 := confirmLink(t, w.do(t, "POST", execute, token, issueCall("Third")).want(t, http.StatusPreconditionRequired, "CONFIRMATION_REQUIRED"))
	if status, page := answer(t, link3, "deny", ""); status != http.StatusOK || !strings.Contains(page, "You declined it") {
		t.Errorf("declining answered %d:\n%s", status, page)
	}
	declined := issueCall("Third")
	declined["confirmation"] = cf3
	w.do(t, "POST", execute, token, declined).want(t, http.StatusForbidden, "CONFIRMATION_DECLINED")
	if n := w.issuesCreated(); n != 1 {
		t.Errorf("%d issues created, want only the confirmed one", n)
	}
	if status, _ := answer(t, w.base+"/confirm/not-a-token", "allow", ""); status != http.StatusNotFound {
		t.Errorf("an unknown link answered %d", status)
	}
}

// TestAPIAudit pins GET /api/v1/audit: every user's entries for the
// operator, filters by user, account and time, pages, and never a session
// token, a credential or an argument value.
func TestAPIAudit(t *testing.T) {
	w := newAPIWorld(t)
	w.gh.AddRepo("alice-work", "notes", false)
	alice, aliceST := w.newSession(t, map[string]any{"user_id": "alice"})
	work := w.connect(t, alice["id"].(string), aliceST, aliceWork, "work")
	bob, bobST := w.newSession(t, map[string]any{"user_id": "bob"})
	bobs := w.connect(t, bob["id"].(string), bobST, bobToken, "")
	const secret = "Merger plans, do not share"
	w.do(t, "POST", "/api/v1/sessions/"+alice["id"].(string)+"/execute", aliceST, issueCall(secret)).want(t, http.StatusOK, "")
	w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"access": "read_only"}}).want(t, http.StatusOK, "")
	w.do(t, "POST", "/api/v1/sessions/"+alice["id"].(string)+"/execute", aliceST, issueCall(secret)).want(t, http.StatusForbidden, "ACCOUNT_POLICY_DENIED")
	w.do(t, "POST", "/api/v1/sessions/"+bob["id"].(string)+"/execute", bobST, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"}).want(t, http.StatusOK, "")

	outcomes := func(r reply) []string {
		var out []string
		for _, it := range r.body["items"].([]any) {
			e := it.(map[string]any)
			out = append(out, e["user_id"].(string)+":"+e["outcome"].(string))
		}
		return out
	}
	all := w.do(t, "GET", "/api/v1/audit", opKey, nil).want(t, http.StatusOK, "")
	if got := outcomes(all); !jsonEqual(got, []string{"bob:ok", "alice:ACCOUNT_POLICY_DENIED", "alice:ok"}) {
		t.Errorf("everyone's trail = %v", got)
	}
	if strings.Contains(all.raw, secret) || strings.Contains(all.raw, aliceWork) || strings.Contains(all.raw, bobToken) {
		t.Errorf("the trail carries an argument value or a credential: %s", all.raw)
	}
	newest := all.body["items"].([]any)[1].(map[string]any)
	if newest["via"] != "api" || newest["tool"] != "GITHUB_CREATE_ISSUE" || newest["account"].(map[string]any)["id"] != work || newest["selected_by"] != "session" || newest["session_id"] != alice["id"] {
		t.Errorf("alice's refused call = %v", newest)
	}
	if got := outcomes(w.do(t, "GET", "/api/v1/audit?user_id=alice", opKey, nil).want(t, http.StatusOK, "")); !jsonEqual(got, []string{"alice:ACCOUNT_POLICY_DENIED", "alice:ok"}) {
		t.Errorf("alice's trail = %v", got)
	}
	if got := outcomes(w.do(t, "GET", "/api/v1/audit?account_id="+bobs, opKey, nil).want(t, http.StatusOK, "")); !jsonEqual(got, []string{"bob:ok"}) {
		t.Errorf("bob's account's trail = %v", got)
	}
	if got := outcomes(w.do(t, "GET", "/api/v1/audit?user_id=bob&account_id="+work, opKey, nil).want(t, http.StatusOK, "")); len(got) != 0 {
		t.Errorf("bob's entries of alice's account = %v", got)
	}
	if got := outcomes(w.do(t, "GET", "/api/v1/audit?since=2999-01-01T00:00:00Z", opKey, nil).want(t, http.StatusOK, "")); len(got) != 0 {
		t.Errorf("entries since the future = %v", got)
	}
	first := w.do(t, "GET", "/api/v1/audit?limit=2", opKey, nil).want(t, http.StatusOK, "")
	next, _ := first.body["next_cursor"].(string)
	if rest := outcomes(w.do(t, "GET", "/api/v1/audit?limit=2&cursor="+next, opKey, nil).want(t, http.StatusOK, "")); next == "" || !jsonEqual(rest, []string{"alice:ok"}) {
		t.Errorf("second page (cursor %q) = %v", next, rest)
	}
	w.do(t, "GET", "/api/v1/audit?user_id=alice", aliceST, nil).want(t, http.StatusForbidden, "FORBIDDEN")
	w.do(t, "GET", "/api/v1/audit", "", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
	w.do(t, "GET", "/api/v1/audit?since=yesterday", opKey, nil).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
	w.do(t, "GET", "/api/v1/audit?cursor=xyz", opKey, nil).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
	w.do(t, "GET", "/api/v1/audit?user=alice", opKey, nil).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
}

// jsonEqual reports whether a and b encode to the same JSON.
func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
