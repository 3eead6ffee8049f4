package accounts

import "time"

// Session is one agent's working context for one user: which toolkits it
// may use and which account it selected per toolkit. Sessions are stored, so
// a selection survives a restart and any replica can serve the next request.
type Session struct {
	// ID is "ses_" followed by random characters. For legacy streamable HTTP
	// clients it doubles as the MCP session id.
	ID string
	// UserID is the user the session acts for; fixed at creation.
	UserID string
	// KeyID identifies the operator key the session was created with (a
	// fingerprint, never the key); empty in dev mode and over stdio. A
	// session is only served to requests carrying the same key and user.
	KeyID string
	// Toolkits restricts (and names) the toolkits the session may use; nil
	// means every configured toolkit.
	Toolkits []string
	// Selected maps a toolkit to the account id the session chose, by its
	// config or by select_account (rule 5's middle layer).
	Selected map[string]string
	// AuthConfigs maps a toolkit to the auth config new authorizations use.
	AuthConfigs map[string]string
	// RequireExplicitSelection turns on rule 6's strict mode.
	RequireExplicitSelection bool
	// CreatedAt and UpdatedAt are bookkeeping.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Allows reports whether the session may use toolkit.
func (s *Session) Allows(toolkit string) bool {
	if s.Toolkits == nil {
		return true
	}
	for _, t := range s.Toolkits {
		if t == toolkit {
			return true
		}
	}
	return false
}

// Names reports whether the session names toolkit explicitly, which lists
// its tools even before an account is connected.
func (s *Session) Names(toolkit string) bool {
	return s.Toolkits != nil && s.Allows(toolkit)
}
