package accounts

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// Notifier carries account events between the processes that share a
// store, so that wait_for_connection on one replica wakes as soon as the
// link completes on another, and sessions on every replica hear of a newly
// connected account (tools/list_changed). A Store may implement it
// (accounts/postgres does, with LISTEN/NOTIFY); the Service then publishes
// every event through it and hands the events of other processes to its own
// subscribers, as if they had happened here.
//
// Delivery is best effort: an event may be lost, for instance while the
// listening connection is re-established. Nothing may depend on it alone:
// wait_for_connection polls the store as well, and a client that missed a
// tools/list_changed still gets the right tools on its next tools/list,
// which is filtered per request. Implementations are safe for concurrent
// use.
type Notifier interface {
	// Publish sends ev to the other processes sharing the store. It may
	// carry only the account's ID, UserID, Toolkit and Status, and the
	// SessionID. It returns an error when the event could not be sent.
	Publish(ctx context.Context, ev Event) error
	// Listen calls deliver with each event that another process published,
	// one at a time, until the returned stop is called. Events this
	// process published are not delivered back.
	Listen(deliver func(Event)) (stop func())
}

// publishTimeout bounds the wait for the store to accept an event; a
// slower store loses the event, which polling covers.
const publishTimeout = 5 * time.Second

// remote is the broker's link to the other processes.
type remote struct {
	n   Notifier
	log *zap.Logger
}

// publish sends ev to the other processes. It runs after the write that the
// event reports has committed, so a process woken by it reads that write.
func (r *remote) publish(ev Event) {
	// The callers hold no context of their own here (the event follows a
	// completed request); the timeout keeps a stuck store from holding them.
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if err := r.n.Publish(ctx, ev); err != nil {
		r.log.Warn("account event not sent to other replicas; they will notice by polling",
			zap.String("account", ev.Account.ID), zap.Error(err))
	}
}

// connectRemote makes b publish to and receive from store's other
// processes, when store is a Notifier. The subscription lasts as long as
// the store.
func (b *broker) connectRemote(store Store, log *zap.Logger) {
	n, ok := store.(Notifier)
	if !ok {
		return
	}
	b.remote = &remote{n: n, log: log}
	n.Listen(func(ev Event) {
		if ev.Account != nil {
			b.deliver(ev.Account.UserID, ev)
		}
	})
}
