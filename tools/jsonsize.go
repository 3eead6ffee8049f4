package tools

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// jsonSize is the length of json.Marshal(v), 0 when v cannot be encoded.
// Results are measured against their budget several times per call (a
// list's cut searches for the longest prefix that fits), so the JSON
// values of decoded bodies (maps, slices, strings, json.Number, bools,
// nil) and the ints of list results are measured without being encoded;
// any other value is encoded to be measured.
func jsonSize(v any) int {
	n, ok := encodedLen(v)
	if !ok {
		return 0
	}
	return n
}

// encodedLen is the length of v's JSON as encoding/json writes it, and
// false when encoding/json would fail.
func encodedLen(v any) (int, bool) {
	switch v := v.(type) {
	case nil:
		return len("null"), true
	case string:
		return stringLen(v), true
	case bool:
		if v {
			return len("true"), true
		}
		return len("false"), true
	case json.Number:
		if v == "" {
			return len("0"), true
		}
		if !validNumber(string(v)) {
			return 0, false
		}
		return len(v), true
	case int:
		return len(strconv.AppendInt(make([]byte, 0, 24), int64(v), 10)), true
	case int64:
		return len(strconv.AppendInt(make([]byte, 0, 24), v, 10)), true
	case map[string]any:
		if v == nil {
			return len("null"), true
		}
		n := len("{}") + max(0, len(v)-1) // braces, commas
		for k, x := range v {
			m, ok := encodedLen(x)
			if !ok {
				return 0, false
			}
			n += stringLen(k) + 1 + m // key, colon, value
		}
		return n, true
	case []any:
		if v == nil {
			return len("null"), true
		}
		n := len("[]") + max(0, len(v)-1)
		for _, x := range v {
			m, ok := encodedLen(x)
			if !ok {
				return 0, false
			}
			n += m
		}
		return n, true
	default:
		data, err := json.Marshal(v)
		return len(data), err == nil
	}
}

// stringLen is the length of s as a JSON string as encoding/json writes it
// (json.Marshal escapes <, > and & for HTML, U+2028 and U+2029, and writes
// each invalid UTF-8 byte as \ufffd).
func stringLen(s string) int {
	n := len(`""`)
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			case b < 0x20 || b == '<' || b == '>' || b == '&':
				n += len(`\u0000`)
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += len(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			n += len(`\u2028`)
		default:
			n += size
		}
		i += size
	}
	return n
}

// validNumber reports whether s is a JSON number, as encoding/json checks
// a json.Number before writing it.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		if s = s[1:]; s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = skipDigits(s[1:])
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && isDigit(s[1]) {
		s = skipDigits(s[2:])
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			if s = s[1:]; s == "" {
				return false
			}
		}
		if !isDigit(s[0]) {
			return false
		}
		s = skipDigits(s)
	}
	return s == ""
}

func skipDigits(s string) string {
	for len(s) > 0 && isDigit(s[0]) {
		s = s[1:]
	}
	return s
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
