package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"switchboard/accounts"
)

// accountsCommand runs `switchboard accounts list|delete|disable|enable`:
// the operator's view of one user's accounts in the data dir.
func accountsCommand(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: switchboard accounts list|delete|disable|enable --user-id U [--toolkit T] [--account REF]")
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("accounts "+verb, flag.ContinueOnError)
	user := fs.String("user-id", env("SWITCHBOARD_USER_ID", ""), "the end user")
	toolkit := fs.String("toolkit", "", "the toolkit")
	ref := fs.String("account", "", "account id, alias or label")
	// The store and key settings come from the same flags as serve.
	cfg, err := parseFlags("accounts", nil)
	if err != nil {
		return err
	}
	fs.StringVar(&cfg.dataDir, "data-dir", cfg.dataDir, "directory of the embedded store")
	fs.StringVar(&cfg.configFile, "config", cfg.configFile, "YAML config file (auth configs, for revocation)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.configFile != "" {
		if cfg, err = parseFlags("accounts", []string{"--config", cfg.configFile, "--data-dir", cfg.dataDir}); err != nil {
			return err
		}
	}
	if *user == "" {
		return errors.New("--user-id is required")
	}
	svc, _, closeStore, err := build(ctx, cfg, "http://127.0.0.1", zap.NewNop(), nil)
	if err != nil {
		return err
	}
	defer closeStore()
	if verb != "list" && (*toolkit == "" || *ref == "") {
		return fmt.Errorf("accounts %s needs --toolkit and --account", verb)
	}
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
	default:
		return fmt.Errorf("unknown accounts command %q", verb)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
