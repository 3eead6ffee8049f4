package accounts

import "time"

// Link is a connect link: a short-lived, single-use URL where the user
// completes one authorization. Only the hash of its token is stored.
type Link struct {
	// TokenHash is the SHA-256 of the token in the URL, hex-encoded.
	TokenHash string
	// AccountID is the account the link authorizes: a new INITIATED one, or
	// an existing one being re-authorized.
	AccountID string
	// UserID owns the link.
	UserID string
	// SessionID is the session that asked for the link, if any; completing
	// it makes the account the session's selection (rule 4).
	SessionID string
	// Toolkit, AuthConfigID and Scheme describe what is being authorized.
	Toolkit      string
	AuthConfigID string
	Scheme       string
	// Alias is the alias requested by authorize, applied on completion.
	Alias string
	// CallbackURL, when set, is where the person's browser is sent once the
	// link completes or fails, with status and connected_account_id added
	// to its query. Only hosts the operator allowed are ever stored here.
	CallbackURL string
	// ExpiresAt bounds the link's life.
	ExpiresAt time.Time
	// UsedAt is set when the link completed; a used link never works again.
	UsedAt time.Time
	// ResultAccountID is the account the completion produced; it differs from
	// AccountID when the authorization resolved to an identity the user had
	// already connected (the account is refreshed in place).
	ResultAccountID string
	// CreatedAt is bookkeeping.
	CreatedAt time.Time
}

// Expired reports whether the link can no longer be used at now.
func (l *Link) Expired(now time.Time) bool { return !now.Before(l.ExpiresAt) }

// Used reports whether the link already completed.
func (l *Link) Used() bool { return !l.UsedAt.IsZero() }
