package accounts

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// CheckIdentifier returns an error when s, a user id, an alias or a header
// value, holds anything that would not show as itself where it is printed:
// invalid UTF-8, control characters, or invisible formatting characters
// (Unicode category Cf), which include the bidirectional overrides and
// isolates (U+202A–U+202E, U+2066–U+2069), the zero-width characters
// (U+200B–U+200D, U+2060) and the byte order mark (U+FEFF). A user id
// "alice\u200b" would otherwise be shown as "alice" on a connect page.
//
// kind names the value in the error ("X-User-Id", "alias", "--user-id").
// Every edge checks identifiers with this one rule; the edges' own rules
// (lengths, separators) come on top.
func CheckIdentifier(kind, s string) error {
	for i, r := range s {
		var what string
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Errorf("%s is not valid UTF-8 (byte %d); identifiers must be valid UTF-8 without control, zero-width or bidirectional formatting characters", kind, i)
			}
			continue // a literal U+FFFD shows as itself
		case unicode.IsControl(r):
			what = "a control character"
		case 0x202A <= r && r <= 0x202E, 0x2066 <= r && r <= 0x2069:
			what = "a bidirectional override"
		case 0x200B <= r && r <= 0x200D, r == 0x2060, r == 0xFEFF:
			what = "a zero-width character"
		case unicode.Is(unicode.Cf, r):
			what = "an invisible formatting character"
		default:
			continue
		}
		return fmt.Errorf("%s has %U, %s, at byte %d; identifiers must be valid UTF-8 without control, zero-width or bidirectional formatting characters", kind, r, what, i)
	}
	return nil
}

// sameName reports whether two aliases or labels name the same account:
// equal but for the case of ASCII letters. Unicode case folding would also
// take look-alikes as equal (the Kelvin sign K folds to k, the long s ſ to
// s), so that "worK" chose the account aliased work.
func sameName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
