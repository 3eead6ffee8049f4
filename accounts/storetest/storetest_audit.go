package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"switchboard/accounts"
)

// newAuditEntry returns an entry of userID's call acting with accountID,
// at t0 plus minutes, with every field set but Seq.
func newAuditEntry(userID, accountID string, minutes int) *accounts.AuditEntry {
	n := serial.Add(1)
	return &accounts.AuditEntry{
		At:             t0.Add(time.Duration(minutes) * time.Minute),
		UserID:         userID,
		SessionID:      fmt.Sprintf("ses_%d", n),
		Via:            accounts.ViaMCP,
		Tool:           "GITHUB_CREATE_ISSUE",
		Toolkit:        "github",
		AccountID:      accountID,
		AccountAlias:   "work",
		AccountLabel:   fmt.Sprintf("person%d@example.com", n),
		SelectedBy:     accounts.SelectedBySession,
		Outcome:        "UPSTREAM_ERROR",
		UpstreamStatus: 502,
		Latency:        1234567 * time.Microsecond,
		ArgsHash:       fmt.Sprintf("hash%d", n),
		ConfirmationID: fmt.Sprintf("cf_%d", n),
	}
}

// appendAudit stores the entries in one batch, failing tb on an error.
func appendAudit(tb testing.TB, st accounts.Store, list ...*accounts.AuditEntry) {
	tb.Helper()
	if err := st.AppendAudit(tb.Context(), list); err != nil {
		tb.Fatalf("AppendAudit: %v", err)
	}
}

// audit returns what q selects, failing tb on an error.
func audit(tb testing.TB, st accounts.Store, q accounts.AuditQuery) []*accounts.AuditEntry {
	tb.Helper()
	list, err := st.Audit(tb.Context(), q)
	if err != nil {
		tb.Fatalf("Audit(%+v): %v", q, err)
	}
	return list
}

// testAuditRoundTripAndFilters pins the trail: entries come back as
// written, newest first, a page at a time, filtered by user, account and
// time; one user's filter never yields another's entries.
func testAuditRoundTripAndFilters(t *testing.T, s suite) {
	st := s.store(t)
	alice1 := newAuditEntry("alice", "ca_a1", 1)
	alice2 := newAuditEntry("alice", "ca_a2", 2)
	bob := newAuditEntry("bob", "ca_b1", 3)
	alice3 := newAuditEntry("alice", "ca_a1", 4)
	// An entry of a call that chose no account.
	bare := newAuditEntry("alice", "", 5)
	bare.AccountAlias, bare.AccountLabel, bare.SelectedBy, bare.UpstreamStatus, bare.ConfirmationID = "", "", "", 0, ""
	bare.Outcome = "ACCOUNT_REQUIRED"
	inOrder := []*accounts.AuditEntry{alice1, alice2, bob, alice3, bare}
	appendAudit(t, st, inOrder[:2]...)
	appendAudit(t, st, inOrder[2:]...)
	for i := 1; i < len(inOrder); i++ {
		if inOrder[i].Seq <= inOrder[i-1].Seq {
			t.Errorf("Seq %d after %d: not strictly increasing", inOrder[i].Seq, inOrder[i-1].Seq)
		}
	}
	for _, tt := range []struct {
		name string
		q    accounts.AuditQuery
		want []*accounts.AuditEntry
	}{
		{"Everyone", accounts.AuditQuery{Limit: 10}, []*accounts.AuditEntry{bare, alice3, bob, alice2, alice1}},
		{"OneUser", accounts.AuditQuery{UserID: "alice", Limit: 10}, []*accounts.AuditEntry{bare, alice3, alice2, alice1}},
		{"OtherUser", accounts.AuditQuery{UserID: "bob", Limit: 10}, []*accounts.AuditEntry{bob}},
		{"OneAccount", accounts.AuditQuery{AccountID: "ca_a1", Limit: 10}, []*accounts.AuditEntry{alice3, alice1}},
		{"AccountOfAnotherUser", accounts.AuditQuery{UserID: "bob", AccountID: "ca_a1", Limit: 10}, nil},
		{"UserAndAccount", accounts.AuditQuery{UserID: "alice", AccountID: "ca_a2", Limit: 10}, []*accounts.AuditEntry{alice2}},
		{"Since", accounts.AuditQuery{UserID: "alice", Since: alice3.At, Limit: 10}, []*accounts.AuditEntry{bare, alice3}},
		{"FirstPage", accounts.AuditQuery{UserID: "alice", Limit: 2}, []*accounts.AuditEntry{bare, alice3}},
		{"NextPage", accounts.AuditQuery{UserID: "alice", Before: alice3.Seq, Limit: 2}, []*accounts.AuditEntry{alice2, alice1}},
		{"UnknownUser", accounts.AuditQuery{UserID: "carol", Limit: 10}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantSame(t, "entries", tt.want, audit(t, st, tt.q), cmpopts.EquateEmpty())
		})
	}
}

// testAuditLargeBatch pins a batch larger than a store may insert with one
// statement: every entry is stored under its own Seq, in the order given,
// with its own fields.
func testAuditLargeBatch(t *testing.T, s suite) {
	st := s.store(t)
	const n = 157 // not a sum of equal chunks: 128 + 16 + 8 + 4 + 1 with powers of two
	list := make([]*accounts.AuditEntry, n)
	for i := range list {
		list[i] = newAuditEntry(fmt.Sprintf("user%d", i%3), fmt.Sprintf("ca_%d", i), i)
	}
	appendAudit(t, st, list...)
	for i := 1; i < n; i++ {
		if list[i].Seq <= list[i-1].Seq {
			t.Fatalf("entry %d: Seq %d after %d, not strictly increasing in the order given", i, list[i].Seq, list[i-1].Seq)
		}
	}
	got := audit(t, st, accounts.AuditQuery{Limit: 2 * n})
	want := make([]*accounts.AuditEntry, n)
	for i, e := range list {
		want[n-1-i] = e
	}
	wantSame(t, "entries", want, got)
}
