package tools

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// shape turns a decoded 2xx body into a Result following t.Result: the
// transform, then the path, then the cut fields, then the fields of the
// object or of each list item, with binary-looking data left out and large
// results cut. Texts are rendered before fields apply, so that they may
// name what a transform adds for them.
func (t *Tool) shape(doc any, r *response, args map[string]any, budget int) *Result {
	s := t.Result
	if s.transform != nil {
		doc = s.transform(doc)
	}
	if s.Path != "" {
		doc = lookup(doc, s.Path)
	}
	doc = dropBinary(doc)
	paths, tmpl := s.picks, s.text
	if paths == nil {
		paths = compileFields(s.Fields)
	}
	if tmpl == nil {
		tmpl = compileText(s.Text)
	}
	if asked := fieldsAsked(args); len(asked) > 0 {
		paths = compileFields(asked) // checked against s.Fields by the input schema
	}
	list, isList := doc.([]any)
	if s.ListPath != "" {
		list, _ = lookup(doc, s.ListPath).([]any)
		isList = true // an absent list is an empty one
	}
	if !isList {
		doc = cutFields(doc, s.Cut)
		obj := pick(doc, paths)
		m, ok := obj.(map[string]any)
		if !ok {
			m = map[string]any{"value": obj}
		}
		if _, isMap := doc.(map[string]any); isMap {
			return fitObject(&Result{Text: tmpl.render(doc), Structured: m}, budget)
		}
		return fitObject(&Result{Text: tmpl.render(m), Structured: m}, budget)
	}
	total := len(list)
	if total > MaxListItems {
		list = list[:MaxListItems]
	}
	items := make([]any, len(list))
	for i := range list {
		list[i] = cutFields(list[i], s.Cut)
		items[i] = pick(list[i], paths)
	}
	p := s.Pagination
	var page, perPage int
	next := ""
	more := false
	st := map[string]any{s.ListKey: items, "count": len(items)}
	var extras []string
	for _, x := range s.Extra {
		if v := lookup(doc, x); v != nil {
			st[x] = v
			extras = append(extras, x+": "+scalarText(v))
		}
	}
	switch {
	case p != nil && p.PageArg != "":
		page, perPage = intArg(args, p.PageArg, 1), intArg(args, p.PerPageArg, p.DefaultPerPage)
		more = hasNextPage(r, total, perPage)
		st["page"] = page
		if more {
			st["next_page"] = page + 1
		}
	case p != nil && p.CursorArg != "":
		if p.PerPageArg != "" {
			perPage = intArg(args, p.PerPageArg, p.DefaultPerPage)
		}
		next = scalarText(lookup(doc, p.NextCursor))
		more = next != ""
		if p.HasMore != "" {
			if flag, ok := lookup(doc, p.HasMore).(bool); ok && !flag {
				more = false
			}
		}
		if more {
			st["next_cursor"] = next
		}
	}
	shown := fitList(st, s.ListKey, budget)
	lines := make([]string, shown)
	for i := range shown {
		lines[i] = "- " + tmpl.render(list[i])
	}
	var text strings.Builder
	fmt.Fprintf(&text, "%s: %s", s.ListKey, count(len(lines)))
	if page > 0 {
		fmt.Fprintf(&text, " on page %d", page)
	}
	if len(extras) > 0 {
		fmt.Fprintf(&text, " (%s)", strings.Join(extras, ", "))
	}
	if len(lines) > 0 {
		text.WriteString(":\n" + strings.Join(lines, "\n"))
	} else {
		text.WriteString(".")
	}
	if shown < total {
		// The next page would skip the items cut here: ask for smaller pages.
		st["truncated"], st["total_in_response"] = true, total
		delete(st, "next_page")
		delete(st, "next_cursor")
		more = false
		text.WriteString("\n" + cutNote(shown, total, p, perPage))
	}
	switch {
	case more && page > 0:
		fmt.Fprintf(&text, "\nMore may exist: call again with %s=%d (%s=%d).", p.PageArg, page+1, p.PerPageArg, perPage)
	case more:
		fmt.Fprintf(&text, "\nMore exist: call again with %s=%q for the next page.", p.CursorArg, next)
	}
	return &Result{Text: fitText(text.String(), 0, budget), Structured: st}
}

// fieldsAsked returns the fields argument of a list tool (see
// addFieldsArgument), nil when absent.
func fieldsAsked(args map[string]any) []string {
	list, _ := args[fieldsArgument].([]any)
	var out []string
	for _, v := range list {
		if f, ok := v.(string); ok {
			out = append(out, f)
		}
	}
	return out
}

