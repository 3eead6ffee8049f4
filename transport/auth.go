package transport

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"switchboard/accounts"
)

// principal is who a request speaks as: the operator (with one of the
// operator keys, or anyone in dev mode, where no key is configured) or the
// holder of one session's token.
type principal struct {
	// keyID is the fingerprint of the operator key; "" in dev mode and for
	// a session token.
	keyID string
	// token is the session token presented ("st_…"); "" for the operator.
	token string
}

// operator reports whether the request speaks as the operator.
func (p principal) operator() bool { return p.token == "" }

// errUnauthenticated is the refusal of a request without a valid credential.
var errUnauthenticated = errors.New("a valid API key is required (Authorization: Bearer <key> or X-Api-Key)")

// errTokenElsewhere refuses a session token where it does not work.
var errTokenElsewhere = errors.New("a session token (st_…) works only for its own session: at /sessions/{id}/mcp and the application API's /api/v1/sessions/{id} routes")

// authenticate reads the request's credential. A session token is only
// recognized here; whether it opens the session a route names is checked
// with that session (sessionFor). Without configured keys (dev mode,
// loopback only) every request that carries no session token is the
// operator's.
func (h *HTTP) authenticate(r *http.Request) (principal, error) {
	cred := presentedKey(r)
	if cred == "" && r.PathValue("id") != "" && strings.HasPrefix(r.URL.Path, "/sessions/") {
		// A session's MCP URL may carry its token in the query, for MCP
		// clients that take a URL but cannot send headers. The URL then is
		// the credential: it opens one session, ends with it, and only a
		// session token is accepted this way, never an operator key.
		if t := r.URL.Query().Get("session_token"); strings.HasPrefix(t, accounts.SessionTokenPrefix) {
			cred = t
		}
	}
	if strings.HasPrefix(cred, accounts.SessionTokenPrefix) {
		return principal{token: cred}, nil
	}
	if h.cfg.Keys.Empty() {
		return principal{}, nil
	}
	keyID, ok := h.cfg.Keys.Check(cred)
	if !ok {
		return principal{}, errUnauthenticated
	}
	return principal{keyID: keyID}, nil
}

// sessionFor returns the stored session id if p may use it: a session
// token only its own session, the operator only sessions made with the
// same key. Anything else is accounts.ErrNotFound, the same answer as for
// a session that does not exist; an ended session is
// accounts.ErrSessionExpired for the operator and not found for a token.
func (h *HTTP) sessionFor(ctx context.Context, p principal, id string) (*accounts.Session, error) {
	if p.operator() {
		return h.svc.OperatorSession(ctx, id, p.keyID)
	}
	return h.svc.TokenSession(ctx, id, p.token)
}
