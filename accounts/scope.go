package accounts

import (
	"crypto/rand"
	"slices"
	"strings"
)

// Scope is a session as one request sees it: the stored session plus the
// request's own header overrides, which sit above the session in rule 5's
// precedence and are never stored.
type Scope struct {
	// Session is the stored session; never nil.
	Session *Session
	// Header maps a toolkit to the account id that X-Connected-Accounts
	// fixed for this request, already checked to belong to the user.
	Header map[string]string
	// Pending maps a toolkit to an alias X-Connected-Accounts named that the
	// user has no account with yet (see Overrides.Pending): that toolkit's
	// calls answer ACCOUNT_NOT_FOUND until it is connected.
	Pending map[string]string
	// Toolkits further restricts the session's toolkits (X-Toolkits); nil
	// means no restriction from the request.
	Toolkits []string
	// ToolMode is the request's own tool mode (X-Tool-Mode: all, search or
	// auto), above the session's; "" leaves it to the session.
	ToolMode string
	// RequireExplicit turns on strict mode for this request
	// (X-Require-Explicit-Selection), on top of the session's own setting.
	RequireExplicit bool
	// Loaded reports that Session was read from the store for this very
	// request (the HTTP transport does), so it need not be read again. A
	// transport that keeps one Scope for many requests (stdio) leaves it
	// false, and each tool call re-reads the session.
	Loaded bool
}

// UserID is the user the scope acts for.
func (s *Scope) UserID() string { return s.Session.UserID }

// Allows reports whether the scope may use toolkit: the session allows it and
// the request does not restrict it away.
func (s *Scope) Allows(toolkit string) bool {
	if !s.Session.Allows(toolkit) {
		return false
	}
	return s.Toolkits == nil || slices.Contains(s.Toolkits, toolkit)
}

// Names reports whether the session or the request names toolkit, which
// lists its tools before any account is connected.
func (s *Scope) Names(toolkit string) bool {
	return s.Allows(toolkit) && (s.Toolkits != nil || s.Session.Toolkits != nil)
}

// Strict reports whether rule 6's strict mode is on.
func (s *Scope) Strict() bool { return s.RequireExplicit || s.Session.RequireExplicitSelection }

// SelectedBy says which layer of rule 5 chose the active account.
type SelectedBy string

// The layers of rule 5, highest first.
const (
	SelectedByHeader  SelectedBy = "header"
	SelectedBySession SelectedBy = "session"
	SelectedByDefault SelectedBy = "default"
)

// NewID returns a fresh public id with prefix ("ca_", "ses_"): 26 random
// base32 characters, lower-cased.
func NewID(prefix string) string { return prefix + strings.ToLower(rand.Text()) }
