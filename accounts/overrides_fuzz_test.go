package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"switchboard/accounts"
	"switchboard/internal/fakeupstream"
)

// FuzzParseOverrides feeds X-Connected-Accounts values to the parser of
// alice's request. Whatever the value: no panic; an error is a
// *HeaderError or a coded error; every account it resolves is one of
// alice's and of the toolkit it is named for (never bob's, rule 8); a
// pending alias is one an alias may be.
func FuzzParseOverrides(f *testing.F) {
	gh := fakeupstream.NewGitHub()
	f.Cleanup(gh.Close)
	gh.AddUser("ghp_alice", "alice-gh", 1)
	gh.AddUser("ghp_bob", "bob-gh", 2)
	svc := testService(f, nil, map[string]string{"github": gh.URL()})
	ctx := context.Background()
	connect := func(user, token, alias string) *accounts.Account {
		sess, err := svc.CreateSession(ctx, accounts.SessionOptions{UserID: user})
		if err != nil {
			f.Fatal(err)
		}
		auth, err := svc.Authorize(ctx, &accounts.Scope{Session: sess}, accounts.AuthorizeRequest{Toolkit: "github", Alias: alias})
		if err != nil {
			f.Fatal(err)
		}
		_, link, _ := strings.Cut(auth.URL, "/connect/")
		c, err := svc.CompleteWithSecret(ctx, link, token, "")
		if err != nil {
			f.Fatal(err)
		}
		return c.Account
	}
	alices := connect("alice", "ghp_alice", "work")
	bobs := connect("bob", "ghp_bob", "bobs")

	for _, seed := range []string{
		"", "github=work", "github=" + alices.ID, "github=" + bobs.ID, "github=bobs", "gmail=home,github=work",
		"github=work,github=work", "github", "=work", "github=", ",,,", "slack=ca_", "github=wörk", "github=a\u200bb",
		"github = work , gmail = x", "GITHUB=work", "github=work=x", strings.Repeat("github=work,", 50),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		ov, err := svc.ParseOverrides(ctx, "alice", header)
		if err != nil {
			var he *accounts.HeaderError
			if !errors.As(err, &he) && accounts.ErrorOf(err).Code == accounts.CodeInternal {
				t.Fatalf("%q: an uncoded error %v", header, err)
			}
			return
		}
		for toolkit, id := range ov.Accounts {
			a, err := svc.AccountByID(ctx, id, "alice")
			if err != nil || a.Toolkit != toolkit {
				t.Fatalf("%q resolved %s to %s, not one of alice's %s accounts (%v)", header, toolkit, id, toolkit, err)
			}
			if id == bobs.ID {
				t.Fatalf("%q reached bob's account", header)
			}
		}
		for toolkit, alias := range ov.Pending {
			if svc.Catalog().Toolkit(toolkit) == nil || alias == "" || strings.HasPrefix(alias, "ca_") || accounts.CheckIdentifier("alias", alias) != nil {
				t.Fatalf("%q left %s=%q pending", header, toolkit, alias)
			}
		}
	})
}
