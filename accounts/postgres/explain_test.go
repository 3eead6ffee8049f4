package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/accounts/postgres/pgtest"
)

// bulkLoad fills the store of db with users×perUser ACTIVE accounts
// (user ids u0…, round-robin over six toolkits), a credential each, a
// session per user selecting its first account, and a link per account,
// then updates the planner's statistics.
func bulkLoad(tb testing.TB, db *DB, users, perUser int) {
	tb.Helper()
	ctx := tb.Context()
	for _, stmt := range []string{
		`INSERT INTO accounts (id, user_id, toolkit, status, created_at, connected_at)
			SELECT 'ca_bulk_' || i, 'u' || (i % {users}),
				(ARRAY['github','gmail','slack','notion','linear','googlecalendar'])[1 + (i / {users}) % 6],
				'ACTIVE', now(), now()
			FROM generate_series(0, {users} * {perUser} - 1) AS i`,
		`INSERT INTO credentials (account_id, sealed) SELECT id, '\x00'::bytea FROM accounts WHERE id LIKE 'ca_bulk_%'`,
		`INSERT INTO sessions (id, user_id, created_at, updated_at)
			SELECT 'ses_bulk_' || i, 'u' || i, now(), now() FROM generate_series(0, {users} - 1) AS i`,
		`INSERT INTO session_selections (session_id, toolkit, account_id)
			SELECT 'ses_bulk_' || i, a.toolkit, a.id FROM generate_series(0, {users} - 1) AS i
			JOIN accounts a ON a.id = 'ca_bulk_' || i`,
		`INSERT INTO links (token_hash, account_id, user_id, expires_at, created_at)
			SELECT 'hash_' || id, id, user_id, now() + interval '10 minutes', now() FROM accounts WHERE id LIKE 'ca_bulk_%'`,
	} {
		stmt = strings.NewReplacer("{users}", fmt.Sprint(users), "{perUser}", fmt.Sprint(perUser)).Replace(stmt)
		if _, err := db.pool.Exec(ctx, stmt); err != nil {
			tb.Fatalf("loading: %v\n%s", err, stmt)
		}
	}
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		tb.Fatalf("ANALYZE: %v", err)
	}
}

// TestHotPathUsesIndexes runs EXPLAIN on every statement of a tool call
// (queries.go) against 60,000 accounts of 10,000 users and fails when a
// plan reads a whole table. It checks the plan for the values at hand and
// the generic plan that a prepared statement settles on after five runs.
func TestHotPathUsesIndexes(t *testing.T) {
	db, err := Open(t.Context(), pgtest.SchemaURL(t, t.Name()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bulkLoad(t, db, 10000, 6)

	for _, q := range []struct {
		name string
		sql  string
		args []any
	}{
		{"Session", sessionQuery, []any{"ses_bulk_4242"}},
		{"AccountsOfToolkit", toolkitAccountsQuery, []any{"u4242", "github"}},
		{"AccountsOfUser", userAccountsQuery, []any{"u4242"}},
		{"Account", accountQuery, []any{"ca_bulk_4242", "u4242"}},
		{"Credential", credentialQuery, []any{"ca_bulk_4242", "u4242"}},
		{"TouchAccount", touchAccountQuery, []any{time.Now(), "ca_bulk_4242", "u4242"}},
	} {
		t.Run(q.name, func(t *testing.T) {
			conn, err := db.pool.Acquire(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
				tx, err := conn.Begin(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				// SET LOCAL ends with the transaction, rolled back below.
				if _, err := tx.Exec(t.Context(), `SET LOCAL plan_cache_mode = `+mode); err != nil {
					t.Fatal(err)
				}
				var plan []byte
				err = tx.QueryRow(t.Context(), `EXPLAIN (FORMAT JSON) `+q.sql, q.args...).Scan(&plan)
				tx.Rollback(t.Context())
				if err != nil {
					t.Fatalf("EXPLAIN: %v", err)
				}
				if scans := seqScans(t, plan); len(scans) > 0 {
					t.Errorf("%s plan reads whole tables %v:\n%s", mode, scans, plan)
				}
			}
		})
	}
}

// seqScans returns the tables a JSON plan reads sequentially.
func seqScans(tb testing.TB, plan []byte) []string {
	tb.Helper()
	var doc []struct{ Plan planNode }
	if err := json.Unmarshal(plan, &doc); err != nil || len(doc) != 1 {
		tb.Fatalf("unreadable plan (%v): %s", err, plan)
	}
	var out []string
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.NodeType == "Seq Scan" {
			out = append(out, n.Relation)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(doc[0].Plan)
	return out
}

type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}

// TestSeqScansAreSeen keeps TestHotPathUsesIndexes honest: a query that
// can only read the whole table is reported.
func TestSeqScansAreSeen(t *testing.T) {
	db, err := Open(t.Context(), pgtest.SchemaURL(t, t.Name()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bulkLoad(t, db, 100, 2)
	var plan []byte
	if err := db.pool.QueryRow(t.Context(), `EXPLAIN (FORMAT JSON) SELECT * FROM accounts WHERE label = $1`, "x").Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if got := seqScans(t, plan); fmt.Sprint(got) != "[accounts]" {
		t.Errorf("seqScans = %v, want [accounts]:\n%s", got, plan)
	}
}
