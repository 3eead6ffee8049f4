package fakeupstream

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

// The fake GitHub's repository contents (GET /repos/{owner}/{repo}/contents/
// {path}, https://docs.github.com/rest/repos/contents#get-repository-content):
// files added with AddFile on the default branch main, directories implied
// by their paths. As on GitHub, a file comes as base64 in lines of 60
// characters with its git blob sha, a directory as a list of entries sorted
// by name, a file over 1 MB is refused with 403 too_large, and a ref other
// than main (or its commit sha) has no commit.

// ghMaxContentBytes is the largest file the contents API returns as JSON.
const ghMaxContentBytes = 1 << 20

// ghDefaultBranch is the branch every fake repository's files are on.
const ghDefaultBranch = "main"

// AddFile puts a file with content at path (slash-separated, e.g.
// docs/guide.md) in owner/repo's default branch, main. A symlink is added
// with AddSymlink.
func (g *GitHub) AddFile(owner, repo, path string, content []byte) {
	g.addContent(owner, repo, path, &ghFile{content: content})
}

// AddSymlink puts a symbolic link to target at path; GET of its path
// describes the link, as GitHub does when the target is not a file of the
// repository.
func (g *GitHub) AddSymlink(owner, repo, path, target string) {
	g.addContent(owner, repo, path, &ghFile{content: []byte(target), symlink: true})
}

// ghFile is a file (or symlink) of a repository's default branch.
type ghFile struct {
	content []byte
	symlink bool
}

func (g *GitHub) addContent(owner, repo, p string, f *ghFile) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil || p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p {
		panic(fmt.Sprintf("fakeupstream: AddFile on unknown repository %s/%s or bad path %q", owner, repo, p))
	}
	x := g.extras()
	if x.files[r] == nil {
		x.files[r] = map[string]*ghFile{}
	}
	x.files[r][p] = f
}

func (g *GitHub) getContents(w http.ResponseWriter, r *http.Request, u *ghUser) {
	p := strings.Trim(r.PathValue("path"), "/")
	ref := r.URL.Query().Get("ref")
	g.mu.Lock()
	defer g.mu.Unlock()
	repo := g.repo(r, u)
	if repo == nil {
		ghWriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	if ref != "" && ref != ghDefaultBranch && ref != ghSHA(fullName(repo)+"@"+ghDefaultBranch) {
		ghWriteError(w, http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	files := g.extras().files[repo]
	if f := files[p]; f != nil {
		if !f.symlink && len(f.content) > ghMaxContentBytes {
			ghWriteJSON(w, http.StatusForbidden, map[string]any{
				"message":           "This API returns blobs up to 1 MB in size. The requested blob is too large to fetch via the API, but you can use the Git Data API to request blobs up to 100 MB in size.",
				"errors":            []any{map[string]any{"resource": "Blob", "field": "data", "code": "too_large"}},
				"documentation_url": docsURL + "/repos/contents#get-repository-content", "status": "403",
			})
			return
		}
		ghWriteJSON(w, http.StatusOK, g.contentJSON(repo, p, f, true))
		return
	}
	// A directory: the direct children of p, files and subdirectories.
	var names []string
	kids := map[string]*ghFile{}
	for fp, f := range files {
		rest, ok := strings.CutPrefix(fp, p+"/")
		if p == "" {
			rest, ok = fp, true
		}
		if !ok {
			continue
		}
		name, _, nested := strings.Cut(rest, "/")
		if slices.Contains(names, name) {
			continue
		}
		names = append(names, name)
		if !nested {
			kids[name] = f
		}
	}
	if len(names) == 0 {
		if p == "" {
			ghWriteError(w, http.StatusNotFound, "This repository is empty.")
		} else {
			ghWriteError(w, http.StatusNotFound, "Not Found")
		}
		return
	}
	slices.Sort(names)
	out := []any{}
	for _, name := range names {
		child := strings.TrimPrefix(p+"/"+name, "/")
		if f := kids[name]; f != nil {
			out = append(out, g.contentJSON(repo, child, f, false))
		} else {
			out = append(out, g.dirJSON(repo, child))
		}
	}
	ghWriteJSON(w, http.StatusOK, out)
}

// contentJSON is GitHub's content object of a file or symlink; full adds
// what only GET of the path itself has (a file's content, a link's target).
func (g *GitHub) contentJSON(repo *ghRepo, p string, f *ghFile, full bool) map[string]any {
	sha := ghBlobSHA(f.content)
	m := g.contentLinks(repo, p, sha, "blob")
	m["type"], m["size"] = "file", len(f.content)
	m["download_url"] = fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s", fullName(repo), ghDefaultBranch, ghEscapePath(p))
	switch {
	case f.symlink:
		m["type"] = "symlink"
		if full {
			m["target"] = string(f.content)
		}
	case full:
		m["encoding"] = "base64"
		m["content"] = ghWrap(base64.StdEncoding.EncodeToString(f.content), 60)
	}
	return m
}

// dirJSON is a directory entry of a listing.
func (g *GitHub) dirJSON(repo *ghRepo, p string) map[string]any {
	m := g.contentLinks(repo, p, ghSHA("tree "+fullName(repo)+"/"+p), "tree")
	m["type"], m["size"], m["download_url"] = "dir", 0, nil
	return m
}

// contentLinks holds the members every content object has.
func (g *GitHub) contentLinks(repo *ghRepo, p, sha, kind string) map[string]any {
	esc := ghEscapePath(p)
	self := fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", g.URL(), fullName(repo), esc, ghDefaultBranch)
	git := fmt.Sprintf("%s/repos/%s/git/%ss/%s", g.URL(), fullName(repo), kind, sha)
	html := fmt.Sprintf("https://github.com/%s/%s/%s/%s", fullName(repo), kind, ghDefaultBranch, esc)
	return map[string]any{
		"name": path.Base(p), "path": p, "sha": sha, "url": self, "git_url": git, "html_url": html,
		"_links": map[string]any{"self": self, "git": git, "html": html},
	}
}

// ghBlobSHA is git's object id of a blob with content.
func ghBlobSHA(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// ghWrap breaks s into lines of n characters, each ending in a newline.
func ghWrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	if s != "" {
		b.WriteString(s + "\n")
	}
	return b.String()
}

// ghEscapePath escapes each segment of a repository path for a URL.
func ghEscapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
