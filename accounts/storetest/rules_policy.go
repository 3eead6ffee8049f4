package storetest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/accounts"
)

// The policy rules of DESIGN.md's "Account policies and audit", on top of
// the store: what a policy refuses never reaches the upstream, a call that
// must ask first runs once per confirmation, and every call is in the
// trail.

// issueArgs are the arguments of a GITHUB_CREATE_ISSUE call in alice's
// repository; the title doubles as a value that must never be recorded.
func issueArgs(title string) map[string]any {
	return map[string]any{"owner": "alice-work", "repo": "notes", "title": title}
}

// call runs tool in a fresh read of sc's session, as a request would.
func (w *world) call(tb testing.TB, sc *accounts.Scope, tool string, args map[string]any, opts accounts.CallOptions) (*accounts.CallResult, error) {
	tb.Helper()
	return w.svc.CallWith(context.Background(), w.reload(tb, sc), w.svc.Catalog().Tool(tool), args, opts)
}

// setPolicy gives the account a policy through the service.
func (w *world) setPolicy(tb testing.TB, a *accounts.Account, p accounts.Policy) {
	tb.Helper()
	if _, err := w.svc.SetPolicy(context.Background(), a, p); err != nil {
		tb.Fatalf("SetPolicy(%v): %v", p, err)
	}
}

// upstream counts the requests the fake GitHub received on path since
// the last count, and forgets them.
func (w *world) upstream(path string) int {
	n := 0
	for _, r := range w.gh.Requests() {
		if r.Path == path {
			n++
		}
	}
	w.gh.Reset()
	return n
}

const issuesPath = "/repos/alice-work/notes/issues"

// policyWorld is alice with one github account and a repository to write
// to; the fake's requests so far are forgotten.
func policyWorld(t *testing.T, open Opener) (*world, *accounts.Scope, *accounts.Account) {
	w := newWorld(t, open, t.TempDir())
	w.gh.AddRepo("alice-work", "notes", false)
	sc := w.scope(t, "alice")
	a := w.connect(t, sc, tokWork, "work")
	w.gh.Reset()
	return w, sc, a
}

// testReadOnly pins access: read_only: a write is refused naming the
// policy, with no request upstream; a read runs.
func testReadOnly(t *testing.T, open Opener) {
	w, sc, a := policyWorld(t, open)
	w.setPolicy(t, a, accounts.Policy{Access: accounts.AccessReadOnly})
	_, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs("hello"), accounts.CallOptions{})
	e := wantCode(t, err, accounts.CodeAccountPolicyDenied)
	if !strings.Contains(e.Message, "read_only") || e.Account == nil || e.Account.ID != a.ID {
		t.Errorf("refusal %q (account %v) does not name the policy and the account", e.Message, e.Account)
	}
	if n := w.upstream(issuesPath); n != 0 {
		t.Errorf("the refused write reached GitHub %d times", n)
	}
	if _, err := w.call(t, sc, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{}, accounts.CallOptions{}); err != nil {
		t.Errorf("a read on the read-only account: %v", err)
	}
	if n := w.upstream("/user"); n != 1 {
		t.Errorf("the read made %d requests, want 1", n)
	}
}

// testDenyBeatsAllow pins the tool lists: a tool both lists name is
// denied; one the allow list leaves out is refused; one it names runs.
func testDenyBeatsAllow(t *testing.T, open Opener) {
	w, sc, a := policyWorld(t, open)
	w.setPolicy(t, a, accounts.Policy{
		AllowTools: []string{"GITHUB_CREATE_ISSUE", "GITHUB_GET_*"},
		DenyTools:  []string{"github_create_issue"}, // names are not case-sensitive
	})
	_, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs("hello"), accounts.CallOptions{})
	if e := wantCode(t, err, accounts.CodeAccountPolicyDenied); !strings.Contains(e.Message, "deny_tools") {
		t.Errorf("refusal %q does not name deny_tools", e.Message)
	}
	_, err = w.call(t, sc, "GITHUB_LIST_REPOSITORIES", map[string]any{}, accounts.CallOptions{})
	if e := wantCode(t, err, accounts.CodeAccountPolicyDenied); !strings.Contains(e.Message, "allow_tools") {
		t.Errorf("refusal %q does not name allow_tools", e.Message)
	}
	if n := len(w.gh.Requests()); n != 0 {
		t.Errorf("refused calls made %d upstream requests", n)
	}
	if _, err := w.call(t, sc, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{}, accounts.CallOptions{}); err != nil {
		t.Errorf("an allowed tool: %v", err)
	}
	for _, bad := range []accounts.Policy{
		{Access: "read-only"},
		{Confirm: "always"},
		{DenyTools: []string{"GMAIL_SEND_EMAIL"}},
		{AllowTools: []string{"GITHUB_NO_SUCH_*"}},
		{AllowTools: []string{"GITHUB_*_ISSUE"}},
	} {
		_, err := w.svc.SetPolicy(context.Background(), a, bad)
		wantCode(t, err, accounts.CodeInvalidArguments)
	}
}

