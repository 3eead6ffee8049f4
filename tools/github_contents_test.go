package tools_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

const (
	ghReadme    = "# Hello\n"
	ghReadmeSHA = "fec56017dc1b1ac87ad6e54e3cb3a20bb8dcc5ab" // printf '# Hello\n' | git hash-object --stdin
	ghGuideSHA  = "95dcfb475978a84c7c3f2e829a069db5ab6bee1e" // Read me.\n
	ghLogo      = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	ghLogoSHA   = "029ace0fcbb58feb758971feed0457fd34dbb60b"
	ghLinkSHA   = "f7c1d59011e4ed81c0ca8ce060d3c6a683de7416" // ../elsewhere
	ghRaw       = "https://raw.githubusercontent.com/octo-work/hello-world/main/"
	ghBlob      = "https://github.com/octo-work/hello-world/blob/main/"
)

// ghLongText is a text file longer than the 48 KiB inlined.
var ghLongText = strings.Repeat("line of text 0123456789\n", 3000)

// seedGitHubContents gives octo-work/hello-world a text file, a file with a
// space in a nested directory, a binary image, a long text file, a file
// over 1 MB and a symlink.
func seedGitHubContents(tb testing.TB, gh *fakeupstream.GitHub) {
	tb.Helper()
	gh.AddFile("octo-work", "hello-world", "README.md", []byte(ghReadme))
	gh.AddFile("octo-work", "hello-world", "docs/my guide.md", []byte("Read me.\n"))
	gh.AddFile("octo-work", "hello-world", "docs/img/logo.png", []byte(ghLogo))
	gh.AddFile("octo-work", "hello-world", "big.log", []byte(ghLongText))
	gh.AddFile("octo-work", "hello-world", "huge.bin", make([]byte, 1<<20+1))
	gh.AddSymlink("octo-work", "hello-world", "latest", "../elsewhere")
	gh.Reset()
}

