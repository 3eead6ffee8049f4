package accounts

import (
	"context"
	"errors"
	"time"
)

// Errors a Store returns. The Service turns them into coded errors; other
// failures are wrapped storage errors and become INTERNAL.
var (
	// ErrNotFound: no such row, or the row belongs to another user. A Store
	// never says which, so that no caller can probe for foreign ids.
	ErrNotFound = errors.New("not found")
	// ErrAliasTaken: the alias is already used by another account of the
	// same user and toolkit.
	ErrAliasTaken = errors.New("alias already taken")
	// ErrLinkUsed: the connect link was already completed.
	ErrLinkUsed = errors.New("link already used")
	// ErrConfirmationSettled: the confirmation can no longer change that
	// way: already answered, already used, not approved, or expired.
	ErrConfirmationSettled = errors.New("confirmation settled")
	// ErrAccountChanged: the account is no longer as the caller read it
	// (its status changed, or it was connected again since), so a status
	// change decided on that read was not written.
	ErrAccountChanged = errors.New("account changed since it was read")
)

// Store persists accounts, sealed credentials, sessions and connect links.
// Implementations are safe for concurrent use, also by several processes
// sharing one database (two stdio servers on one data dir).
type Store interface {
	// CreateAccount inserts a, assigning a.Seq (insertion order, strictly
	// increasing). It returns ErrAliasTaken when a.Alias is non-empty and
	// used by another account of the same user and toolkit.
	CreateAccount(ctx context.Context, a *Account) error
	// UpdateAccount writes every mutable field of a (alias, label, upstream
	// id, auth config, scheme, status, reason, connected and last-used
	// times) except its policy, so that a stale copy of the account never
	// undoes a policy change. It
	// returns ErrNotFound when no account of a.UserID has a.ID, and
	// ErrAliasTaken as CreateAccount does.
	//
	// A copy read earlier undoes every other change made since, a status
	// change among them: the Service changes one thing of an account
	// through the narrow writes below (SetAccountAlias, SetAccountStatus,
	// SetAccountPolicy, TouchAccount), never through UpdateAccount.
	UpdateAccount(ctx context.Context, a *Account) error
	// SetAccountAlias renames the account id of userID to alias ("" removes
	// its alias) and writes nothing else, so that it cannot undo a
	// concurrent change of the account's status. It returns ErrNotFound
	// when userID has no account id, and ErrAliasTaken as CreateAccount
	// does.
	SetAccountAlias(ctx context.Context, userID, id, alias string) error
	// SetAccountStatus writes a.Status and a.StatusReason and nothing else,
	// provided the stored account is still as the caller read it: in status
	// from, and connected at a.ConnectedAt (not re-authorized since). The
	// check and the write are one atomic step, so that two status changes
	// decided on the same read never both land. It returns
	// ErrAccountChanged, writing nothing, when the account has moved on,
	// and ErrNotFound when a.UserID has no account a.ID.
	SetAccountStatus(ctx context.Context, a *Account, from Status) error
	// SetAccountPolicy replaces the policy of the account id of userID and
	// writes nothing else; ErrNotFound when userID has no account id.
	SetAccountPolicy(ctx context.Context, userID, id string, p Policy) error
	// TouchAccount records that the account acted at a.LastUsedAt without
	// touching anything else; ErrNotFound when the account is gone.
	TouchAccount(ctx context.Context, a *Account) error
	// Account returns the account id of userID, or ErrNotFound (also when it
	// belongs to another user).
	Account(ctx context.Context, userID, id string) (*Account, error)
	// Accounts returns userID's accounts of toolkit (every toolkit when
	// empty), ordered by Seq ascending.
	Accounts(ctx context.Context, userID, toolkit string) ([]*Account, error)
	// AccountByID returns the account id whoever its user is, or
	// ErrNotFound. It serves the operator's API, which may act for any
	// user; code acting for one user uses Account.
	AccountByID(ctx context.Context, id string) (*Account, error)
	// ListAccounts returns the accounts q matches, newest first (Seq
	// descending), at most q.Limit of them.
	ListAccounts(ctx context.Context, q AccountQuery) ([]*Account, error)
	// DeleteAccount removes the account, its credential and its links.
	DeleteAccount(ctx context.Context, userID, id string) error

	// Credential returns the sealed credential of the account, or
	// ErrNotFound when it has none.
	Credential(ctx context.Context, userID, accountID string) ([]byte, error)
	// SetCredential replaces the sealed credential of the account.
	SetCredential(ctx context.Context, userID, accountID string, sealed []byte) error

	// CreateLink inserts a connect link.
	CreateLink(ctx context.Context, l *Link) error
	// Link returns the link whose token hashes to tokenHash, or ErrNotFound.
	Link(ctx context.Context, tokenHash string) (*Link, error)
	// LatestLink returns the most recent link issued for accountID of
	// userID, or ErrNotFound.
	LatestLink(ctx context.Context, userID, accountID string) (*Link, error)
	// LinkForAccount returns the most recent link issued for accountID,
	// whoever's, or ErrNotFound. It serves the operator's API, which may ask
	// about a placeholder account that a completion merged into an account
	// the user already had (Completion.DiscardAccountID): the link leads on
	// to that account.
	LinkForAccount(ctx context.Context, accountID string) (*Link, error)
	// SetLinkState records the hash of an OAuth state parameter and the
	// sealed PKCE verifier on an unused link, replacing earlier ones. It
	// returns ErrNotFound for an unknown link and ErrLinkUsed for a used one.
	SetLinkState(ctx context.Context, tokenHash, stateHash string, sealedVerifier []byte) error
	// ConsumeLinkState returns the link holding stateHash with its sealed
	// verifier and clears both atomically, so a state works once; ErrNotFound
	// when no link holds it.
	ConsumeLinkState(ctx context.Context, stateHash string) (*Link, []byte, error)
	// Complete finishes an authorization atomically: see Completion. It
	// returns ErrLinkUsed when the link was already completed,
	// ErrAliasTaken when the account's alias collides, and ErrNotFound
	// when the link or the account is gone (or is another user's).
	Complete(ctx context.Context, c *Completion) error

	// CreateSession inserts s with its selections; ErrNotFound when a
	// selection is not one of the user's accounts of that toolkit.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session id, or ErrNotFound.
	Session(ctx context.Context, id string) (*Session, error)
	// UpdateSession writes the session's settings (toolkits, auth configs,
	// strict mode, expiry, UpdatedAt) and applies changes, toolkit →
	// account id ("" clears that toolkit's selection), in one transaction.
	// ErrNotFound for an unknown session, or when a change names an account
	// that is not one of the session user's accounts of that toolkit; then
	// nothing is written. Selections of toolkits not in changes are kept.
	UpdateSession(ctx context.Context, s *Session, changes map[string]string) error
	// DeleteSession removes the session and its selections; ErrNotFound
	// when there is none.
	DeleteSession(ctx context.Context, id string) error
	// SelectAccount records the session's choice of accountID for toolkit;
	// an empty accountID clears it. It returns ErrNotFound for an unknown
	// session, and for an account that is not one of the session user's
	// accounts of that toolkit.
	SelectAccount(ctx context.Context, sessionID, toolkit, accountID string) error

	// CountSessions returns how many sessions of userID are stored.
	CountSessions(ctx context.Context, userID string) (int, error)
	// TouchSession moves the session's UpdatedAt forward to at, never
	// back, so that a session in use is not swept as idle; ErrNotFound
	// when there is no such session.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// AppendAudit records toolkit calls in one transaction, in the order
	// given, assigning each entry's Seq (strictly increasing, the cursor
	// of Audit).
	AppendAudit(ctx context.Context, entries []*AuditEntry) error
	// Audit returns the entries q selects, newest first (Seq descending),
	// at most q.Limit of them.
	Audit(ctx context.Context, q AuditQuery) ([]*AuditEntry, error)

	// CreateConfirmation inserts c.
	CreateConfirmation(ctx context.Context, c *Confirmation) error
	// Confirmation returns the confirmation id of userID, or ErrNotFound
	// (also when it is another user's).
	Confirmation(ctx context.Context, userID, id string) (*Confirmation, error)
	// ConfirmationByToken returns the confirmation whose link token
	// hashes to tokenHash, or ErrNotFound. It is not scoped to a user:
	// knowing the token is what entitles the bearer to answer it.
	ConfirmationByToken(ctx context.Context, tokenHash string) (*Confirmation, error)
	// DecideConfirmation records the person's answer to the confirmation
	// id of userID at the moment at, atomically and once:
	// ErrConfirmationSettled when it was answered already or expired
	// before at, ErrNotFound when userID has no confirmation id.
	DecideConfirmation(ctx context.Context, userID, id string, approved bool, at time.Time) error
	// UseConfirmation marks the confirmation id of userID used at the
	// moment at, atomically and once, provided it was approved and has not
	// expired; ErrConfirmationSettled otherwise, ErrNotFound when userID
	// has no confirmation id.
	UseConfirmation(ctx context.Context, userID, id string, at time.Time) error

	// Sweep deletes what p says has outlived its use as of now (see
	// Retention) and reports how much it deleted. Deletes are idempotent,
	// so processes sharing the store may sweep at once; a store may let
	// one of them sweep and the others return zero counts.
	Sweep(ctx context.Context, now time.Time, p Retention) (Swept, error)

	// Close releases the store's resources.
	Close() error
}

