//go:build !unix

package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// shmWatch has no implementation here: without a mapping of the WAL index
// the store offers no stamps, and the service's cache asks the database
// for the generation on every read (see stamp_unix.go).
type shmWatch struct{}

func watchShm(context.Context, *sql.DB, string) (*shmWatch, error) {
	return nil, errors.New("no WAL-index mapping on this platform")
}

func (*shmWatch) stamp() (uint64, bool) { return 0, false }
func (*shmWatch) close() error          { return nil }
