package postgres

import (
	"fmt"
	"testing"

	"switchboard/accounts/postgres/pgtest"
)

// BenchmarkAccountsAmong measures Accounts for one user (five accounts)
// while the table holds 1k, 10k and 100k accounts of other users: the
// index on (user_id, toolkit, seq) should keep it flat.
//
//	go test ./accounts/postgres -run '^$' -bench AccountsAmong
func BenchmarkAccountsAmong(b *testing.B) {
	for _, total := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", total/1000), func(b *testing.B) {
			db, err := Open(b.Context(), pgtest.SchemaURL(b, b.Name()), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			const perUser = 5
			bulkLoad(b, db, total/perUser, perUser)
			user := fmt.Sprint("u", total/perUser/2)
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
