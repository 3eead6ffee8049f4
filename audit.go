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

// auditCommand runs `switchboard audit`: the operator's view of the audit
// trail in the data dir (or the PostgreSQL database), newest first.
func auditCommand(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // help and errors are printed by main
	user := fs.String("user-id", "", "only this user's calls")
	account := fs.String("account", "", "only the calls of this account id (ca_…)")
	since := fs.String("since", "", "only calls since this long ago (24h) or this time (RFC 3339)")
	limit := fs.Int("limit", 50, fmt.Sprintf("the most entries printed, from 1 to %d", accounts.MaxAuditLimit))
	cfg, err := parseFlags("accounts", nil)
	if err != nil {
		return err
	}
	fs.StringVar(&cfg.dataDir, "data-dir", cfg.dataDir, "directory of the store of serve or stdio")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return &helpError{commandUsage("audit", fs)}
	} else if err != nil {
		return usageErrorf("%v; run 'switchboard audit --help' for the flags", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q; run 'switchboard audit --help' for the flags", fs.Arg(0))
	}
	q := accounts.AuditQuery{UserID: *user, AccountID: *account, Limit: *limit}
	if *since != "" {
		if q.Since, err = sinceOf(*since, time.Now()); err != nil {
			return usageErrorf("--since %q: %v", *since, err)
		}
	}
	if cfg, err = parseFlags("accounts", []string{"--data-dir", cfg.dataDir}); err != nil {
		return err
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
	list, _, err := svc.Audit(ctx, q)
	if err != nil {
		return err
	}
	for _, e := range list {
		account, status := "-", "-"
		if e.AccountID != "" {
			account = e.AccountID + " " + orDash(e.AccountLabel)
		}
		if e.UpstreamStatus > 0 {
			status = fmt.Sprint(e.UpstreamStatus)
		}
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%dms\n", e.At.UTC().Format(time.RFC3339), e.UserID, e.SessionID,
			orDash(e.Via), e.Tool, account, orDash(string(e.SelectedBy)), e.Outcome, status, e.Latency.Milliseconds())
	}
	return nil
}

// sinceOf reads --since: a duration back from now, or a time.
func sinceOf(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errors.New("want a duration such as 24h, or a time such as 2026-01-02T15:04:05Z")
	}
	return t, nil
}
