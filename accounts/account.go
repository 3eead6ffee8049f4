// Package accounts owns the domain of Switchboard: users' connected
// accounts, sessions, the rules that choose which account acts in a session,
// connect links, sealed credentials, and the error codes every edge
// translates.
//
// The package holds no transport and no storage code. A Store persists what
// the Service decides; accounts/sqlite is the embedded Store and
// accounts/storetest the behaviour suite every Store must pass.
package accounts

import (
	"time"
)

// Status is the lifecycle state of a connected account.
type Status string

// The statuses of DESIGN.md. INITIATED → ACTIVE | FAILED; ACTIVE → EXPIRED;
// ACTIVE ↔ INACTIVE. Every status but ACTIVE carries a StatusReason.
const (
	StatusInitiated Status = "INITIATED"
	StatusActive    Status = "ACTIVE"
	StatusFailed    Status = "FAILED"
	StatusExpired   Status = "EXPIRED"
	StatusInactive  Status = "INACTIVE"
)

// Account is one authorization of one user to one toolkit. Its credential is
// kept apart, sealed, and is never part of this struct.
type Account struct {
	// ID is the public identifier, "ca_" followed by random characters.
	ID string
	// UserID is the operator-chosen id of the end user who owns the account.
	UserID string
	// Toolkit is the slug of the service, e.g. "github".
	Toolkit string
	// AuthConfigID names the auth config the account was authorized with.
	AuthConfigID string
	// Scheme is the auth scheme used: "oauth2", "api_key" or "bearer_token".
	Scheme string
	// Alias is an optional name chosen by the user ("work"), unique per user
	// and toolkit; empty when none was given.
	Alias string
	// Label is the upstream identity shown to people: a GitHub login, an
	// email address. Set by the identity check when the account turns ACTIVE.
	Label string
	// UpstreamID is the stable identity at the provider (GitHub's numeric
	// user id, Google's subject). Reconnecting the same identity refreshes the
	// existing account instead of creating another (rule 1's exception).
	UpstreamID string
	// Status is the account's lifecycle state.
	Status Status
	// StatusReason says why the account is not ACTIVE; empty when ACTIVE.
	StatusReason string
	// CreatedAt is when the account row was created (the connect link was
	// issued).
	CreatedAt time.Time
	// ConnectedAt is the latest moment an authorization of this account
	// completed; zero while it never did. Rule 3 orders by it.
	ConnectedAt time.Time
	// LastUsedAt is the last time a tool acted with the account; zero if never.
	LastUsedAt time.Time
	// Seq is the store's insertion order, the tie-breaker of rule 3.
	Seq int64
	// Policy is what agents may do with the account; the zero Policy
	// restricts nothing. Only Store.SetAccountPolicy changes it.
	Policy Policy
}

// Active reports whether the account may act.
func (a *Account) Active() bool { return a.Status == StatusActive }

// Matches reports whether ref addresses the account by id, alias or label
// (rule 7). Alias and label compare without regard to the case of ASCII
// letters only (sameName); ids exactly.
func (a *Account) Matches(ref string) bool {
	if ref == "" {
		return false
	}
	if a.ID == ref {
		return true
	}
	if a.Alias != "" && sameName(a.Alias, ref) {
		return true
	}
	return a.Label != "" && sameName(a.Label, ref)
}

// MoreRecent reports whether a was connected more recently than b: a later
// ConnectedAt, or on a tie the later insertion.
func MoreRecent(a, b *Account) bool {
	if !a.ConnectedAt.Equal(b.ConnectedAt) {
		return a.ConnectedAt.After(b.ConnectedAt)
	}
	return a.Seq > b.Seq
}
