package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"switchboard/accounts"
)

// accountsCommand runs `switchboard accounts list|delete|disable|enable|policy`:
// the operator's view of one user's accounts in the data dir.
func accountsCommand(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, accountsUsage)
		return usageErrorf("accounts: no verb given")
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "help", "--help", "-help", "-h":
		return &helpError{accountsUsage}
	case "list", "delete", "disable", "enable", "policy":
	default:
		return usageErrorf("unknown accounts verb %q; run 'switchboard accounts --help' for the verbs", verb)
	}
	fs := flag.NewFlagSet("accounts "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // help and errors are printed by main
	user := fs.String("user-id", env("SWITCHBOARD_USER_ID", ""), "the end user")
	toolkit := fs.String("toolkit", "", "the toolkit")
	ref := fs.String("account", "", "account id, alias or label")
	var change policyFlags
	if verb == "policy" {
		change.define(fs)
	}
	// The store and key settings come from the same flags as serve.
	cfg, err := parseFlags("accounts", nil)
	if err != nil {
		return err
	}
	fs.StringVar(&cfg.dataDir, "data-dir", cfg.dataDir, "directory of the store of serve or stdio")
	fs.StringVar(&cfg.configFile, "config", cfg.configFile, "YAML config file (auth configs, for revocation)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return &helpError{commandUsage("accounts "+verb, fs)}
	} else if err != nil {
		return usageErrorf("%v; run 'switchboard accounts %s --help' for the flags", err, verb)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q; run 'switchboard accounts %s --help' for the flags", fs.Arg(0), verb)
	}
	if cfg, err = parseFlags("accounts", []string{"--config", cfg.configFile, "--data-dir", cfg.dataDir}); err != nil {
		return err
	}
	if *user == "" {
		return usageErrorf("accounts %s needs --user-id (or SWITCHBOARD_USER_ID)", verb)
	}
	if verb != "list" && (*toolkit == "" || *ref == "") {
		return usageErrorf("accounts %s needs --toolkit and --account", verb)
	}
	if cfg.databaseURL == "" {
		if err := existingStore(cfg.dataDir, dataDirGiven(fs)); err != nil {
			return err
		}
	}
	svc, _, closeStore, err := build(ctx, cfg, "http://127.0.0.1", zap.NewNop(), nil, nil)
	if err != nil {
		return err
	}
	defer closeStore()
	switch verb {
	case "list":
		all, err := svc.Accounts(ctx, *user, *toolkit)
		if err != nil {
			return err
		}
		for _, a := range all {
			connected := "-"
			if !a.ConnectedAt.IsZero() {
				connected = a.ConnectedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Toolkit, orDash(a.Alias), orDash(a.Label), a.Status, connected)
		}
	case "delete":
		a, revoked, err := svc.DeleteAccount(ctx, *user, *toolkit, *ref)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "deleted %s (revoked at the provider: %v)\n", accounts.Describe(a), revoked)
	case "disable", "enable":
		a, err := svc.SetDisabled(ctx, *user, *toolkit, *ref, verb == "disable")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s is %s\n", accounts.Describe(a), a.Status)
	case "policy":
		a, err := svc.Find(ctx, *user, *toolkit, *ref)
		if err != nil {
			return err
		}
		if p, changed := change.apply(fs, a.Policy); changed {
			if a, err = svc.SetPolicy(ctx, a, p); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "%s: %s\n", accounts.Describe(a), a.Policy)
	}
	return nil
}

// policyFlags are the flags of `accounts policy`; only those given change
// the policy.
type policyFlags struct {
	access, allow, deny, confirm string
	reset                        bool
}

func (f *policyFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.access, "access", "", "read_only or read_write")
	fs.StringVar(&f.allow, "allow-tools", "", "comma-separated tools (or PREFIX_* patterns) that alone may run; empty: every tool")
	fs.StringVar(&f.deny, "deny-tools", "", "comma-separated tools (or PREFIX_* patterns) that never run")
	fs.StringVar(&f.confirm, "confirm", "", "none, destructive or writes: which calls ask the person first")
	fs.BoolVar(&f.reset, "reset", false, "start from the default policy")
}

// apply returns p changed by the flags given on the command line, and
// whether any was.
func (f *policyFlags) apply(fs *flag.FlagSet, p accounts.Policy) (accounts.Policy, bool) {
	changed := false
	if f.reset {
		p, changed = accounts.Policy{}, true
	}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "access":
			p.Access = accounts.Access(f.access)
		case "allow-tools":
			p.AllowTools = splitList(f.allow)
		case "deny-tools":
			p.DenyTools = splitList(f.deny)
		case "confirm":
			p.Confirm = accounts.Confirm(f.confirm)
		default:
			return
		}
		changed = true
	})
	return p, changed
}

// dataDirGiven reports whether the data dir was named, by --data-dir or
// SWITCHBOARD_DATA_DIR, rather than left to the default.
func dataDirGiven(fs *flag.FlagSet) bool {
	given := os.Getenv("SWITCHBOARD_DATA_DIR") != ""
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "data-dir" })
	return given
}

// existingStore refuses a data dir without a store: the accounts commands
// manage what serve or stdio stored, and creating an empty store there
// would only hide a wrong or missing --data-dir.
func existingStore(dataDir string, given bool) error {
	_, err := os.Stat(filepath.Join(dataDir, "switchboard.db"))
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("data dir (--data-dir or SWITCHBOARD_DATA_DIR): %w", err)
	case given:
		return fmt.Errorf("no Switchboard store in %s (from --data-dir or SWITCHBOARD_DATA_DIR): name the data dir that serve or stdio uses", dataDir)
	default:
		return fmt.Errorf("no Switchboard store in %s, the default data dir ./.switchboard: name the data dir that serve or stdio uses with --data-dir or SWITCHBOARD_DATA_DIR", dataDir)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