// testPolicyAppliesOnNextCall pins that a running session follows a
// policy change from its very next call, and back.
func testPolicyAppliesOnNextCall(t *testing.T, open Opener) {
	w, sc, a := policyWorld(t, open)
	if _, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs("first"), accounts.CallOptions{}); err != nil {
		t.Fatalf("before the policy: %v", err)
	}
	w.setPolicy(t, a, accounts.Policy{DenyTools: []string{"GITHUB_CREATE_*"}})
	_, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs("second"), accounts.CallOptions{})
	wantCode(t, err, accounts.CodeAccountPolicyDenied)
	w.setPolicy(t, a, accounts.Policy{})
	if _, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs("third"), accounts.CallOptions{}); err != nil {
		t.Errorf("after the policy was lifted: %v", err)
	}
	if n := w.upstream(issuesPath); n != 2 {
		t.Errorf("%d issues created, want 2 (the denied one never sent)", n)
	}
}

// testConfirmByLink pins the link flow: a call that must ask is refused
// with a link and a confirmation id, and sends nothing; once the person
// allowed it on the link's page, repeating it with the id runs it once; a
// replay, another user's id, a declined or an expired confirmation run
// nothing.
func testConfirmByLink(t *testing.T, open Opener) {
	w, sc, a := policyWorld(t, open)
	ctx := context.Background()
	w.setPolicy(t, a, accounts.Policy{Confirm: accounts.ConfirmWrites})
	args := issueArgs("needs a yes")
	ask := func() (id, token string) {
		t.Helper()
		_, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", args, accounts.CallOptions{})
		e := wantCode(t, err, accounts.CodeConfirmationRequired)
		if e.Confirmation == nil || e.Confirmation.URL == "" || !strings.Contains(e.Message, e.Confirmation.URL) {
			t.Fatalf("CONFIRMATION_REQUIRED without a link: %+v", e)
		}
		_, token, _ = strings.Cut(e.Confirmation.URL, "/confirm/")
		return e.Confirmation.ID, token
	}
	id, token := ask()
	if n := w.upstream(issuesPath); n != 0 {
		t.Fatalf("asking sent %d requests", n)
	}
	// Reads do not ask under confirm: writes.
	if _, err := w.call(t, sc, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{}, accounts.CallOptions{}); err != nil {
		t.Errorf("a read under confirm writes: %v", err)
	}
	// Not answered yet: the same id is still pending.
	_, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", args, accounts.CallOptions{Confirmation: id})
	if e := wantCode(t, err, accounts.CodeConfirmationRequired); e.Confirmation == nil || e.Confirmation.ID != id {
		t.Errorf("a pending confirmation answered %+v", e)
	}
	// A client cannot answer a confirmation that has a link.
	wantCode(t, w.svc.AnswerConfirmation(ctx, "alice", id, true), accounts.CodeInvalidArguments)

	page, err := w.svc.OpenConfirmation(ctx, token)
	if err != nil || page.Problem != "" || page.Tool.Name != "GITHUB_CREATE_ISSUE" || page.Account.ID != a.ID {
		t.Fatalf("the link's page: %+v, %v", page, err)
	}
	if summary := accounts.FormatSummary(page.Arguments); !strings.Contains(summary, "title: needs a yes") {
		t.Errorf("the page's summary of the arguments:\n%s", summary)
	}
	if page, err := w.svc.DecideByLink(ctx, token, true); err != nil || page.Problem != "" {
		t.Fatalf("allowing: %+v, %v", page, err)
	}
	// Other arguments are another call.
	_, err = w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs("something else"), accounts.CallOptions{Confirmation: id})
	wantCode(t, err, accounts.CodeConfirmationRequired)
	if _, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", args, accounts.CallOptions{Confirmation: id}); err != nil {
		t.Fatalf("the confirmed call: %v", err)
	}
	if n := w.upstream(issuesPath); n != 1 {
		t.Errorf("the confirmed call sent %d requests, want 1", n)
	}
	_, err = w.call(t, sc, "GITHUB_CREATE_ISSUE", args, accounts.CallOptions{Confirmation: id})
	if e := wantCode(t, err, accounts.CodeConfirmationRequired); !strings.Contains(e.Message, "used already") || e.Confirmation.ID == id {
		t.Errorf("a replay answered %q with confirmation %v", e.Message, e.Confirmation)
	}
	if page, _ := w.svc.DecideByLink(ctx, token, true); page.Problem == "" {
		t.Errorf("the link answered a second time")
	}

	// Bob, with a policy of his own, cannot use alice's approved id.
	bobSc := w.scope(t, "bob")
	bob := w.connect(t, bobSc, tokBob, "")
	w.setPolicy(t, bob, accounts.Policy{Confirm: accounts.ConfirmWrites})
	aliceID, aliceToken := ask()
	if _, err := w.svc.DecideByLink(ctx, aliceToken, true); err != nil {
		t.Fatal(err)
	}
	w.gh.AddRepo("bob", "notes", false)
	_, err = w.call(t, bobSc, "GITHUB_CREATE_ISSUE", map[string]any{"owner": "bob", "repo": "notes", "title": "needs a yes"}, accounts.CallOptions{Confirmation: aliceID})
	if e := wantCode(t, err, accounts.CodeConfirmationRequired); !strings.Contains(e.Message, "not one of this user's") {
		t.Errorf("bob with alice's confirmation: %q", e.Message)
	}

	declinedID, declinedToken := ask()
	if _, err := w.svc.DecideByLink(ctx, declinedToken, false); err != nil {
		t.Fatal(err)
	}
	_, err = w.call(t, sc, "GITHUB_CREATE_ISSUE", args, accounts.CallOptions{Confirmation: declinedID})
	wantCode(t, err, accounts.CodeConfirmationDeclined)

	lateID, lateToken := ask()
	if _, err := w.svc.DecideByLink(ctx, lateToken, true); err != nil {
		t.Fatal(err)
	}
	w.tick(11 * time.Minute)
	_, err = w.call(t, sc, "GITHUB_CREATE_ISSUE", args, accounts.CallOptions{Confirmation: lateID})
	if e := wantCode(t, err, accounts.CodeConfirmationRequired); !strings.Contains(e.Message, "expired") {
		t.Errorf("an expired confirmation: %q", e.Message)
	}
	if n := w.upstream(issuesPath) + w.upstream("/repos/bob/notes/issues"); n != 0 {
		t.Errorf("refused confirmations sent %d requests", n)
	}
}

