package accounts

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ArgumentLine is one argument of a call as a person reads it before
// allowing the call: its name and its value, shortened.
type ArgumentLine struct {
	Name  string `json:"n"`
	Value string `json:"v"`
}

// Bounds of an argument summary: a person reads it on a phone, and a
// summary must never carry a whole attachment.
const (
	summaryValueRunes = 200
	summaryMaxLines   = 20
)

// ArgumentSummary renders a call's arguments for the person asked to allow
// it: one line per argument in name order, strings as they are (line breaks
// as spaces), other values as compact JSON, each cut to 200 characters,
// at most 20 lines (a last line says how many more there were).
func ArgumentSummary(args map[string]any) []ArgumentLine {
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []ArgumentLine
	for i, k := range names {
		if i == summaryMaxLines {
			out = append(out, ArgumentLine{Name: "…", Value: plural(len(names)-i, "more argument")})
			break
		}
		var v string
		if s, ok := args[k].(string); ok {
			v = strings.Join(strings.Fields(s), " ")
		} else {
			b, _ := json.Marshal(args[k])
			v = string(b)
		}
		out = append(out, ArgumentLine{Name: k, Value: shorten(v, summaryValueRunes)})
	}
	return out
}

// FormatSummary writes lines as "name: value", one a line.
func FormatSummary(lines []ArgumentLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Name + ": " + l.Value + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func encodeSummary(lines []ArgumentLine) []byte {
	b, _ := json.Marshal(lines) // strings always marshal
	return b
}

func decodeSummary(b []byte) []ArgumentLine {
	var lines []ArgumentLine
	_ = json.Unmarshal(b, &lines)
	return lines
}
