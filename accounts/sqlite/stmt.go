package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmts prepares each query text once per DB and reuses it: parsing and
// planning the SQL was a quarter of a tool call's time before (see
// server's BenchmarkToolCall). database/sql re-prepares a statement on each
// pooled connection it lands on, and binds it to a transaction with
// Tx.StmtContext, so one cache serves both.
type stmts struct {
	db    *sql.DB
	mu    sync.Mutex
	cache map[string]*sql.Stmt
}

func (s *stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.cache[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.cache == nil {
		s.cache = map[string]*sql.Stmt{}
	}
	s.cache[query] = st
	return st, nil
}

func (s *stmts) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.cache {
		st.Close()
	}
	s.cache = nil
}

// prepared is a querier that runs every query through the statement cache,
// on the database or, when tx is set, inside that transaction.
type prepared struct {
	s  *stmts
	tx *sql.Tx
}

func (p prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := p.s.get(ctx, query)
	if err != nil || p.tx == nil {
		return st, err
	}
	return p.tx.StmtContext(ctx, st), nil
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext falls back to an unprepared query when preparing fails,
// so that the error surfaces through Row.Scan as callers expect.
func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, query)
	if err != nil {
		if p.tx != nil {
			return p.tx.QueryRowContext(ctx, query, args...)
		}
		return p.s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
