package accounts

import "sync"

// Event tells that the connection of an account changed: it turned ACTIVE
// (connected, reconnected, enabled), or its link failed. Waiters wake on
// either; tool listings change only with the first. An event that came from
// another process (see Notifier) carries only the account's ID, UserID,
// Toolkit and Status.
type Event struct {
	Account *Account
	// SessionID is the session that asked for the connect link, if any.
	SessionID string
}

// broker fans account events out to in-process subscribers: sessions that
// send tools/list_changed and waiters of wait_for_connection. When the store
// is a Notifier, events also travel to and from the other processes sharing
// it (notifier.go); otherwise those learn of changes by polling the store.
type broker struct {
	mu   sync.Mutex
	subs map[string]map[chan Event]struct{}
	// remote, when set, carries events to the other processes.
	remote *remote
}

func newBroker() *broker { return &broker{subs: map[string]map[chan Event]struct{}{}} }

func (b *broker) subscribe(userID string) (<-chan Event, func()) {
	ch := make(chan Event, 8)
	b.mu.Lock()
	if b.subs[userID] == nil {
		b.subs[userID] = map[chan Event]struct{}{}
	}
	b.subs[userID][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[userID], ch)
		if len(b.subs[userID]) == 0 {
			delete(b.subs, userID)
		}
		b.mu.Unlock()
	}
}

// publish delivers ev to every subscriber of userID in this process and,
// through the Notifier, in the others.
func (b *broker) publish(userID string, ev Event) {
	b.deliver(userID, ev)
	if b.remote != nil {
		b.remote.publish(ev)
	}
}

// deliver hands ev to every subscriber of userID in this process without
// blocking: a subscriber whose buffer is full misses it and relies on
// polling.
func (b *broker) deliver(userID string, ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[userID] {
		select {
		case ch <- ev:
		default:
		}
	}
}

// Subscribe returns the events of userID's accounts in this process (see
// Event), and a function that ends the subscription.
func (s *Service) Subscribe(userID string) (<-chan Event, func()) {
	return s.events.subscribe(userID)
}
