package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"switchboard/tools"
)

// Confirmation is the person's say on one call that an account's policy
// makes ask first (Policy.Confirm). It is bound to the user, the account,
// the tool and the keyed hash of the arguments, lives as long as a connect
// link, and allows one call: the call that repeats the confirmed one with
// its id.
//
// It is answered in one of two ways. An MCP client that declared form
// elicitation asks the person itself and reports the answer
// (AnswerConfirmation); such a confirmation has no link. Otherwise the
// person opens a link (/confirm/{token}) and allows or denies the call
// there; such a confirmation cannot be answered by a client. As with
// connect links, whoever holds the link can answer it: an agent that can
// browse could open a link it was given, so a person who must stay in the
// loop against such an agent uses a client that asks through elicitation.
type Confirmation struct {
	// ID is "cf_" followed by random characters; the agent repeats the
	// call with it.
	ID string
	// UserID owns it; SessionID is the session whose call asked for it.
	UserID, SessionID string
	// AccountID, Tool and ArgsHash are the call it allows.
	AccountID, Tool, ArgsHash string
	// TokenHash is the hash of the link's token; empty for a confirmation
	// that the MCP client asks through elicitation.
	TokenHash string
	// Summary is the sealed argument summary the link's page shows (sealed
	// because it holds argument values); nil without a link.
	Summary []byte
	// CreatedAt and ExpiresAt bound its life: past ExpiresAt it can neither
	// be answered nor used.
	CreatedAt, ExpiresAt time.Time
	// DecidedAt is when the person answered, Approved what; zero while
	// pending.
	DecidedAt time.Time
	Approved  bool
	// UsedAt is when the allowed call ran; a used confirmation allows
	// nothing more.
	UsedAt time.Time
}

// Expired reports whether c can no longer be answered or used at now.
func (c *Confirmation) Expired(now time.Time) bool { return !now.Before(c.ExpiresAt) }

// Decided reports whether the person answered.
func (c *Confirmation) Decided() bool { return !c.DecidedAt.IsZero() }

// ConfirmationRequest is what a CONFIRMATION_REQUIRED answer offers.
type ConfirmationRequest struct {
	// ID names the confirmation, to repeat the call with.
	ID string
	// URL is the link the person opens to answer; empty when the MCP
	// client is to ask the person itself (CallOptions.Elicit).
	URL string
	// ExpiresAt is when the confirmation lapses.
	ExpiresAt time.Time
}

// CallOptions say how a toolkit call arrived and what it brings.
type CallOptions struct {
	// Via is the path of the call, for the audit trail (ViaMCP, …).
	Via string
	// Confirmation is the id of a confirmation the call presents: the
	// person allowed this call (same tool, account and arguments) earlier.
	Confirmation string
	// Elicit says that the caller can ask the person itself (an MCP
	// client that declared form elicitation): a call that must ask first
	// gets a confirmation without a link, which AnswerConfirmation
	// decides.
	Elicit bool
}

// confirm lets a call of tool with args by the account a run when its
// policy makes it ask first: the call must present a confirmation the
// person approved for exactly this call, which it then uses up. Otherwise
// the answer is CONFIRMATION_REQUIRED with a new confirmation (or, for
// one still pending, the same), or CONFIRMATION_DECLINED.
func (s *Service) confirm(ctx context.Context, sc *Scope, a *Account, tool *tools.Tool, args map[string]any, opts CallOptions, tr *trail) error {
	if opts.Confirmation == "" {
		return s.askFirst(ctx, sc, a, tool, args, opts.Elicit, tr, "")
	}
	tr.entry.ConfirmationID = opts.Confirmation
	now := s.now()
	c, err := s.store.Confirmation(ctx, sc.UserID(), opts.Confirmation)
	var why string
	switch {
	case errors.Is(err, ErrNotFound):
		why = "is not one of this user's"
	case err != nil:
		return internal(err, "load the confirmation")
	case c.AccountID != a.ID || c.Tool != tool.Name || c.ArgsHash != tr.entry.ArgsHash:
		why = "was given for another call (another tool, account or arguments)"
	case !c.UsedAt.IsZero():
		why = "was used already: each one allows a single call"
	case c.Expired(now):
		why = "has expired"
	case !c.Decided():
		return &Error{
			Code:         CodeConfirmationRequired,
			Message:      fmt.Sprintf("The person has not answered confirmation %s yet, so %s did not run. Wait until they allowed it (the link you showed them), then repeat the call with it.", c.ID, tool.Name),
			Account:      a,
			Confirmation: &ConfirmationRequest{ID: c.ID, ExpiresAt: c.ExpiresAt},
		}
	case !c.Approved:
		return &Error{
			Code:    CodeConfirmationDeclined,
			Message: fmt.Sprintf("The person declined this %s call (confirmation %s), so it did not run and nothing was sent to %s. Do not try it again unless they ask you to.", tool.Name, c.ID, a.Toolkit),
			Account: a,
		}
	default:
		err := s.store.UseConfirmation(ctx, sc.UserID(), c.ID, now)
		if err == nil {
			s.log.Info("confirmation used", zap.String("user", sc.UserID()), zap.String("confirmation", c.ID), zap.String("tool", tool.Name), zap.String("account", a.ID))
			return nil
		}
		if !errors.Is(err, ErrConfirmationSettled) {
			return internal(err, "use the confirmation")
		}
		why = "was used already: each one allows a single call"
	}
	return s.askFirst(ctx, sc, a, tool, args, opts.Elicit, tr, fmt.Sprintf("The confirmation %q %s. ", opts.Confirmation, why))
}

