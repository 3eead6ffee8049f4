package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"switchboard/accounts"
)

// BenchmarkAccountsAmong measures Accounts for one user (five accounts)
// while the table holds 1k, 10k and 100k accounts of other users: the
// index on (user_id, toolkit, seq) should keep it flat.
//
//	go test ./accounts/sqlite -run '^$' -bench AccountsAmong
func BenchmarkAccountsAmong(b *testing.B) {
	for _, total := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", total/1000), func(b *testing.B) {
			dir := b.TempDir()
			db := open(b, dir)
			defer db.Close()
			const perUser = 5
			users := total / perUser
			_, err := raw(b, dir).ExecContext(b.Context(), `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
				INSERT INTO accounts (id, user_id, toolkit, status, created_at, connected_at)
				SELECT 'ca_bulk_' || i, 'u' || (i % ?),
					CASE (i / ?) % 5 WHEN 0 THEN 'github' WHEN 1 THEN 'gmail' WHEN 2 THEN 'slack' WHEN 3 THEN 'notion' ELSE 'linear' END,
					'ACTIVE', 1, 1 FROM n`, total, users, users)
			if err != nil {
				b.Fatal(err)
			}
			user := fmt.Sprint("u", users/2)
			b.ResetTimer()
			for b.Loop() {
				list, err := db.Accounts(b.Context(), user, "")
				if err != nil || len(list) != perUser {
					b.Fatalf("Accounts = %d accounts, %v; want %d", len(list), err, perUser)
				}
			}
		})
	}
}

// BenchmarkAppendAudit measures AppendAudit with batches of the sizes the
// audit queue gathers (one entry from a lone client, tens under load); the
// figure that matters is the time per entry.
//
//	go test ./accounts/sqlite -run '^$' -bench AppendAudit
func BenchmarkAppendAudit(b *testing.B) {
	for _, n := range []int{1, 20, 200} {
		b.Run(fmt.Sprintf("batch%d", n), func(b *testing.B) {
			db := open(b, b.TempDir())
			defer db.Close()
			batch := make([]*accounts.AuditEntry, n)
			for b.Loop() {
				for i := range batch {
					batch[i] = &accounts.AuditEntry{At: time.Now(), UserID: "alice", SessionID: "ses_1", Via: "mcp", Tool: "GITHUB_GET_AUTHENTICATED_USER",
						Toolkit: "github", AccountID: "ca_1", SelectedBy: accounts.SelectedByDefault, Outcome: "ok", UpstreamStatus: 200,
						Latency: time.Millisecond, ArgsHash: "h"}
				}
				if err := db.AppendAudit(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
		})
	}
}
