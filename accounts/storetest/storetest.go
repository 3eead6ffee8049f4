// Package storetest is the behaviour suite every accounts.Store must pass:
// accounts/sqlite runs it, and so will every other store, so that the
// Service can rely on one contract whatever the database.
//
// Times in the suite carry microseconds but no finer digits, the precision
// PostgreSQL keeps, and arrive in a zone other than UTC, so that a store
// which drops sub-second precision or the zone fails here.
package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"switchboard/accounts"
)

// Opener opens a store whose data lives in dir. Opening the same dir again,
// also while the first store is still open, must reach the same data, the
// way two processes share one data dir. The suite closes what it opens.
type Opener func(tb testing.TB, dir string) accounts.Store

// Run runs the suite against the stores open returns. Each subtest opens its
// own stores in a fresh directory, so they may run in any order and at once.
func Run(t *testing.T, open Opener) {
	s := suite{open: open}
	tests := []struct {
		name string
		test func(t *testing.T, s suite)
	}{
		{"AccountRoundTrip", testAccountRoundTrip},
		{"TouchChangesOnlyLastUsed", testTouchChangesOnlyLastUsed},
		{"SeqStrictlyIncreasing", testSeqStrictlyIncreasing},
		{"AccountsOrderedBySeqAndFilteredByToolkit", testAccountsOrderedBySeq},
		{"AliasUniquePerUserAndToolkit", testAliasUnique},
		{"CrossUserIsolation", testCrossUserIsolation},
		{"CredentialRoundTripAndReplace", testCredential},
		{"DeleteAccountRemovesEverythingOfIt", testDeleteAccount},
		{"LinkRoundTrip", testLinkRoundTrip},
		{"LatestLinkIsMostRecentlyCreated", testLatestLink},
		{"LinkForAccountAnyUser", testLinkForAccount},
		{"LinkStateSingleUse", testLinkStateSingleUse},
		{"DeleteSessionTakesItsSelections", testDeleteSession},
		{"LinkStateRefusedOnUsedLink", testLinkStateRefusedOnUsedLink},
		{"CompleteWritesEverythingAtOnce", testCompleteWrites},
		{"CompleteIsSingleUse", testCompleteSingleUse},
		{"CompleteRacersOnlyOneWins", testCompleteRace},
		{"CompleteDiscardsPlaceholderKeepsLink", testCompleteDiscard},
		{"FailedCompleteLeavesLinkUnused", testCompleteFailure},
		{"CompleteAfterSessionDeleted", testCompleteSessionGone},
		{"CompleteKeepsStatusChangedSinceRead", testCompleteKeepsStatusChanges},
		{"SetAliasChangesOnlyAlias", testAliasChangesOnlyAlias},
		{"SetStatusOnlyFromWhatWasRead", testStatusFromWhatWasRead},
		{"StatusRacersOnlyOneWins", testStatusRace},
		{"SessionRoundTrip", testSessionRoundTrip},
		{"SelectAccountSetsReplacesAndClears", testSelectAccount},
		{"SelectAccountRefusesForeignAccount", testSelectForeign},
		{"UpdateSession", testUpdateSession},
		{"CountSessionsPerUser", testCountSessions},
		{"AccountByIDAnyUser", testAccountByID},
		{"ListAccountsFiltersAndPages", testListAccounts},
		{"PersistenceAcrossReopen", testPersistence},
		{"ConcurrentWriters", testConcurrentWriters},
		{"TwoHandlesOneDir", testTwoHandles},
		{"TouchSessionOnlyForward", testTouchSession},
		{"PolicyStoredWithTheAccount", testPolicyRoundTrip},
		{"AuditRoundTripAndFilters", testAuditRoundTripAndFilters},
		{"AuditLargeBatch", testAuditLargeBatch},
		{"ConfirmationRoundTrip", testConfirmationRoundTrip},
		{"ConfirmationDecidedAndUsedOnce", testConfirmationDecideAndUseOnce},
		{"ConfirmationUseRaceOnlyOneWins", testConfirmationUseRace},
		{"SweepDeletesWhatOutlivedItsUse", testSweep},
		{"SweepZeroPolicyKeepsAllButWhatEnded", testSweepZeroPolicy},
		{"SweepConcurrently", testSweepConcurrently},
		{"GenerationMovesWithEveryChange", testGenerations},
		{"StampMovesWithEveryCommit", testStamp},
	}
	// Subtests run in parallel: each has a store of its own (a fresh
	// directory; a fresh schema in PostgreSQL), and ids are unique across
	// the suite.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, s)
		})
	}
	t.Run("Rules", func(t *testing.T) {
		t.Parallel()
		runRules(t, open)
	})
}

// suite carries the Opener to the subtests.
type suite struct {
	open Opener
}