// TestGitHubGetFileContents pins the request (each path segment escaped on
// its own) and the shapes of a text file, a binary file, a directory, the
// root and a symlink.
func TestGitHubGetFileContents(t *testing.T) {
	hello := func(extra map[string]any) map[string]any {
		return merged(map[string]any{"owner": "octo-work", "repo": "hello-world"}, extra)
	}
	tests := []struct {
		name        string
		args        map[string]any
		escapedPath string
		query       string
		structured  string
		text        string
	}{{
		name: "TextFileDecoded", args: hello(map[string]any{"path": "README.md", "ref": "main"}),
		escapedPath: "/repos/octo-work/hello-world/contents/README.md", query: "ref=main",
		structured: `{"type":"file","name":"README.md","path":"README.md","size":8,"sha":"` + ghReadmeSHA + `","content":"# Hello\n",
			"html_url":"` + ghBlob + `README.md","download_url":"` + ghRaw + `README.md"}`,
		text: "File README.md, 8 bytes, sha fec5601:\n# Hello",
	}, {
		name: "SegmentsEscapedOneByOne", args: hello(map[string]any{"path": "docs/my guide.md"}),
		escapedPath: "/repos/octo-work/hello-world/contents/docs/my%20guide.md",
		structured: `{"type":"file","name":"my guide.md","path":"docs/my guide.md","size":9,"sha":"` + ghGuideSHA + `","content":"Read me.\n",
			"html_url":"` + ghBlob + `docs/my%20guide.md","download_url":"` + ghRaw + `docs/my%20guide.md"}`,
		text: "File docs/my guide.md, 9 bytes, sha 95dcfb4:\nRead me.",
	}, {
		name: "BinaryFileNotInlined", args: hello(map[string]any{"path": "docs/img/logo.png"}),
		escapedPath: "/repos/octo-work/hello-world/contents/docs/img/logo.png",
		structured: `{"type":"file","name":"logo.png","path":"docs/img/logo.png","size":16,"sha":"` + ghLogoSHA + `","binary":true,"inlined":false,
			"html_url":"` + ghBlob + `docs/img/logo.png","download_url":"` + ghRaw + `docs/img/logo.png"}`,
		text: "File docs/img/logo.png, 16 bytes, sha 029ace0, is binary (or not UTF-8 text) and not inlined; download it from " + ghRaw + "docs/img/logo.png.",
	}, {
		name: "DirectoryListed", args: hello(map[string]any{"path": "docs"}),
		escapedPath: "/repos/octo-work/hello-world/contents/docs",
		structured: `{"count":2,"entries":[{"name":"img","type":"dir","path":"docs/img"},
			{"name":"my guide.md","type":"file","path":"docs/my guide.md","size":9}]}`,
		text: "entries: 2 items:\n- dir docs/img\n- file docs/my guide.md (9 bytes)",
	}, {
		name: "RootWhenPathAbsent", args: hello(nil),
		escapedPath: "/repos/octo-work/hello-world/contents/",
		structured: `{"count":5,"entries":[{"name":"README.md","type":"file","path":"README.md","size":8},
			{"name":"big.log","type":"file","path":"big.log","size":72000},{"name":"docs","type":"dir","path":"docs"},
			{"name":"huge.bin","type":"file","path":"huge.bin","size":1048577},{"name":"latest","type":"symlink","path":"latest"}]}`,
		text: "entries: 5 items:\n- file README.md (8 bytes)\n- file big.log (72000 bytes)\n- dir docs\n- file huge.bin (1048577 bytes)\n- symlink latest",
	}, {
		name: "SymlinkDescribed", args: hello(map[string]any{"path": "latest"}),
		escapedPath: "/repos/octo-work/hello-world/contents/latest",
		structured: `{"type":"symlink","name":"latest","path":"latest","size":12,"sha":"` + ghLinkSHA + `","target":"../elsewhere",
			"html_url":"` + ghBlob + `latest","download_url":"` + ghRaw + `latest"}`,
		text: "Symlink latest points to ../elsewhere, which is not a file of the repository (sha f7c1d59).",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tools.ExecutorOptions{UserAgent: "switchboard-test"})
			seedGitHubContents(t, h.gh)
			res, err := h.call(t, "GITHUB_GET_FILE_CONTENTS", tt.args)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.gh)
			got := []string{r.Method, r.EscapedPath, r.RawQuery, r.Body, r.Header.Get("Accept"), r.Header.Get("X-GitHub-Api-Version"), r.Header.Get("Authorization")}
			want := []string{"GET", tt.escapedPath, tt.query, "", "application/vnd.github+json", "2022-11-28", "Bearer " + workToken}
			assertDiff(t, "request", want, got)
			assertResult(t, res, tt.structured, tt.text)
		})
	}
	t.Run("LongTextFileCutAtALine", func(t *testing.T) {
		h := newHarness(t, tools.ExecutorOptions{ResultBudget: tools.MaxResultBytes})
		seedGitHubContents(t, h.gh)
		res, err := h.call(t, "GITHUB_GET_FILE_CONTENTS", hello(map[string]any{"path": "big.log"}))
		if err != nil {
			t.Fatal(err)
		}
		st := res.Structured
		const shown = 48 << 10 // 2048 whole lines of 24 bytes
		if st["content"] != ghLongText[:shown] || st["truncated"] != true || st["shown_bytes"] != shown {
			t.Errorf("content of %d bytes, truncated %v, shown_bytes %v", len(st["content"].(string)), st["truncated"], st["shown_bytes"])
		}
		head := "File big.log, 72000 bytes, sha "
		if !strings.HasPrefix(res.Text, head) || !strings.Contains(res.Text, "only its first 49152 bytes follow (download the rest from "+ghRaw+"big.log):\nline of text") {
			t.Errorf("text starts %q", res.Text[:200])
		}
	})
	// The default budget (16 KB) cuts further, and says so.
	t.Run("DefaultBudget", func(t *testing.T) {
		h := newHarness(t, tools.ExecutorOptions{})
		seedGitHubContents(t, h.gh)
		res, err := h.call(t, "GITHUB_GET_FILE_CONTENTS", hello(map[string]any{"path": "big.log"}))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(res.Structured)
		if len(data) > tools.DefaultResultBudget || len(res.Text) > tools.DefaultResultBudget || !strings.Contains(res.Text, "size budget") {
			t.Errorf("structured %d bytes, text %d bytes, text ends %q", len(data), len(res.Text), res.Text[max(0, len(res.Text)-200):])
		}
	})
}

