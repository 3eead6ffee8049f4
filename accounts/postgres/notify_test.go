package postgres_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"switchboard/accounts"
	"switchboard/accounts/postgres"
	"switchboard/accounts/postgres/pgtest"
	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// inbox collects the events a listener delivers.
type inbox struct {
	mu     sync.Mutex
	events []accounts.Event
}

func (b *inbox) add(ev accounts.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, ev)
}

func (b *inbox) ids() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, ev := range b.events {
		out = append(out, ev.Account.ID)
	}
	return out
}

// publishUntil publishes ev from db until got reports it arrived; a
// listener starts asynchronously, so the first ones may go unheard.
func publishUntil(tb testing.TB, db *postgres.DB, ev accounts.Event, got func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !got() {
		if time.Now().After(deadline) {
			tb.Fatalf("event of %s never arrived", ev.Account.ID)
		}
		if err := db.Publish(tb.Context(), ev); err != nil {
			tb.Fatalf("Publish: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNotifyAcrossHandles pins the Notifier between two handles on one
// database, as between two replicas: what one publishes reaches the other
// with the account's identity and status, and never comes back to itself.
func TestNotifyAcrossHandles(t *testing.T) {
	a, b := open(t, t.Name()), open(t, t.Name())
	defer a.Close()
	defer b.Close()
	var atA, atB inbox
	defer a.Listen(atA.add)()
	defer b.Listen(atB.add)()

	fromA := accounts.Event{
		Account:   &accounts.Account{ID: "ca_from_a", UserID: "alice", Toolkit: "github", Status: accounts.StatusActive, Label: "never sent"},
		SessionID: "ses_1",
	}
	publishUntil(t, a, fromA, func() bool { return len(atB.ids()) > 0 })
	fromB := accounts.Event{Account: &accounts.Account{ID: "ca_from_b", UserID: "bob", Toolkit: "gmail", Status: accounts.StatusFailed}}
	publishUntil(t, b, fromB, func() bool { return len(atA.ids()) > 0 })

	atB.mu.Lock()
	got := atB.events[0]
	atB.mu.Unlock()
	want := fromA
	want.Account = &accounts.Account{ID: "ca_from_a", UserID: "alice", Toolkit: "github", Status: accounts.StatusActive}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event at b (-want +got):\n%s", diff)
	}
	// A's own events were published before b's; had any come back to a,
	// it would precede b's there.
	for _, id := range atA.ids() {
		if id != "ca_from_b" {
			t.Errorf("a received %s, an event it published itself", id)
		}
	}
	for _, id := range atB.ids() {
		if id != "ca_from_a" {
			t.Errorf("b received %s, an event it published itself", id)
		}
	}
}

// TestServiceEventsReachOtherReplica pins the wiring in accounts.Service: a
// connection completed through one replica's Service reaches the
// subscribers (wait_for_connection, tools/list_changed) of another's.
func TestServiceEventsReachOtherReplica(t *testing.T) {
	gh := fakeupstream.NewGitHub()
	defer gh.Close()
	gh.AddUser("ghp_alice_work", "alice-work", 1)
	svcA, svcB := replica(t, gh), replica(t, gh)

	// Wait until B listens: a probe event from A must arrive first.
	probe, stopProbe := svcB.Subscribe("probe")
	defer stopProbe()
	arrived := false
	publishUntil(t, svcA.Store().(*postgres.DB), accounts.Event{Account: &accounts.Account{ID: "ca_probe", UserID: "probe"}}, func() bool {
		select {
		case <-probe:
			arrived = true
		default:
		}
		return arrived
	})

	events, stop := svcB.Subscribe("alice")
	defer stop()
	sess, err := svcA.CreateSession(t.Context(), accounts.SessionOptions{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := svcA.Authorize(t.Context(), &accounts.Scope{Session: sess}, accounts.AuthorizeRequest{Toolkit: "github"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := strings.Cut(auth.URL, "/connect/")
	if _, err := svcA.CompleteWithSecret(t.Context(), token, "ghp_alice_work", ""); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Account.ID != auth.Account.ID || !ev.Account.Active() || ev.Account.Toolkit != "github" || ev.SessionID != sess.ID {
			t.Errorf("event at B = %+v (session %s), want %s ACTIVE on github from session %s", ev.Account, ev.SessionID, auth.Account.ID, sess.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the connection completed on A never reached B's subscribers")
	}
}

// replica builds a Service on the test's database, as one replica does.
func replica(tb testing.TB, gh *fakeupstream.GitHub) *accounts.Service {
	tb.Helper()
	catalog, err := tools.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := accounts.ParseKeyRing("k1:" + strings.Repeat("P", 43) + "=")
	if err != nil {
		tb.Fatal(err)
	}
	db := open(tb, tb.Name())
	tb.Cleanup(func() { db.Close() })
	svc, err := accounts.NewService(accounts.Config{
		Store: db, Locker: db, Keys: keys, Catalog: catalog, PublicURL: "http://switchboard.test",
		Executor: tools.NewExecutor(catalog, tools.ExecutorOptions{BaseURLs: map[string]string{"github": gh.URL()}}),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// TestNotifyAfterTheListenerIsCut pins the reconnection: when the
// listening connection dies (a restarted server, a dropped network), the
// listener connects again, and events flow once more.
func TestNotifyAfterTheListenerIsCut(t *testing.T) {
	a, b := open(t, t.Name()), open(t, t.Name())
	defer a.Close()
	defer b.Close()
	var atB inbox
	defer b.Listen(atB.add)()
	first := accounts.Event{Account: &accounts.Account{ID: "ca_before", UserID: "alice"}}
	publishUntil(t, a, first, func() bool { return len(atB.ids()) > 0 })

	var cut int
	err := rawConn(t, pgtest.SchemaURL(t, t.Name())).QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid))
		FROM pg_stat_activity WHERE query = 'LISTEN "switchboard_events:' || current_schema() || '"'`).Scan(&cut)
	if err != nil || cut != 1 {
		t.Fatalf("cutting the listening connection: %d cut, %v", cut, err)
	}
	again := accounts.Event{Account: &accounts.Account{ID: "ca_after", UserID: "alice"}}
	publishUntil(t, a, again, func() bool { return slices.Contains(atB.ids(), "ca_after") })
}
