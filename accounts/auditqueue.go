package accounts

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// auditQueue writes audit entries behind the calls they record: a call
// queues its entry and returns, and one writer at a time stores whatever
// has queued, in one transaction (group commit). An insert on every call
// would put a write, and SQLite's write lock, on the path of every call
// (BenchmarkHotPath: about 180 µs of a 400 µs toolkit call); batched
// behind the call it costs the call a lock and an append.
//
// The price: an entry reaches the store a moment after its call answered,
// and a process that dies in that moment loses it. Readers of this
// process flush first (Service.Audit), and shutdown flushes (FlushAudit),
// so only a crash loses entries; another replica, or the command line,
// may see an entry a few milliseconds late.
type auditQueue struct {
	store Store
	log   *zap.Logger

	mu      sync.Mutex
	pending []*AuditEntry
	running bool
	// queued counts the entries ever added, settled those written (or
	// failed): a flush waits for settled to reach queued as it found it.
	queued, settled uint64
	changed         *sync.Cond // signalled when a batch settles or room frees up
}

// maxAuditPending bounds the entries waiting for a slow store; calls past
// it wait for the writer, so the queue never outgrows memory.
const maxAuditPending = 10000

// auditWriteTimeout bounds one batch's write.
const auditWriteTimeout = 30 * time.Second

func newAuditQueue(store Store, log *zap.Logger) *auditQueue {
	q := &auditQueue{store: store, log: log}
	q.changed = sync.NewCond(&q.mu)
	return q
}

// add queues e and makes sure a writer runs.
func (q *auditQueue) add(e *AuditEntry) {
	q.mu.Lock()
	for len(q.pending) >= maxAuditPending {
		q.changed.Wait()
	}
	q.pending = append(q.pending, e)
	q.queued++
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go q.drain()
	}
}

// auditLinger is how long the writer lets entries gather before it writes
// a batch: under load a batch then holds many calls' entries, and the
// write's cost is shared among them; an idle server writes each entry
// this long after its call. At 2 ms a single client's calls (about one a
// millisecond against a loopback upstream) made batches of two, and the
// writes took a fifth of the server's CPU in the bench's profiles; at 10 ms
// they hold ten. A crash loses at most this much of the trail.
const auditLinger = 10 * time.Millisecond

// drain writes batches until nothing is pending.
func (q *auditQueue) drain() {
	for {
		time.Sleep(auditLinger)
		q.mu.Lock()
		batch := q.pending
		q.pending = nil
		if len(batch) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.changed.Broadcast() // room for waiting adders
		q.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), auditWriteTimeout)
		if err := q.store.AppendAudit(ctx, batch); err != nil {
			q.log.Error("writing audit entries", zap.Int("entries", len(batch)), zap.Error(err))
		}
		cancel()
		q.mu.Lock()
		q.settled += uint64(len(batch))
		q.changed.Broadcast()
		q.mu.Unlock()
	}
}

// flush returns once every entry queued before it was written (or failed
// to be), or when ctx ends.
func (q *auditQueue) flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		q.mu.Lock()
		for target := q.queued; q.settled < target; {
			q.changed.Wait()
		}
		q.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
