package accounts_test

import (
	"context"
	"strings"
	"testing"

	"switchboard/accounts"
)

// badIdentifiers holds one value of each class CheckIdentifier refuses,
// with what the error must name.
var badIdentifiers = []struct {
	name, value, want string
}{
	{"NUL", "alice\x00", "U+0000"},
	{"Escape", "alice\x1b[2J", "U+001B"},
	{"Tab", "ali\tce", "U+0009"},
	{"Delete", "alice\x7f", "U+007F"},
	{"C1Control", "alice\u009b", "U+009B"},
	{"RightToLeftOverride", "alice\u202egpj.exe", "U+202E"},
	{"LeftToRightEmbedding", "\u202aalice", "U+202A"},
	{"FirstStrongIsolate", "alice\u2068", "U+2068"},
	{"PopDirectionalIsolate", "alice\u2069", "U+2069"},
	{"ZeroWidthSpace", "alice\u200b", "U+200B"},
	{"ZeroWidthNonJoiner", "al\u200cice", "U+200C"},
	{"ZeroWidthJoiner", "al\u200dice", "U+200D"},
	{"WordJoiner", "alice\u2060", "U+2060"},
	{"ByteOrderMark", "\ufeffalice", "U+FEFF"},
	{"SoftHyphen", "ali\u00adce", "U+00AD"},
	{"TagCharacter", "alice\U000E0041", "U+E0041"},
	{"InvalidUTF8", "alice\xff", "UTF-8"},
	{"TruncatedUTF8", "alic\xc3", "UTF-8"},
}

func TestCheckIdentifier(t *testing.T) {
	for _, tc := range badIdentifiers {
		t.Run(tc.name, func(t *testing.T) {
			err := accounts.CheckIdentifier("X-User-Id", tc.value)
			if err == nil {
				t.Fatalf("%q accepted", tc.value)
			}
			if msg := err.Error(); !strings.Contains(msg, "X-User-Id") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want one naming X-User-Id and %s", msg, tc.want)
			}
		})
	}
	for _, good := range []string{"", "alice", "alice@example.com", "user-1_2.3", "Zoë", "山田", "العربية", "🙂", "x\ufffdy"} {
		if err := accounts.CheckIdentifier("X-User-Id", good); err != nil {
			t.Errorf("%q refused: %v", good, err)
		}
	}
}

// TestAuthorizeRefusesInvisibleAlias pins the alias rule at authorize, the
// tool that names new accounts.
func TestAuthorizeRefusesInvisibleAlias(t *testing.T) {
	svc := testService(t, nil, nil)
	ctx := context.Background()
	sc := aliceScope(t, svc)
	for _, tc := range badIdentifiers {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Authorize(ctx, sc, accounts.AuthorizeRequest{Toolkit: "github", Alias: "work" + tc.value})
			e := accounts.ErrorOf(err)
			if e == nil || e.Code != accounts.CodeInvalidArguments || !strings.Contains(e.Message, tc.want) {
				t.Errorf("alias %q: %v, want INVALID_ARGUMENTS naming %s", "work"+tc.value, err, tc.want)
			}
		})
	}
	all, err := svc.Accounts(ctx, "alice", "github")
	if err != nil || len(all) != 0 {
		t.Errorf("refused aliases created accounts: %v %v", all, err)
	}
}

// TestMatchesNamesExactlyButForASCIICase: an alias or label matches a
// reference that differs only in the case of ASCII letters, never one
// that Unicode case folding would take as equal: a look-alike (the Kelvin
// sign, the long s) names no account.
func TestMatchesNamesExactlyButForASCIICase(t *testing.T) {
	a := &accounts.Account{ID: "ca_1", Alias: "work", Label: "alice-sales"}
	for ref, want := range map[string]bool{
		"work": true, "WORK": true, "Work": true, "alice-sales": true, "ALICE-SALES": true, "ca_1": true,
		"wor\u212a": false, "alice-\u017fales": false, "wor": false, "works": false, "": false, "CA_1": false,
	} {
		if got := a.Matches(ref); got != want {
			t.Errorf("Matches(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestQuoteCutsLongInput(t *testing.T) {
	for in, want := range map[string]string{
		"work":                   `"work"`,
		"a\nb":                   `"a\nb"`,
		strings.Repeat("é", 64):  `"` + strings.Repeat("é", 64) + `"`,
		strings.Repeat("é", 65):  `"` + strings.Repeat("é", 64) + `…"`,
		strings.Repeat("x", 1e5): `"` + strings.Repeat("x", 64) + `…"`,
	} {
		if got := accounts.Quote(in); got != want {
			t.Errorf("Quote(%.20q…) = %.80s", in, got)
		}
	}
}
