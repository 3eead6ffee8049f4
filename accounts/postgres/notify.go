package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/accounts"
)

// maxPayload is below PostgreSQL's limit on a NOTIFY payload (8000 bytes).
const maxPayload = 7900

// wireEvent is an accounts.Event as it travels between replicas: the
// account's identity and status, never anything secret.
type wireEvent struct {
	// Origin is the listener of the publishing DB, so it skips its own.
	Origin  string `json:"o"`
	Account string `json:"a"`
	User    string `json:"u"`
	Toolkit string `json:"t"`
	Status  string `json:"s"`
	Session string `json:"ses,omitempty"`
}

// listener carries account events between the processes sharing the
// database: Publish sends a NOTIFY on the schema's channel, and one
// connection per DB, outside the pool, LISTENs to it once something
// listens here. A lost connection is re-established with backoff; events
// sent meanwhile are lost, which accounts.Notifier allows.
type listener struct {
	pool    *pgxpool.Pool
	channel string
	origin  string

	mu        sync.Mutex
	receivers map[int]func(accounts.Event)
	next      int
	stop      context.CancelFunc // set once listening started
	done      chan struct{}
}

// newListener prepares the listener of the pool's schema; it connects on
// the first Listen.
func newListener(ctx context.Context, pool *pgxpool.Pool) (*listener, error) {
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("postgres: current schema: %w", err)
	}
	return &listener{
		pool:      pool,
		channel:   channelName(schema),
		origin:    rand.Text(),
		receivers: map[int]func(accounts.Event){},
	}, nil
}

// channelName is the NOTIFY channel of schema, within PostgreSQL's 63-byte
// limit on names.
func channelName(schema string) string {
	name := "switchboard_events:" + schema
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(schema))
	return "switchboard_events:" + hex.EncodeToString(sum[:16])
}

// Publish sends ev to the other processes listening on the database; see
// accounts.Notifier. The notification leaves when the statement commits,
// after the write it reports.
func (d *DB) Publish(ctx context.Context, ev accounts.Event) error {
	if ev.Account == nil {
		return errors.New("postgres: publish: the event names no account")
	}
	payload, err := json.Marshal(wireEvent{
		Origin: d.events.origin, Account: ev.Account.ID, User: ev.Account.UserID,
		Toolkit: ev.Account.Toolkit, Status: string(ev.Account.Status), Session: ev.SessionID,
	})
	if err != nil {
		return fmt.Errorf("postgres: publish: %w", err)
	}
	if len(payload) > maxPayload {
		return fmt.Errorf("postgres: publish: the event of account %s is %d bytes, over the NOTIFY limit", ev.Account.ID, len(payload))
	}
	if _, err := d.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, d.events.channel, string(payload)); err != nil {
		return fmt.Errorf("postgres: publish: %w", err)
	}
	return nil
}

// Listen calls deliver with each event another process published, until
// stop is called; see accounts.Notifier. The first call starts listening.
func (d *DB) Listen(deliver func(accounts.Event)) (stop func()) {
	return d.events.add(deliver)
}

func (l *listener) add(deliver func(accounts.Event)) func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.next
	l.next++
	l.receivers[id] = deliver
	if l.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		l.stop, l.done = cancel, make(chan struct{})
		go l.run(ctx)
	}
	return func() {
		l.mu.Lock()
		delete(l.receivers, id)
		l.mu.Unlock()
	}
}

// close stops listening and waits for the connection to end.
func (l *listener) close() {
	l.mu.Lock()
	stop, done := l.stop, l.done
	l.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// run listens until ctx ends, reconnecting after a failure.
func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	wait := 50 * time.Millisecond
	for ctx.Err() == nil {
		started := time.Now()
		l.listen(ctx)
		if time.Since(started) > time.Minute {
			wait = 50 * time.Millisecond // it worked for a while: retry soon
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// listen holds one listening connection until it fails or ctx ends.
func (l *listener) listen(ctx context.Context) {
	conn, err := pgx.ConnectConfig(ctx, l.pool.Config().ConnConfig)
	if err != nil {
		return
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		var w wireEvent
		if json.Unmarshal([]byte(n.Payload), &w) != nil || w.Origin == l.origin || w.Account == "" {
			continue
		}
		ev := accounts.Event{
			Account:   &accounts.Account{ID: w.Account, UserID: w.User, Toolkit: w.Toolkit, Status: accounts.Status(w.Status)},
			SessionID: w.Session,
		}
		l.mu.Lock()
		receivers := make([]func(accounts.Event), 0, len(l.receivers))
		for _, r := range l.receivers {
			receivers = append(receivers, r)
		}
		l.mu.Unlock()
		for _, r := range receivers {
			r(ev)
		}
	}
}
