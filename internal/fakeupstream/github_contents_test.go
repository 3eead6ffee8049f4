package fakeupstream

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGitHubContents(t *testing.T) {
	g := newGitHub(t)
	g.AddFile("octo-work", "hello-world", "README.md", []byte("# Hello\n"))
	g.AddFile("octo-work", "hello-world", "docs/my guide.md", []byte("Read me."))
	g.AddFile("octo-work", "hello-world", "docs/img/logo.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"))
	g.AddFile("octo-work", "hello-world", "big.bin", make([]byte, ghMaxContentBytes+1))
	g.AddSymlink("octo-work", "hello-world", "latest", "../elsewhere")
	g.AddFile("octo-work", "notes", "todo.txt", []byte("private"))

	t.Run("FileIsBase64WithBlobSHA", func(t *testing.T) {
		status, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/contents/README.md", "tok-home", "")
		m, _ := v.(map[string]any)
		data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(m["content"].(string), "\n", ""))
		if status != 200 || err != nil || string(data) != "# Hello\n" || m["encoding"] != "base64" || m["type"] != "file" || m["size"] != 8.0 {
			t.Fatalf("GET README.md = %d %v", status, v)
		}
		// printf "# Hello\n" | git hash-object --stdin
		if m["sha"] != "fec56017dc1b1ac87ad6e54e3cb3a20bb8dcc5ab" || m["download_url"] != "https://raw.githubusercontent.com/octo-work/hello-world/main/README.md" {
			t.Errorf("sha %v, download_url %v", m["sha"], m["download_url"])
		}
	})
	t.Run("EscapedSegments", func(t *testing.T) {
		status, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/contents/docs/my%20guide.md?ref=main", "tok-work", "")
		if m, _ := v.(map[string]any); status != 200 || m["path"] != "docs/my guide.md" || m["name"] != "my guide.md" ||
			m["html_url"] != "https://github.com/octo-work/hello-world/blob/main/docs/my%20guide.md" {
			t.Errorf("GET docs/my guide.md = %d %v", status, v)
		}
	})
	t.Run("DirectoryListsEntriesByName", func(t *testing.T) {
		for _, p := range []string{"/repos/octo-work/hello-world/contents/", "/repos/octo-work/hello-world/contents"} {
			status, _, v := call(t, g, "GET", p, "tok-work", "")
			var got []string
			for _, e := range v.([]any) {
				m := e.(map[string]any)
				got = append(got, m["type"].(string)+" "+m["path"].(string))
				if _, has := m["content"]; has {
					t.Errorf("entry %v carries content", m)
				}
			}
			want := []string{"file README.md", "file big.bin", "dir docs", "symlink latest"}
			if status != 200 || !cmp.Equal(got, want) {
				t.Errorf("GET %s = %d %v, want %v", p, status, got, want)
			}
		}
		_, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/contents/docs", "tok-work", "")
		if len(v.([]any)) != 2 || ghField(v, "0.path") != "docs/img" || ghField(v, "0.download_url") != nil || ghField(v, "1.path") != "docs/my guide.md" {
			t.Errorf("GET docs = %v", v)
		}
	})
	t.Run("SymlinkDescribed", func(t *testing.T) {
		_, _, v := call(t, g, "GET", "/repos/octo-work/hello-world/contents/latest", "tok-work", "")
		if ghField(v, "type") != "symlink" || ghField(v, "target") != "../elsewhere" || ghField(v, "content") != nil {
			t.Errorf("GET latest = %v", v)
		}
	})
	tests := []struct {
		name, path, token string
		status            int
		message           string
	}{
		{"Over1MBRefused", "/repos/octo-work/hello-world/contents/big.bin", "tok-work", 403, "This API returns blobs up to 1 MB in size."},
		{"UnknownPath", "/repos/octo-work/hello-world/contents/nope.md", "tok-work", 404, "Not Found"},
		{"UnknownRef", "/repos/octo-work/hello-world/contents/README.md?ref=dev", "tok-work", 404, "No commit found for the ref dev"},
		{"PrivateRepoOfAnother", "/repos/octo-work/notes/contents/todo.txt", "tok-home", 404, "Not Found"},
		{"EmptyRepository", "/repos/octo-work/dotfiles/contents/", "tok-work", 404, "This repository is empty."},
		{"NoToken", "/repos/octo-work/hello-world/contents/README.md", "", 401, "Requires authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, v := call(t, g, "GET", tt.path, tt.token, "")
			if msg, _ := ghField(v, "message").(string); status != tt.status || !strings.HasPrefix(msg, tt.message) {
				t.Errorf("GET %s = %d %v, want %d %q", tt.path, status, v, tt.status, tt.message)
			}
		})
	}
}
