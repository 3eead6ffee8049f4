package tools

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxInlineFileBytes bounds the text of a file that github_content inlines,
// so that the text and its JSON escaping fit MaxResultBytes.
const maxInlineFileBytes = 48 << 10

// GitHub's Go-coded part (catalog/github.yaml): the contents API answers a
// file as base64 and a directory as a list, which the declarative format can
// neither decode nor tell apart.
func init() {
	registerTransform("github_content", githubContent)
}

// githubContent shapes GET /repos/{owner}/{repo}/contents/{path}: a text
// file with its decoded text (up to maxInlineFileBytes), a binary or too
// large file as a note with its size, sha and download_url, a directory as
// its entries (name, type, path, size), a symlink with its target and a
// submodule with its repository URL. Each carries a summary for the text.
func githubContent(doc any) any {
	switch doc := doc.(type) {
	case []any:
		out := make([]any, 0, len(doc))
		for _, item := range doc {
			if m, ok := item.(map[string]any); ok {
				out = append(out, githubEntry(m))
			}
		}
		return out
	case map[string]any:
		return githubFile(doc)
	default:
		return doc
	}
}

// githubEntry is one item of a directory listing.
func githubEntry(m map[string]any) map[string]any {
	typ, path := scalarText(m["type"]), scalarText(m["path"])
	out := map[string]any{"name": m["name"], "type": m["type"], "path": m["path"]}
	summary := typ + " " + path
	if typ == "file" {
		out["size"] = m["size"]
		summary += fmt.Sprintf(" (%s bytes)", scalarText(m["size"]))
	}
	out["summary"] = summary
	return out
}

// githubFile is a file, symlink or submodule object.
func githubFile(m map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"type", "name", "path", "size", "sha", "html_url", "download_url"} {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	// A private repository's download_url carries a temporary token in its
	// query: a credential that must not reach a result.
	if u, ok := out["download_url"].(string); ok {
		u, _, _ = strings.Cut(u, "?")
		out["download_url"] = u
		m["download_url"] = u
	}
	path, size, sha := scalarText(m["path"]), scalarText(m["size"]), scalarText(m["sha"])
	short := sha[:min(len(sha), 7)]
	download := scalarText(m["download_url"])
	switch typ := scalarText(m["type"]); typ {
	case "symlink":
		out["target"] = m["target"]
		out["summary"] = fmt.Sprintf("Symlink %s points to %s, which is not a file of the repository (sha %s).", path, scalarText(m["target"]), short)
		return out
	case "submodule":
		out["submodule_git_url"] = m["submodule_git_url"]
		out["summary"] = fmt.Sprintf("Submodule %s: commit %s of %s.", path, sha, scalarText(m["submodule_git_url"]))
		return out
	case "file":
	default:
		out["summary"] = fmt.Sprintf("%s %s (sha %s).", typ, path, short)
		return out
	}
	content, isString := m["content"].(string)
	data, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\n", "", "\r", "").Replace(content))
	switch {
	case scalarText(m["encoding"]) != "base64" || !isString || err != nil:
		// Files over 1 MB come without content (encoding "none").
		out["inlined"] = false
		out["summary"] = fmt.Sprintf("File %s, %s bytes, sha %s, is too large for GitHub to send its content here; download it from %s.", path, size, short, download)
		return out
	case !isText(data):
		out["binary"], out["inlined"] = true, false
		out["summary"] = fmt.Sprintf("File %s, %s bytes, sha %s, is binary (or not UTF-8 text) and not inlined; download it from %s.", path, size, short, download)
		return out
	}
	shown := data
	if len(data) > maxInlineFileBytes {
		shown = data[:maxInlineFileBytes]
		if i := bytes.LastIndexByte(shown, '\n'); i > maxInlineFileBytes*3/4 {
			shown = shown[:i+1]
		}
		for !utf8.Valid(shown) {
			shown = shown[:len(shown)-1]
		}
	}
	out["content"] = string(shown)
	if len(shown) < len(data) {
		out["truncated"], out["shown_bytes"] = true, len(shown)
		out["summary"] = fmt.Sprintf("File %s, %s bytes, sha %s; only its first %d bytes follow (download the rest from %s):\n%s", path, size, short, len(shown), download, shown)
	} else {
		out["summary"] = fmt.Sprintf("File %s, %s bytes, sha %s:\n%s", path, size, short, shown)
	}
	return out
}

// isText reports whether data reads as text: no NUL byte in its first 8000
// bytes (git's own test) and valid UTF-8.
func isText(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) < 0 && utf8.Valid(data)
}
