package accounts

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeKeyData writes a new key file's contents to f. Tests replace it to
// play a full disk or a slow writer.
var writeKeyData = func(f *os.File, data []byte) error {
	_, err := f.Write(data)
	return err
}

// LoadOrCreateKeyFile returns the key ring kept in path, creating the file
// with one fresh key (mode 0600) when it does not exist. created reports
// whether this call created it, so the caller can say so in the log.
//
// The file appears whole or not at all: the key is written to a temporary
// file in the same directory, synced, and hard-linked to path, which fails
// when path exists. A failed write (a full disk) therefore leaves nothing
// behind for the next start to trip on, and when several processes create
// the key at once, one key wins and every process uses that one.
func LoadOrCreateKeyFile(path string) (kr *KeyRing, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if created, err = createKeyFile(path); err != nil {
			return nil, false, fmt.Errorf("creating %s: %w", path, err)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, false, err
	}
	spec := strings.TrimSpace(string(b))
	if spec == "" {
		// Only an older Switchboard, interrupted while writing, leaves an
		// empty key file; nothing can have been sealed with it.
		return nil, false, fmt.Errorf("%s is empty: delete it to have a new key generated, or set SWITCHBOARD_SECRET_KEYS", path)
	}
	kr, err = ParseKeyRing(spec)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return kr, created, nil
}

// createKeyFile puts a file with a fresh key at path unless one is there
// already. created reports whether the file in place is this call's.
func createKeyFile(path string) (created bool, err error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return false, err
	}
	// Once linked, path keeps the data; the temporary name goes either way.
	defer os.Remove(tmp.Name())
	data := []byte("k1:" + base64.StdEncoding.EncodeToString(key) + "\n")
	if err := writeKeyData(tmp, data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil // another process was first; its key is the one
		}
		return false, err
	}
	// Sync the directory too, so that the new name survives a crash.
	if d, err := os.Open(dir); err == nil {
		d.Sync() //nolint:errcheck // best effort: the key itself is on disk
		d.Close()
	}
	return true, nil
}
