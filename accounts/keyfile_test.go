package accounts

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// setKeyWriter replaces how key files are written for one test.
func setKeyWriter(tb testing.TB, w func(*os.File, []byte) error) {
	tb.Helper()
	prev := writeKeyData
	writeKeyData = w
	tb.Cleanup(func() { writeKeyData = prev })
}

func dirNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestKeyFileFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.key")
	write := writeKeyData
	setKeyWriter(t, func(f *os.File, data []byte) error {
		f.Write(data[:len(data)/2]) // the disk fills up half way
		return &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	})
	if _, _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("a failed write reported success")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("a failed write left %v behind", names)
	}

	writeKeyData = write // space was freed
	kr, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || kr == nil {
		t.Fatalf("the start after a failed write: created=%v err=%v", created, err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "secret.key" {
		t.Errorf("after creating the key the directory holds %v", names)
	}
}

func TestKeyFileConcurrentCreatorsShareOneKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.key")
	// A slow writer keeps every creator inside the window where the key
	// is being written.
	setKeyWriter(t, func(f *os.File, data []byte) error {
		time.Sleep(100 * time.Millisecond)
		_, err := f.Write(data)
		return err
	})
	const n = 8
	rings := make([]*KeyRing, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { rings[i], created[i], errs[i] = LoadOrCreateKeyFile(path) })
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("creator %d: %v", i, errs[i])
		}
		if created[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Errorf("%d creators say they created the key, want 1", creators)
	}
	sealed, err := rings[0].Seal("ca_x", Credential{Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for i, kr := range rings {
		if _, err := kr.Open("ca_x", sealed); err != nil {
			t.Errorf("creator %d holds another key: %v", i, err)
		}
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("the directory holds %v, want only secret.key", names)
	}
}

// An empty key file, as older versions left after a failed write, is
// refused with the way out rather than "no key given".
func TestKeyFileEmptySaysWhatToDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadOrCreateKeyFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("error %v, want one naming %s and how to recover", err, path)
	}
}