// askFirst issues a confirmation for the call and answers
// CONFIRMATION_REQUIRED with it; prefix opens the message.
func (s *Service) askFirst(ctx context.Context, sc *Scope, a *Account, tool *tools.Tool, args map[string]any, elicit bool, tr *trail, prefix string) error {
	now := s.now()
	c := &Confirmation{
		ID: NewID("cf_"), UserID: sc.UserID(), SessionID: sc.Session.ID,
		AccountID: a.ID, Tool: tool.Name, ArgsHash: tr.entry.ArgsHash,
		CreatedAt: now, ExpiresAt: now.Add(s.linkTTL),
	}
	req := &ConfirmationRequest{ID: c.ID, ExpiresAt: c.ExpiresAt}
	if !elicit {
		token, hash := newLinkToken()
		sealed, err := s.keys.sealBytes(confirmationAD(c.ID), encodeSummary(ArgumentSummary(args)))
		if err != nil {
			return internal(err, "seal the confirmation")
		}
		c.TokenHash, c.Summary = hash, sealed
		req.URL = s.baseURL + "/confirm/" + token
	}
	if err := s.store.CreateConfirmation(ctx, c); err != nil {
		return internal(err, "create the confirmation")
	}
	tr.entry.ConfirmationID = c.ID
	s.log.Info("confirmation issued", zap.String("user", c.UserID), zap.String("session", c.SessionID), zap.String("confirmation", c.ID),
		zap.String("tool", c.Tool), zap.String("account", a.ID), zap.Bool("link", !elicit))
	what := "calls that change data"
	if a.Policy.Confirm == ConfirmDestructive {
		what = "destructive calls"
	}
	msg := fmt.Sprintf("%sThe %s account %s asks its person before %s (policy confirm: %s), so %s did not run yet.", prefix, a.Toolkit, describe(a), what, a.Policy.Confirm, tool.Name)
	if req.URL != "" {
		msg += fmt.Sprintf(" Show the user this link, where they allow or deny this one call: %s (it expires at %s). Once they allowed it, repeat the call with the same tool and arguments and confirmation %q: over MCP with execute_tool {\"tool\": %q, \"arguments\": {…the same…}, \"confirmation\": %q}, over the API with execute's \"confirmation\".",
			req.URL, c.ExpiresAt.UTC().Format(time.RFC3339), c.ID, tool.Name, c.ID)
	}
	return &Error{Code: CodeConfirmationRequired, Message: msg, Account: a, Confirmation: req}
}

// confirmationAD is the additional data a confirmation's summary is sealed
// with: a blob moved to another confirmation does not open.
func confirmationAD(id string) string { return "confirmation:" + id }

