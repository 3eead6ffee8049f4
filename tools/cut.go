package tools

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Bounds of a Result, so that one call cannot flood an agent's context.
const (
	// MaxListItems is the most list items a Result holds.
	MaxListItems = 50
	// MaxResultBytes is the largest result budget an operator may set: the
	// bound of the JSON encoding of Result.Structured, and of Result.Text.
	MaxResultBytes = 64 << 10
	// DefaultResultBudget is the result budget unless the operator sets
	// another (ExecutorOptions.ResultBudget): about 4,000 tokens, so that
	// one call cannot take over an agent's context.
	DefaultResultBudget = 16 << 10
	// minBinaryLen is the length from which a string made only of base64
	// characters is taken for binary data (an attachment, an image).
	minBinaryLen = 1024
)

// cutNote says that a list was cut and how to see the rest.
func cutNote(shown, total int, p *Pagination, perPage int) string {
	note := fmt.Sprintf("Only the first %d of %d items are shown", shown, total)
	switch {
	case p != nil && p.PerPageArg != "":
		return note + fmt.Sprintf("; call again with %s=%d (or fewer) to page through all of them, or narrow the request with filters.", p.PerPageArg, min(shown, perPage))
	default:
		return note + "; narrow the request with filters to see the others."
	}
}

// fitList drops list items from the end of st[key] until st's JSON fits
// budget, and returns how many items are kept.
func fitList(st map[string]any, key string, budget int) int {
	items := st[key].([]any)
	if jsonSize(st) <= budget {
		return len(items)
	}
	// Binary search for the longest prefix that fits.
	lo, hi := 0, len(items)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		st[key] = items[:mid]
		if jsonSize(st) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	st[key], st["count"] = items[:lo], lo
	return lo
}

// fitObject cuts the longest strings of an object result until its JSON
// fits budget, and bounds its text.
func fitObject(res *Result, budget int) *Result {
	if jsonSize(res.Structured) > budget {
		cut := map[string]any{"truncated": true}
		note := "\n(The result was too large to return; narrow the request.)"
		for limit := budget / 2; limit >= 64; limit /= 2 {
			if c := cutStrings(res.Structured, limit).(map[string]any); jsonSize(c) <= budget {
				cut = c
				note = fmt.Sprintf("\n(Long text fields were cut to %d characters to fit the result's size budget.)", limit)
				break
			}
		}
		res.Structured = cut
		res.Text = fitText(res.Text, len(note), budget) + note
		return res
	}
	res.Text = fitText(res.Text, 0, budget)
	return res
}

// fitText bounds a Result's text to budget, less reserve bytes, saying
// how much was cut and what to do.
func fitText(s string, reserve, budget int) string {
	if len(s)+reserve <= budget {
		return s
	}
	const mark = "\n… [cut: %d of %d bytes shown, the result's size budget; the structured result holds what fits. Narrow the request (filters, fewer fields) or page with the tool's page or cursor arguments.]"
	cut := s[:max(0, budget-reserve-len(mark)-20)] // 20: room for the two numbers
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut + fmt.Sprintf(mark, len(cut), len(s))
}

// cutStrings returns v with every string longer than limit characters cut
// to limit, marked.
func cutStrings(v any, limit int) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = cutStrings(x, limit)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cutStrings(x, limit)
		}
		return out
	case string:
		if n := utf8.RuneCountInString(v); n > limit {
			return string([]rune(v)[:limit]) + fmt.Sprintf("… [cut: %d more characters]", n-limit)
		}
		return v
	default:
		return v
	}
}

// cutFields cuts the strings at each dotted path of cut (through arrays,
// and all of an object's) to that path's limit, marked, in place.
func cutFields(v any, cut map[string]int) any {
	for path, limit := range cut {
		v = cutAt(v, strings.Split(path, "."), limit)
	}
	return v
}

func cutAt(v any, path []string, limit int) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = cutAt(x[i], path, limit)
		}
		return x
	case map[string]any:
		if len(path) == 0 {
			return cutStrings(x, limit)
		}
		if val, ok := x[path[0]]; ok {
			x[path[0]] = cutAt(val, path[1:], limit)
		}
		return x
	case string:
		if len(path) == 0 {
			return cutStrings(x, limit)
		}
	}
	return v
}

// dropBinary replaces, throughout v, strings that look like base64-encoded
// binary data with a short note: binary content is never inlined. Members
// and elements are written only when they change, as storing a string in
// an interface again would copy it to the heap.
func dropBinary(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if y, changed := dropBinaryIn(x); changed {
				v[k] = y
			}
		}
		return v
	case []any:
		for i, x := range v {
			if y, changed := dropBinaryIn(x); changed {
				v[i] = y
			}
		}
		return v
	default:
		y, _ := dropBinaryIn(v)
		return y
	}
}

// dropBinaryIn is dropBinary of x, and whether x itself must be replaced.
func dropBinaryIn(x any) (any, bool) {
	switch x := x.(type) {
	case map[string]any, []any:
		dropBinary(x) // in place
		return x, false
	case string:
		if looksBinary(x) {
			return fmt.Sprintf("[binary data, about %d bytes, not inlined]", len(strings.TrimRight(x, "=\r\n"))*3/4), true
		}
	}
	return x, false
}

// looksBinary reports whether s is long and made only of the characters of
// base64 and base64url (line breaks allowed, as in MIME and GitHub).
func looksBinary(s string) bool {
	if len(s) < minBinaryLen {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || slices.Contains([]rune("+/=-_\r\n"), r))
	})
}