// store opens a store in a fresh directory, closed when tb ends.
func (s suite) store(tb testing.TB) accounts.Store {
	tb.Helper()
	st, _ := s.openAt(tb, tb.TempDir())
	return st
}

// openAt opens a store in dir. It is closed when tb ends, or earlier by the
// returned func, which the cleanup then does not repeat.
func (s suite) openAt(tb testing.TB, dir string) (accounts.Store, func()) {
	tb.Helper()
	st := s.open(tb, dir)
	var once sync.Once
	closeStore := func() {
		once.Do(func() {
			if err := st.Close(); err != nil {
				tb.Errorf("Close: %v", err)
			}
		})
	}
	tb.Cleanup(closeStore)
	return st, closeStore
}

// t0 is the suite's reference time: sub-second, microsecond-precise, and
// two hours east of UTC.
var t0 = time.Date(2025, 6, 1, 14, 30, 15, 123456000, time.FixedZone("UTC+2", 2*60*60))

// serial makes ids unique across the whole suite.
var serial atomic.Int64

// newAccount returns an ACTIVE account of userID and toolkit with every
// field set except Seq and LastUsedAt, distinct from any other it returns.
func newAccount(userID, toolkit string) *accounts.Account {
	n := serial.Add(1)
	return &accounts.Account{
		ID:           fmt.Sprintf("ca_%d", n),
		UserID:       userID,
		Toolkit:      toolkit,
		AuthConfigID: "ac_" + toolkit,
		Scheme:       "oauth2",
		Label:        fmt.Sprintf("person%d@example.com", n),
		UpstreamID:   fmt.Sprint(90000 + n),
		Status:       accounts.StatusActive,
		CreatedAt:    t0.Add(time.Duration(n) * time.Minute),
		ConnectedAt:  t0.Add(time.Duration(n)*time.Minute + 1500*time.Microsecond),
	}
}

// newLink returns an unused link for a, created at t0 and expiring ten
// minutes later.
func newLink(a *accounts.Account) *accounts.Link {
	n := serial.Add(1)
	return &accounts.Link{
		TokenHash:    fmt.Sprintf("%064x", n),
		AccountID:    a.ID,
		UserID:       a.UserID,
		Toolkit:      a.Toolkit,
		AuthConfigID: a.AuthConfigID,
		Scheme:       a.Scheme,
		ExpiresAt:    t0.Add(10 * time.Minute),
		CreatedAt:    t0,
	}
}

// newSession returns a session of userID allowing every toolkit.
func newSession(userID string) *accounts.Session {
	return &accounts.Session{
		ID:        fmt.Sprintf("ses_%d", serial.Add(1)),
		UserID:    userID,
		CreatedAt: t0,
		UpdatedAt: t0,
	}
}

// createAccounts stores each account, failing tb on an error.
func createAccounts(tb testing.TB, st accounts.Store, list ...*accounts.Account) {
	tb.Helper()
	for _, a := range list {
		if err := st.CreateAccount(tb.Context(), a); err != nil {
			tb.Fatalf("CreateAccount(%s): %v", a.ID, err)
		}
	}
}

// mustAccount returns the stored account, failing tb when it cannot.
func mustAccount(tb testing.TB, st accounts.Store, userID, id string) *accounts.Account {
	tb.Helper()
	a, err := st.Account(tb.Context(), userID, id)
	if err != nil {
		tb.Fatalf("Account(%s, %s): %v", userID, id, err)
	}
	return a
}

// mustSession returns the stored session, failing tb when it cannot.
func mustSession(tb testing.TB, st accounts.Store, id string) *accounts.Session {
	tb.Helper()
	s, err := st.Session(tb.Context(), id)
	if err != nil {
		tb.Fatalf("Session(%s): %v", id, err)
	}
	return s
}

// mustLink returns the stored link, failing tb when it cannot.
func mustLink(tb testing.TB, st accounts.Store, hash string) *accounts.Link {
	tb.Helper()
	l, err := st.Link(tb.Context(), hash)
	if err != nil {
		tb.Fatalf("Link(%s): %v", hash, err)
	}
	return l
}

// wantErr fails tb unless err is target; what names the call.
func wantErr(tb testing.TB, what string, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Errorf("%s = %v, want %v", what, err, target)
	}
}

// wantSame fails tb when got differs from want.
func wantSame(tb testing.TB, what string, want, got any, opts ...cmp.Option) {
	tb.Helper()
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// wantCredential fails tb unless the account's stored credential is want.
func wantCredential(tb testing.TB, st accounts.Store, userID, id string, want []byte) {
	tb.Helper()
	got, err := st.Credential(tb.Context(), userID, id)
	if err != nil {
		tb.Fatalf("Credential(%s, %s): %v", userID, id, err)
	}
	if string(got) != string(want) {
		tb.Errorf("Credential(%s, %s) = %x, want %x", userID, id, got, want)
	}
}