// AnswerConfirmation records the person's answer to a confirmation that
// the MCP client asked through elicitation: approved, or declined (a
// dismissed form is declined too). A confirmation with a link is answered
// on its page only, never by a client. An answer to a confirmation that
// was answered already, or has expired, changes nothing: the call that
// presents it then says where it stands.
func (s *Service) AnswerConfirmation(ctx context.Context, userID, id string, approved bool) error {
	c, err := s.store.Confirmation(ctx, userID, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return Errorf(CodeInvalidArguments, "There is no confirmation %s for this user.", Quote(id))
	case err != nil:
		return internal(err, "load the confirmation")
	case c.TokenHash != "":
		return Errorf(CodeInvalidArguments, "The confirmation %s is answered by the person on its page, not by the client.", id)
	}
	err = s.store.DecideConfirmation(ctx, userID, id, approved, s.now())
	if err != nil && !errors.Is(err, ErrConfirmationSettled) {
		return internal(err, "record the answer")
	}
	s.log.Info("confirmation answered", zap.String("user", userID), zap.String("confirmation", id), zap.Bool("approved", approved), zap.String("by", "client"))
	return nil
}

// ConfirmationPage is what a confirmation link's page shows.
type ConfirmationPage struct {
	// Confirmation is the one the link answers; nil for a link that is not
	// valid.
	Confirmation *Confirmation
	// Account and Tool are the call's, when they still exist.
	Account *Account
	Tool    *tools.Tool
	// Arguments summarize the call's arguments for the person.
	Arguments []ArgumentLine
	// Problem, when set, is why the link cannot be answered, for the page.
	Problem string
}

// OpenConfirmation looks up a confirmation link by its token. It never
// fails for a bad token: the page needs a message, not an error.
func (s *Service) OpenConfirmation(ctx context.Context, token string) (*ConfirmationPage, error) {
	c, err := s.store.ConfirmationByToken(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return &ConfirmationPage{Problem: "This confirmation link is not valid; it may have been copied incompletely, or it is too old. Nothing was done."}, nil
	}
	if err != nil {
		return nil, internal(err, "load the confirmation")
	}
	pg := &ConfirmationPage{Confirmation: c, Tool: s.catalog.Tool(c.Tool)}
	if a, err := s.store.Account(ctx, c.UserID, c.AccountID); err == nil {
		pg.Account = a
	} else if !errors.Is(err, ErrNotFound) {
		return nil, internal(err, "load the account")
	}
	if plain, err := s.keys.openBytes(confirmationAD(c.ID), c.Summary); err == nil {
		pg.Arguments = decodeSummary(plain)
	}
	switch {
	case c.Decided() && c.Approved:
		pg.Problem = "You already allowed this action. Each link works once; go back to where you started."
	case c.Decided():
		pg.Problem = "You already declined this action, so it was not done. Each link works once."
	case c.Expired(s.now()):
		pg.Problem = "This confirmation link has expired, so the action was not done. If you still want it, ask the agent to try again; it will get a new link."
	case pg.Account == nil || pg.Tool == nil:
		pg.Problem = "The account or the action this link was for no longer exists, so nothing will be done."
	}
	return pg, nil
}

// DecideByLink records the person's answer on a confirmation link's page.
// A link that cannot be answered (OpenConfirmation's Problem) changes
// nothing; the page shows why.
func (s *Service) DecideByLink(ctx context.Context, token string, approved bool) (*ConfirmationPage, error) {
	pg, err := s.OpenConfirmation(ctx, token)
	if err != nil || pg.Problem != "" {
		return pg, err
	}
	c := pg.Confirmation
	switch err := s.store.DecideConfirmation(ctx, c.UserID, c.ID, approved, s.now()); {
	case errors.Is(err, ErrConfirmationSettled):
		return s.OpenConfirmation(ctx, token)
	case err != nil:
		return nil, internal(err, "record the answer")
	}
	c.DecidedAt, c.Approved = s.now(), approved
	s.log.Info("confirmation answered", zap.String("user", c.UserID), zap.String("confirmation", c.ID), zap.Bool("approved", approved), zap.String("by", "link"))
	return pg, nil
}

// ConfirmCSRF returns the form token of a confirmation page, as CSRFToken
// does for connect pages, under a label of its own.
func (s *Service) ConfirmCSRF(token string) string { return s.formToken("confirm", token) }

// CheckConfirmCSRF reports whether got is the form token of the
// confirmation link token.
func (s *Service) CheckConfirmCSRF(token, got string) bool {
	return checkFormToken(s.ConfirmCSRF(token), got)
}
