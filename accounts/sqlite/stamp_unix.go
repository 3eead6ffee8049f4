//go:build unix

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The stamp (accounts.Stamper) lets the service's cache skip its one query
// per read while nothing at all was committed to the database, by any
// process. It reads the header of SQLite's WAL index, the "-shm" file that
// every connection to a WAL database maps into memory to share its state:
// every commit rewrites that header (its change counter moves, and with it
// the header's checksum), and so does every reset of the log. The header's
// layout is part of SQLite's file format: processes built with different
// SQLite versions share the file through it.
//
// SQLite writes the header twice, the second copy first, then the first;
// readers compare the two and retry when they differ. Here a difference
// only means "cannot tell", and the cache asks the database instead.
//
// The store keeps one connection open for as long as it is open, so that
// SQLite never deletes or truncates the -shm file under the mapping (it does
// so only for the last connection to close or the first to open).

// walIndexHeader is the size of one copy of the WAL-index header.
const walIndexHeader = 48

// shmWatch is a read-only mapping of the start of the -shm file.
type shmWatch struct {
	mu   sync.RWMutex
	mem  []byte // nil once closed
	conn *sql.Conn
}

// watchShm maps path's -shm file. A nil watch (and the error) means the
// store works without stamps.
func watchShm(ctx context.Context, db *sql.DB, path string) (*shmWatch, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// A read on this connection makes sure the WAL index exists.
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		conn.Close()
		return nil, err
	}
	f, err := os.Open(path + "-shm")
	if err != nil {
		conn.Close()
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() < 2*walIndexHeader {
		conn.Close()
		return nil, fmt.Errorf("the WAL index %s-shm is missing its header", path)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 2*walIndexHeader, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &shmWatch{mem: mem, conn: conn}, nil
}

// stamp returns a hash of the header's first copy, or false while the two
// copies differ (a commit is writing them) or after close.
func (w *shmWatch) stamp() (uint64, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.mem == nil {
		return 0, false
	}
	// FNV-1a over the 12 words of the first copy, each compared with the
	// second copy's.
	h := uint64(14695981039346656037)
	for i := 0; i < walIndexHeader; i += 4 {
		a := atomic.LoadUint32((*uint32)(unsafe.Pointer(&w.mem[i])))
		if a != atomic.LoadUint32((*uint32)(unsafe.Pointer(&w.mem[walIndexHeader+i]))) {
			return 0, false
		}
		h = (h ^ uint64(a)) * 1099511628211
	}
	return h, true
}

func (w *shmWatch) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mem == nil {
		return nil
	}
	err := syscall.Munmap(w.mem)
	w.mem = nil
	if cerr := w.conn.Close(); err == nil {
		err = cerr
	}
	return err
}