// testConfirmByClient pins the elicitation flow at the service: a call
// whose caller asks the person itself gets a confirmation without a link;
// the client's accept lets the repeated call run once, a decline runs
// nothing.
func testConfirmByClient(t *testing.T, open Opener) {
	w, sc, a := policyWorld(t, open)
	ctx := context.Background()
	w.setPolicy(t, a, accounts.Policy{Confirm: accounts.ConfirmDestructive})
	// Creating an issue is not destructive: it runs without asking.
	if _, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs("to close"), accounts.CallOptions{Elicit: true}); err != nil {
		t.Fatalf("a non-destructive write under confirm destructive: %v", err)
	}
	w.gh.Reset()
	closeIt := map[string]any{"owner": "alice-work", "repo": "notes", "issue_number": 1, "state": "closed"}
	for _, approved := range []bool{true, false} {
		_, err := w.call(t, sc, "GITHUB_UPDATE_ISSUE", closeIt, accounts.CallOptions{Elicit: true})
		e := wantCode(t, err, accounts.CodeConfirmationRequired)
		if e.Confirmation == nil || e.Confirmation.URL != "" {
			t.Fatalf("confirmation for a client that asks: %+v", e.Confirmation)
		}
		if err := w.svc.AnswerConfirmation(ctx, "bob", e.Confirmation.ID, true); err == nil {
			t.Errorf("bob answered alice's confirmation")
		}
		if err := w.svc.AnswerConfirmation(ctx, "alice", e.Confirmation.ID, approved); err != nil {
			t.Fatal(err)
		}
		_, err = w.call(t, sc, "GITHUB_UPDATE_ISSUE", closeIt, accounts.CallOptions{Elicit: true, Confirmation: e.Confirmation.ID})
		want := 0
		if approved {
			want = 1
			if err != nil {
				t.Errorf("accepted: %v", err)
			}
		} else {
			wantCode(t, err, accounts.CodeConfirmationDeclined)
		}
		if n := w.upstream("/repos/alice-work/notes/issues/1"); n != want {
			t.Errorf("approved=%v: %d requests, want %d", approved, n, want)
		}
	}
}

