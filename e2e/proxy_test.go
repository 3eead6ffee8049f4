package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// roundRobin is a reverse proxy in front of replicas, as a load balancer
// with no session affinity: each request goes to the next replica in turn,
// so a client's consecutive requests alternate between them. A replica that
// refuses connections is skipped, the way a balancer's health check drops a
// dead one; a request cut off mid-way answers 502.
type roundRobin struct {
	srv    *httptest.Server
	next   atomic.Uint64
	client *http.Client

	mu       sync.Mutex
	backends []string // base URLs
	log      []served
}

// served is one request the proxy passed on.
type served struct {
	backend int    // index in backends
	method  string // HTTP method
	path    string
	rpc     string // the JSON-RPC method, or the tool name of a tools/call
}

func newRoundRobin(tb testing.TB) *roundRobin {
	tb.Helper()
	rr := &roundRobin{client: &http.Client{
		// A fresh connection per request: a pooled one to a killed replica
		// would fail a request that a live replica could have served.
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	rr.srv = httptest.NewServer(rr)
	tb.Cleanup(rr.srv.Close)
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	start := rr.next.Add(1) - 1
	backends := rr.replicas()
	n := uint64(len(backends))
	entry := rr.record(served{method: r.Method, path: r.URL.Path, rpc: rpcName(body)})
	for i := range n {
		b := int((start + i) % n)
		rr.setBackend(entry, b)
		req, err := http.NewRequestWithContext(r.Context(), r.Method, backends[b]+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := rr.client.Do(req)
		if errors.Is(err, syscall.ECONNREFUSED) {
			continue // that replica is down: try the next
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		// Stream as it comes: SSE responses and GET streams stay open.
		flusher, _ := w.(http.Flusher)
		buf := make([]byte, 32<<10)
		for {
			k, err := resp.Body.Read(buf)
			if k > 0 {
				if _, werr := w.Write(buf[:k]); werr != nil {
					return
				}
				if flusher != nil {
					flusher.Flush()
				}
			}
			if err != nil {
				return
			}
		}
	}
	http.Error(w, "no replica answers", http.StatusBadGateway)
}

// rpcName reads the JSON-RPC method of a request body; for tools/call, the
// tool's name.
func rpcName(body []byte) string {
	var m struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	if m.Method == "tools/call" {
		return m.Params.Name
	}
	return m.Method
}

// nextTo makes the next request go to replica b; the turns go on from
// there.
func (rr *roundRobin) nextTo(b int) {
	n := uint64(len(rr.replicas()))
	cur := rr.next.Load()
	rr.next.Store(cur + (uint64(b)+n-cur%n)%n)
}

// replicas returns the base URLs requests go to.
func (rr *roundRobin) replicas() []string {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]string(nil), rr.backends...)
}

// setReplica makes base the i-th replica, adding it when i is past the end.
func (rr *roundRobin) setReplica(i int, base string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if i == len(rr.backends) {
		rr.backends = append(rr.backends, base)
	} else {
		rr.backends[i] = base
	}
}

func (rr *roundRobin) record(s served) int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.log = append(rr.log, s)
	return len(rr.log) - 1
}

func (rr *roundRobin) setBackend(entry, b int) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.log[entry].backend = b
}

// mark is the position in the log from which since reads.
func (rr *roundRobin) mark() int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return len(rr.log)
}

// since returns the requests passed on from mark on.
func (rr *roundRobin) since(mark int) []served {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]served(nil), rr.log[mark:]...)
}

// first returns the first request from mark on for which match holds.
func (rr *roundRobin) first(mark int, match func(served) bool) (served, bool) {
	for _, s := range rr.since(mark) {
		if match(s) {
			return s, true
		}
	}
	return served{}, false
}