func count(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}

var nextLink = regexp.MustCompile(`<[^>]*>;\s*rel="?next"?`)

// hasNextPage trusts an RFC 8288 Link header when the API sends one (GitHub
// does whenever there is more than one page) and otherwise guesses that a
// full page has a successor.
func hasNextPage(r *response, n, perPage int) bool {
	if link := r.header.Get("Link"); link != "" {
		return nextLink.MatchString(link)
	}
	return n > 0 && n >= perPage
}

func intArg(args map[string]any, name string, def int) int {
	if n, err := strconv.Atoi(scalarText(args[name])); err == nil && n > 0 {
		return n
	}
	return def
}

// pickNode is one member that pick keeps: whole, or the members sub of
// it (through arrays). compileFields makes the nodes of dotted paths once
// per tool, not once per call.
type pickNode struct {
	key   string
	whole bool
	sub   []pickNode
}

// compileFields groups dotted paths by their first member, in the order
// they first name it; a path that names a member whole keeps it whole.
// No paths is nil.
func compileFields(fields []string) []pickNode {
	paths := make([][]string, len(fields))
	for i, f := range fields {
		paths[i] = strings.Split(f, ".")
	}
	return groupPaths(paths)
}

func groupPaths(paths [][]string) []pickNode {
	var nodes []pickNode
	var rests [][][]string
	for _, p := range paths {
		i := slices.IndexFunc(nodes, func(n pickNode) bool { return n.key == p[0] })
		if i < 0 {
			i = len(nodes)
			nodes, rests = append(nodes, pickNode{key: p[0]}), append(rests, nil)
		}
		nodes[i].whole = nodes[i].whole || len(p) == 1
		rests[i] = append(rests[i], p[1:])
	}
	for i := range nodes {
		if !nodes[i].whole {
			nodes[i].sub = groupPaths(rests[i])
		}
	}
	return nodes
}

// pick keeps the members nodes name of v. Paths descend into objects; on
// an array they apply to each element, so "labels.name" keeps the name of
// every label. A path that names a whole value keeps it entirely; absent
// paths are left out. No nodes keep everything.
func pick(v any, nodes []pickNode) any {
	if len(nodes) == 0 {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(nodes))
		for _, n := range nodes {
			val, ok := v[n.key]
			switch {
			case !ok:
			case n.whole:
				out[n.key] = val
			default:
				out[n.key] = pick(val, n.sub)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = pick(item, nodes)
		}
		return out
	default:
		return v
	}
}

// lookup returns the value at a dotted path, or nil.
func lookup(v any, path string) any {
	if path == "" {
		return v
	}
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

// lookupText renders the value at a dotted path; through arrays it collects
// every element's value, joined with commas.
func lookupText(v any, path []string) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, 0, len(v))
		for _, item := range v {
			if s := lookupText(item, path); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if len(path) == 0 {
			data, _ := json.Marshal(v)
			return string(data)
		}
		return lookupText(v[path[0]], path[1:])
	default:
		if len(path) > 0 {
			return ""
		}
		return scalarText(v)
	}
}

// textTemplate is a result's text template split once per tool
// (compileText): literal text, and the dotted paths of its {placeholders}.
type textTemplate []textPart

// textPart is literal text, or with path set a placeholder.
type textPart struct {
	literal string
	path    []string
}

// compileText splits tmpl at its {dotted.path} placeholders. The result is
// never nil, so that a compiled empty template is told from none.
func compileText(tmpl string) textTemplate {
	t := textTemplate{}
	last := 0
	for _, m := range placeholderPattern.FindAllStringIndex(tmpl, -1) {
		if m[0] > last {
			t = append(t, textPart{literal: tmpl[last:m[0]]})
		}
		t = append(t, textPart{path: strings.Split(tmpl[m[0]+1:m[1]-1], ".")})
		last = m[1]
	}
	if last < len(tmpl) {
		t = append(t, textPart{literal: tmpl[last:]})
	}
	return t
}

// render fills the placeholders from v; what empty placeholders leave at
// the end (spaces, a line break) goes.
func (t textTemplate) render(v any) string {
	var b strings.Builder
	for _, p := range t {
		if p.path == nil {
			b.WriteString(p.literal)
		} else {
			b.WriteString(lookupText(v, p.path))
		}
	}
	return strings.TrimRight(b.String(), " \t\r\n")
}