// AccountQuery selects accounts across users, for the operator's API.
type AccountQuery struct {
	// UserIDs keeps the accounts of these users; empty keeps every user's.
	UserIDs []string
	// Toolkits keeps the accounts of these toolkits; empty keeps all.
	Toolkits []string
	// Statuses keeps the accounts in these statuses; empty keeps all.
	Statuses []Status
	// Before keeps the accounts with a Seq below it (the page cursor);
	// zero starts from the newest.
	Before int64
	// Limit is the most accounts returned; it must be positive.
	Limit int
}

// Completion is the outcome of a successful authorization, written in one
// transaction by Store.Complete.
type Completion struct {
	// LinkHash is the token hash of the link being completed; it is marked
	// used at Account.ConnectedAt, and its ResultAccountID set to
	// Account.ID. Completion fails with ErrLinkUsed if it is already used,
	// and ErrNotFound if the link or the account is missing.
	LinkHash string
	// Account is written as UpdateAccount does, except for what the caller
	// read before the person authorized and may have changed since. Its
	// status and reason are decided in the transaction, on the stored ones:
	// an account the operator disabled (INACTIVE) stays INACTIVE with its
	// reason, whatever Account says, so that a disable racing the
	// completion holds; any other becomes ACTIVE. Its LastUsedAt is left
	// as stored. Complete sets Account.Status, StatusReason and LastUsedAt
	// to what the store holds after it.
	Account *Account
	// Sealed is the new sealed credential of Account.
	Sealed []byte
	// DiscardAccountID, when set, is the INITIATED placeholder account the
	// link was issued for, deleted (with its credential, but not its links,
	// which keep pointing at the result) because the authorization resolved
	// to an existing account (rule 1's exception).
	DiscardAccountID string
	// SessionID, when set, is the session whose selection for the toolkit
	// becomes Account.ID (rule 4). A session that no longer exists (ended,
	// deleted or swept since the link was issued) is skipped, and the
	// rest of the completion is written all the same: the person did
	// authorize, and the account, now the user's most recently connected,
	// is what rule 3 chooses by default. Failing instead would leave the
	// link unusable for good, the account INITIATED, and each retry of an
	// OAuth link spending another code exchange.
	SessionID string
}