// testAuditTrail pins the trail: a success, a refusal by policy and an
// upstream error each leave an entry with the account, the layer that
// chose it, the outcome and the upstream status; no entry holds an
// argument value; a user's view holds only their own entries.
func testAuditTrail(t *testing.T, open Opener) {
	w, sc, a := policyWorld(t, open)
	ctx := context.Background()
	const secret = "the-title-nobody-may-read"
	if _, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs(secret), accounts.CallOptions{Via: accounts.ViaMCP}); err != nil {
		t.Fatal(err)
	}
	w.gh.Fail(issuesPath, http.StatusUnprocessableEntity, nil, `{"message":"`+secret+`"}`, 1)
	_, err := w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs(secret), accounts.CallOptions{Via: accounts.ViaAPI})
	if code := accounts.ErrorOf(err).Code; code != accounts.CodeUpstreamError {
		t.Fatalf("a refused request: %v, want UPSTREAM_ERROR", err)
	}
	w.setPolicy(t, a, accounts.Policy{Access: accounts.AccessReadOnly})
	_, err = w.call(t, sc, "GITHUB_CREATE_ISSUE", issueArgs(secret), accounts.CallOptions{Via: accounts.ViaExecuteTool})
	wantCode(t, err, accounts.CodeAccountPolicyDenied)

	bobSc := w.scope(t, "bob")
	w.connect(t, bobSc, tokBob, "")
	if _, err := w.call(t, bobSc, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{}, accounts.CallOptions{}); err != nil {
		t.Fatal(err)
	}

	mine, next, err := w.svc.Audit(ctx, accounts.AuditQuery{UserID: "alice", Limit: 10})
	if err != nil || next != 0 {
		t.Fatalf("Audit(alice): %v (next %d)", err, next)
	}
	type row struct {
		Via, Outcome string
		Status       int
	}
	var got []row
	for _, e := range mine {
		got = append(got, row{e.Via, e.Outcome, e.UpstreamStatus})
		if e.UserID != "alice" || e.SessionID != sc.Session.ID || e.Tool != "GITHUB_CREATE_ISSUE" || e.AccountID != a.ID ||
			e.AccountAlias != "work" || e.AccountLabel != "alice-work" || e.SelectedBy != accounts.SelectedBySession || e.ArgsHash == "" {
			t.Errorf("entry %+v", e)
		}
		if strings.Contains(strings.ToLower(e.ArgsHash+e.Outcome+e.Tool), strings.ToLower(secret)) {
			t.Errorf("entry holds an argument value: %+v", e)
		}
	}
	want := []row{
		{accounts.ViaExecuteTool, string(accounts.CodeAccountPolicyDenied), 0},
		{accounts.ViaAPI, string(accounts.CodeUpstreamError), http.StatusUnprocessableEntity},
		{accounts.ViaMCP, accounts.OutcomeOK, http.StatusCreated},
	}
	wantSame(t, "alice's trail (via, outcome, status), newest first", want, got)
	if mine[0].ArgsHash != mine[1].ArgsHash {
		t.Errorf("the same arguments hashed differently: %s, %s", mine[0].ArgsHash, mine[1].ArgsHash)
	}

	theirs, _, err := w.svc.Audit(ctx, accounts.AuditQuery{UserID: "bob", AccountID: a.ID, Limit: 10})
	if err != nil || len(theirs) != 0 {
		t.Errorf("bob's view of alice's account: %d entries (%v)", len(theirs), err)
	}
	all, _, err := w.svc.Audit(ctx, accounts.AuditQuery{Limit: 10})
	if err != nil || len(all) != 4 {
		t.Errorf("the operator's view: %d entries (%v), want 4", len(all), err)
	}
}
