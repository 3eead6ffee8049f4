package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"switchboard/tools"
)

// The paths a toolkit call arrives by, recorded in AuditEntry.Via.
const (
	// ViaMCP is a tools/call of the tool by its name.
	ViaMCP = "mcp"
	// ViaExecuteTool is the execute_tool meta tool (search mode).
	ViaExecuteTool = "execute_tool"
	// ViaAPI is the application API's POST /api/v1/sessions/{id}/execute.
	ViaAPI = "api"
	// ViaComposio is the Composio adapter's session execute.
	ViaComposio = "composio"
)

// AuditEntry is one toolkit call in the audit trail: who asked, through
// which session and path, which tool, which account acted and which layer
// of rule 5 chose it, how it ended and how long it took. It never holds an
// argument value or a result; see ArgsHash.
type AuditEntry struct {
	// Seq is the store's insertion order, the cursor of listings.
	Seq int64
	// At is when the call arrived.
	At time.Time
	// UserID and SessionID say for whom and in which session it ran.
	UserID, SessionID string
	// Via is the path the call came by (ViaMCP, ViaExecuteTool, …).
	Via string
	// Tool and Toolkit name what was called.
	Tool, Toolkit string
	// AccountID, AccountAlias and AccountLabel name the account that acted,
	// or would have; empty when no account was chosen (an unknown toolkit,
	// invalid arguments, no ACTIVE account).
	AccountID, AccountAlias, AccountLabel string
	// SelectedBy is the layer of rule 5 that chose the account.
	SelectedBy SelectedBy
	// Outcome is "ok" or the error code the call answered with.
	Outcome string
	// UpstreamStatus is the HTTP status of the upstream's answer, 0 when
	// no answer arrived (or no request was made).
	UpstreamStatus int
	// Latency is how long Switchboard took to answer, confirmation
	// included; stored to the microsecond.
	Latency time.Duration
	// ArgsHash is the keyed hash of the call's arguments (see
	// Service.argumentsHash): the same arguments give the same hash, and
	// nothing else can be learned from it without the server's key.
	ArgsHash string
	// ConfirmationID names the confirmation the call asked for or ran
	// with, when its account's policy made it ask the person.
	ConfirmationID string
}

// OutcomeOK is the Outcome of a call that succeeded.
const OutcomeOK = "ok"

// AuditQuery selects audit entries.
type AuditQuery struct {
	// UserID keeps one user's entries; empty keeps every user's (the
	// operator's view). A user's own view always sets it.
	UserID string
	// AccountID keeps the entries of one account; empty keeps all.
	AccountID string
	// Since keeps the entries at or after it; zero keeps all.
	Since time.Time
	// Before keeps the entries with a Seq below it (the page cursor); zero
	// starts from the newest.
	Before int64
	// Limit is the most entries returned; it must be positive.
	Limit int
}

// MaxAuditLimit bounds one page of the audit trail.
const MaxAuditLimit = 200

// argumentsHash returns the keyed hash under which a call's arguments are
// recorded in the audit trail and bind a confirmation: HMAC-SHA-256 of
// their canonical JSON (keys sorted, numbers as sent), under a key derived
// from the primary sealing key, base64url.
//
// Why not the values: arguments are the user's data (message bodies,
// recipients, file contents), and the trail is kept for months and read by
// operators who need to know which account acted, not what it wrote. Why
// keyed: a plain hash of a short or guessable value (an address, "yes", an
// issue number) is undone by hashing candidates, so anyone reading the
// table could recover it. With a key that the store never holds, the hash
// still tells a repeated call from a different one, and whoever holds the
// server's key can check whether a given call was made; a reader of the
// table or a backup learns nothing. The key follows the primary sealing
// key: after a rotation the same arguments hash differently.
func (s *Service) argumentsHash(args map[string]any) string {
	canonical, err := json.Marshal(args)
	if err != nil {
		// Arguments came from JSON and go back to JSON; should that fail,
		// the hash still differs from every real one.
		canonical = []byte("unencodable")
	}
	mac := hmac.New(sha256.New, s.keys.macKey())
	mac.Write([]byte("audit arguments\x00"))
	mac.Write(canonical)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// trail collects what the audit entry of one call needs as Call learns it.
type trail struct {
	start   time.Time
	entry   AuditEntry
	account *Account
}

// newTrail starts the record of a call of tool in sc.
func (s *Service) newTrail(sc *Scope, tool *tools.Tool, args map[string]any, via string) *trail {
	return &trail{start: time.Now(), entry: AuditEntry{
		At: s.now(), UserID: sc.UserID(), SessionID: sc.Session.ID, Via: via,
		Tool: tool.Name, Toolkit: tool.Toolkit, ArgsHash: s.argumentsHash(args),
	}}
}

// record queues the audit entry of a finished call (see auditQueue): res
// and err are what Call returns. A failed write is logged; the call's
// answer stands (it may have acted upstream already).
func (s *Service) record(tr *trail, res *CallResult, err error) {
	e := tr.entry
	e.Latency = time.Since(tr.start)
	e.Outcome = OutcomeOK
	a := tr.account
	if res != nil {
		a = res.Account
		e.SelectedBy = res.SelectedBy
		e.UpstreamStatus = res.Result.Status
	}
	if err != nil {
		ce := ErrorOf(err)
		e.Outcome = string(ce.Code)
		if a == nil {
			a = ce.Account
		}
		var te *tools.Error
		if errors.As(err, &te) {
			e.UpstreamStatus = te.Status
		}
	}
	if a != nil {
		e.AccountID, e.AccountAlias, e.AccountLabel = a.ID, a.Alias, a.Label
	}
	s.audit.add(&e)
}

// FlushAudit returns once the audit entries of calls that already
// answered are in the store, or when ctx ends. A program flushes before it
// closes the store.
func (s *Service) FlushAudit(ctx context.Context) error { return s.audit.flush(ctx) }

// Audit returns one page of the entries q selects, newest first, and the
// cursor of the next page (0 when this is the last). A user's own view
// (list_activity) sets q.UserID; the operator's may leave it empty.
func (s *Service) Audit(ctx context.Context, q AuditQuery) ([]*AuditEntry, int64, error) {
	if q.Limit <= 0 || q.Limit > MaxAuditLimit {
		return nil, 0, Errorf(CodeInvalidArguments, "limit must be from 1 to %d.", MaxAuditLimit)
	}
	// The reader sees the calls this process answered before it asked.
	if err := s.FlushAudit(ctx); err != nil {
		return nil, 0, internal(err, "read the audit trail")
	}
	want := q.Limit
	q.Limit++
	list, err := s.store.Audit(ctx, q)
	if err != nil {
		return nil, 0, internal(err, "read the audit trail")
	}
	if len(list) <= want {
		return list, 0, nil
	}
	list = list[:want]
	return list, list[want-1].Seq, nil
}