func TestGitHubGetFileContentsRefusals(t *testing.T) {
	t.Run("BadPathsMakeNoRequest", func(t *testing.T) {
		h := newHarness(t, tools.ExecutorOptions{})
		for _, p := range []string{"../secrets", "/README.md", "docs/", "docs//my guide.md", "docs/./img", ".", "a/../b"} {
			_, err := h.call(t, "GITHUB_GET_FILE_CONTENTS", map[string]any{"owner": "octo-work", "repo": "hello-world", "path": p})
			var e *tools.Error
			if !errors.As(err, &e) || e.Code != tools.CodeInvalidArguments || len(e.Problems) != 1 || e.Problems[0].Path != "/path" {
				t.Errorf("path %q: err = %v, want INVALID_ARGUMENTS at /path", p, err)
			}
		}
		assertRequestCount(t, h.gh, 0)
	})
	tests := []struct {
		name    string
		args    map[string]any
		status  int
		message string
	}{
		{"Over1MB403", map[string]any{"path": "huge.bin"}, 403, "(HTTP 403): This API returns blobs up to 1 MB in size"},
		{"UnknownRef404", map[string]any{"path": "README.md", "ref": "nope"}, 404, "returned 404"},
		{"UnknownPath404", map[string]any{"path": "docs/nope.md"}, 404, "returned 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tools.ExecutorOptions{})
			seedGitHubContents(t, h.gh)
			tt.args["owner"], tt.args["repo"] = "octo-work", "hello-world"
			_, err := h.call(t, "GITHUB_GET_FILE_CONTENTS", tt.args)
			var e *tools.Error
			if !errors.As(err, &e) || e.Code != tools.CodeUpstreamError || e.Status != tt.status || !strings.Contains(e.Message, tt.message) {
				t.Errorf("err = %v, want UPSTREAM_ERROR %d with %q", err, tt.status, tt.message)
			}
		})
	}
}

// TestGitHubDownloadURLTokenDropped pins that the temporary token GitHub
// puts in a private file's download_url never reaches a result.
func TestGitHubDownloadURLTokenDropped(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{})
	path := "/repos/octo-work/secret-repo/contents/notes.txt"
	answer := `{"type":"file","name":"notes.txt","path":"notes.txt","size":3,"sha":"0123456789abcdef","encoding":"base64","content":"aGkK",
		"html_url":"https://github.com/octo-work/secret-repo/blob/main/notes.txt",
		"download_url":"https://raw.githubusercontent.com/octo-work/secret-repo/main/notes.txt?token=GHSAT0AAAAAsecretdownloadtoken"}`
	h.gh.Fail(path, 200, map[string][]string{"Content-Type": {"application/json"}}, answer, 1)
	res, err := h.call(t, "GITHUB_GET_FILE_CONTENTS", map[string]any{"owner": "octo-work", "repo": "secret-repo", "path": "notes.txt"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res.Structured)
	if strings.Contains(res.Text, "secretdownloadtoken") || strings.Contains(string(raw), "secretdownloadtoken") {
		t.Errorf("the download token reached the result: %s %v", res.Text, res.Structured)
	}
	if got := res.Structured["download_url"]; got != "https://raw.githubusercontent.com/octo-work/secret-repo/main/notes.txt" {
		t.Errorf("download_url = %v", got)
	}
}
