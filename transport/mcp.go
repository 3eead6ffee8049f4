package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"switchboard/accounts"
	"switchboard/server"
)

// guardMCP resolves who a request to an MCP endpoint acts for, and refuses
// it before any MCP handling when it cannot be served: wrong Origin (403),
// oversized body (413), missing or wrong key (401), malformed headers (400),
// an X-Connected-Accounts entry naming an account the user does not have
// (403, the same whether it is unknown or another user's), or a session id
// that is unknown, ended, or bound to another key, user or token (404, also
// the same).
//
// Which stored session the request belongs to:
//   - /sessions/{id}/mcp: that session. Its user is the session's: the
//     request may carry the session's token (st_…, the application API's
//     mcp.headers) or the operator key that made it (the Composio SDK sends
//     its key); an X-User-Id header, when present, must name that user.
//   - a legacy initialize on /mcp: a new session, whose id becomes the MCP
//     session id (see sessionIDs).
//   - other legacy requests on /mcp: the session named by Mcp-Session-Id.
//   - stateless 2026-07-28 requests on /mcp: one standing session per key
//     and user, so that select_account persists between requests that carry
//     no session id; /sessions/{id}/mcp gives such clients separate sessions.
//
// A session token is refused on /mcp: it opens one session, by its URL.
func (h *HTTP) guardMCP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodDelete:
		default:
			// The transport has these three; mcp-go would answer another
			// as a request of an unknown session, or in plain text.
			w.Header().Set("Allow", "GET, POST, DELETE")
			writeJSONError(w, http.StatusMethodNotAllowed, nil, r.Method+" is not part of MCP's streamable HTTP transport: POST a message, GET a stream, DELETE a session")
			return
		}
		if !h.originAllowed(r.Header.Get("Origin")) {
			writeJSONError(w, http.StatusForbidden, nil, "Origin "+quote(r.Header.Get("Origin"))+" is not allowed")
			return
		}
		var body []byte
		if r.Method == http.MethodPost {
			var err error
			body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSONError(w, http.StatusRequestEntityTooLarge, nil, fmt.Sprintf("request body exceeds %d bytes", h.cfg.MaxBodyBytes))
				return
			}
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, nil, "could not read the request body")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
			writeJSONError(w, http.StatusBadRequest, nil, "JSON-RPC batches are not supported (MCP dropped them in 2025-06-18): send one request per HTTP request")
			return
		}
		msg := peek(body)

		p, err := h.authenticate(r)
		if err == nil && !p.operator() && r.PathValue("id") == "" {
			err = errTokenElsewhere
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
			writeJSONError(w, http.StatusUnauthorized, msg.id, err.Error())
			return
		}
		// One generation check serves the request's reads where each
		// check is a round trip (PostgreSQL; see accounts.RequestContext).
		if ctx := h.svc.RequestContext(r.Context()); ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		sc, status, err := h.scope(r, msg, p)
		if err != nil {
			if status >= 500 {
				h.log.Error("resolving the MCP session", zap.Error(err))
				writeJSONError(w, status, msg.id, "internal error")
				return
			}
			writeJSONError(w, status, msg.id, err.Error())
			return
		}
		ctx := server.NewContext(r.Context(), sc)
		if r.Method == http.MethodPost {
			ctx = newPostContext(ctx, w.Header(), body, msg)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// validID reports whether an id from a path, query or header can name
// anything stored: "" or valid UTF-8 without control, zero-width or
// bidirectional formatting characters (accounts.CheckIdentifier). Others
// name nothing, and are answered as unknown before any store sees them
// (PostgreSQL refuses invalid UTF-8 and NUL in a query with an error).
func validID(s string) bool {
	return accounts.CheckIdentifier("id", s) == nil
}

// errSessionNotFound is the one answer for a session id that cannot be
// served, whatever the reason.
var errSessionNotFound = errors.New("session not found: it does not exist, has ended, or belongs to another key or user; start a new session")

// scope builds the request's accounts.Scope, or says which status refuses it.
func (h *HTTP) scope(r *http.Request, msg message, p principal) (*accounts.Scope, int, error) {
	ctx := r.Context()
	sc := &accounts.Scope{}
	// Not trimmed: net/http has taken the spaces and tabs around a header
	// value off already, and any other space at either end (U+00A0,
	// U+3000, U+0085, …) would make another id the same user's; checkUserID
	// refuses it.
	userID, err := singleHeader(r, "X-User-Id")
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	for _, name := range []string{"X-Tool-Mode", "X-Require-Explicit-Selection"} {
		if _, err := singleHeader(r, name); err != nil {
			return nil, http.StatusBadRequest, err
		}
	}
	id := r.PathValue("id")
	if !validID(id) || !validID(r.Header.Get(mcpserver.HeaderKeySessionID)) {
		return nil, http.StatusNotFound, errSessionNotFound
	}
	if id != "" {
		// mcp-go serves the session named by Mcp-Session-Id, so on this
		// route that header must be absent or name a connection of the
		// path's session.
		// Every connection there has an id of its own (Generate), never
		// the stored session's bare id.
		if sid := r.Header.Get(mcpserver.HeaderKeySessionID); sid != "" && (storedSessionID(sid) != id || sid == id) {
			return nil, http.StatusNotFound, errSessionNotFound
		}
		sess, err := h.sessionFor(ctx, p, id)
		switch {
		case errors.Is(err, accounts.ErrNotFound), errors.Is(err, accounts.ErrSessionExpired):
			return nil, http.StatusNotFound, errSessionNotFound
		case err != nil:
			return nil, http.StatusInternalServerError, err
		case userID != "" && userID != sess.UserID:
			return nil, http.StatusNotFound, errSessionNotFound
		}
		sc.Session, userID = sess, sess.UserID
	}
	if userID == "" && p.keyID == "" {
		userID = "default"
	}
	if err := checkUserID("X-User-Id", userID); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if sc.Toolkits, err = parseToolkits(r.Header.Values("X-Toolkits"), func(t string) bool { return h.svc.Catalog().Toolkit(t) != nil }); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if sc.RequireExplicit, err = parseBool(r.Header.Get("X-Require-Explicit-Selection")); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if sc.ToolMode = strings.ToLower(strings.TrimSpace(r.Header.Get("X-Tool-Mode"))); accounts.CheckToolMode(sc.ToolMode, true) != nil {
		return nil, http.StatusBadRequest, errors.New("X-Tool-Mode must be all, search or auto")
	}
	overrides, err := h.svc.ParseOverrides(ctx, userID, strings.Join(r.Header.Values("X-Connected-Accounts"), ","))
	sc.Header, sc.Pending = overrides.Accounts, overrides.Pending
	var he *accounts.HeaderError
	switch {
	case errors.As(err, &he) && he.Malformed:
		return nil, http.StatusBadRequest, err
	case errors.As(err, &he):
		return nil, http.StatusForbidden, err
	case err != nil:
		return nil, http.StatusInternalServerError, err
	}
	if sc.Session != nil {
		sc.Loaded = true
		return sc, 0, nil
	}

	keyID := p.keyID
	modern := mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) || mcp.IsModernProtocol(msg.metaVersion)
	switch {
	case modern:
		sc.Session, err = h.standingSession(ctx, keyID, userID)
	case msg.method == string(mcp.MethodInitialize):
		sc.Session, err = h.svc.CreateSession(ctx, accounts.SessionOptions{UserID: userID, KeyID: keyID})
		if e := accounts.ErrorOf(err); e != nil && e.Code == accounts.CodeSessionLimit {
			return nil, http.StatusTooManyRequests, errors.New(e.Message)
		}
		if err == nil && h.cfg.Metrics != nil {
			h.cfg.Metrics.Session("mcp")
		}
	default:
		sid := r.Header.Get(mcpserver.HeaderKeySessionID)
		if sid == "" {
			return nil, http.StatusBadRequest, errors.New("Mcp-Session-Id header is required after initialize")
		}
		sc.Session, err = h.svc.Session(ctx, storedSessionID(sid), userID, keyID)
		if errors.Is(err, accounts.ErrNotFound) {
			return nil, http.StatusNotFound, errSessionNotFound
		}
	}
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	sc.Loaded = true
	return sc, 0, nil
}

// standingSession returns the one session of a key and user that stateless
// requests share, creating it on first use. Its id is derived from the key
// fingerprint and the user, so every replica finds the same one.
func (h *HTTP) standingSession(ctx context.Context, keyID, userID string) (*accounts.Session, error) {
	sum := sha256.Sum256([]byte("standing\x00" + keyID + "\x00" + userID))
	id := "ses_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
	sess, err := h.svc.Session(ctx, id, userID, keyID)
	if !errors.Is(err, accounts.ErrNotFound) {
		return sess, err
	}
	sess, err = h.svc.CreateStandingSession(ctx, id, userID, keyID)
	if err == nil && h.cfg.Metrics != nil {
		h.cfg.Metrics.Session("standing")
	}
	if err != nil {
		// Another request may have created it first.
		if again, err2 := h.svc.Session(ctx, id, userID, keyID); err2 == nil {
			return again, nil
		}
	}
	return sess, err
}

// message is what guardMCP needs to know of a JSON-RPC body.
type message struct {
	id          any
	method      string
	metaVersion string
}

// peek reads what guardMCP needs of a JSON-RPC body: id, method and
// params._meta's protocol version, or nothing when the body is not such an
// object. mcp-go decodes the body in full afterwards, so peek only walks
// it, and reads it exactly as decoding it into
//
//	struct {
//		ID     any    `json:"id"`
//		Method string `json:"method"`
//		Params struct {
//			Meta *mcp.Meta `json:"_meta"`
//		} `json:"params"`
//	}
//
// would (encoding/json's rules: keys matched as bytes.EqualFold matches
// them, the last of duplicates winning, null leaving a string or a struct
// as it is; and any error, a wrong type or a number no float64 holds,
// yielding nothing), which a fuzz test checks.
func peek(body []byte) message {
	if len(body) == 0 || !json.Valid(body) {
		return message{}
	}
	var msg message
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return message{} // null decodes to nothing; anything else fails
	}
	err := members(body[i:], func(key, value []byte) error {
		var err error
		switch {
		case keyIs(key, "id"):
			msg.id, err = anyValue(value)
		case keyIs(key, "method"):
			if value[0] == '"' {
				msg.method = unquote(value)
			} else if value[0] != 'n' {
				err = errNotPeekable
			}
		case keyIs(key, "params"):
			if value[0] == '{' {
				err = members(value, func(key, value []byte) error {
					if !keyIs(key, "_meta") {
						return nil
					}
					var err error
					switch value[0] {
					case 'n':
						msg.metaVersion = ""
					case '{':
						msg.metaVersion, err = metaProtocolVersion(value)
					default:
						err = errNotPeekable
					}
					return err
				})
			} else if value[0] != 'n' {
				err = errNotPeekable
			}
		}
		return err
	})
	if err != nil {
		return message{}
	}
	return msg
}

// errNotPeekable is a body that decoding would refuse.
var errNotPeekable = errors.New("not a JSON-RPC message")

// metaProtocolVersion is the protocol version that a request's _meta
// object declares (mcp.Meta's ProtocolVersion): the member named exactly
// mcp.MetaKeyProtocolVersion (the last one, as in a map) when its value is
// a string, else "".
func metaProtocolVersion(obj []byte) (string, error) {
	version := ""
	err := members(obj, func(key, value []byte) error {
		// mcp.Meta decodes every value, and fails on a number no float64
		// holds.
		if err := checkNumbers(value); err != nil {
			return err
		}
		if keyEquals(key, mcp.MetaKeyProtocolVersion) {
			version = ""
			if value[0] == '"' {
				version = unquote(value)
			}
		}
		return nil
	})
	return version, err
}

// anyValue is value decoded as encoding/json decodes it into an any.
func anyValue(value []byte) (any, error) {
	switch c := value[0]; {
	case c == '"':
		return unquote(value), nil
	case c == '-' || '0' <= c && c <= '9':
		f, err := strconv.ParseFloat(string(value), 64)
		if err != nil {
			return nil, err
		}
		return f, nil
	default:
		var v any
		err := json.Unmarshal(value, &v)
		return v, err
	}
}

// keyEquals reports whether an object key (a JSON string, quotes
// included) is name, as a map key would be.
func keyEquals(key []byte, name string) bool {
	if inner := key[1 : len(key)-1]; bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name // invalid UTF-8 would not equal it either
	}
	return unquote(key) == name
}

// keyIs reports whether an object key (a JSON string, quotes included)
// names the struct field name, as encoding/json matches them.
func keyIs(key []byte, name string) bool {
	inner := key[1 : len(key)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return bytes.EqualFold(inner, []byte(name))
	}
	return strings.EqualFold(unquote(key), name)
}

// The helpers below walk JSON that is known to be valid.

// unquote is the text of a JSON string (quotes included in s).
func unquote(s []byte) string {
	inner := s[1 : len(s)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var out string
	_ = json.Unmarshal(s, &out)
	return out
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at data[i].
func skipString(data []byte, i int) int {
	for i++; data[i] != '"'; i++ {
		if data[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// members calls f with each member of the object at the start of data, in
// order, and stops at f's first error.
func members(data []byte, f func(key, value []byte) error) error {
	for i := 1; ; {
		i = skipSpace(data, i)
		if data[i] == '}' {
			return nil
		}
		keyEnd := skipString(data, i)
		key := data[i:keyEnd]
		i = skipSpace(data, skipSpace(data, keyEnd)+1) // past the colon
		end := skipValue(data, i)
		if err := f(key, data[i:end]); err != nil {
			return err
		}
		if i = skipSpace(data, end); data[i] == ',' {
			i++
		}
	}
}

// skipValue returns the index after the value that starts at data[i].
func skipValue(data []byte, i int) int {
	depth := 0
	for {
		switch c := data[i]; {
		case c == '"':
			i = skipString(data, i)
		case c == '{' || c == '[':
			depth++
			i++
		case c == '}' || c == ']':
			depth--
			i++
		case c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z': // a number, true, false, null
			for i < len(data) && !isDelimiter(data[i]) {
				i++
			}
		default: // white space, ',' or ':' within an object or array
			i++
		}
		if depth == 0 {
			return i
		}
	}
}

func isDelimiter(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// checkNumbers fails on the first number of value that no float64 holds,
// which encoding/json refuses to decode into an any.
func checkNumbers(value []byte) error {
	for i := 0; i < len(value); {
		switch c := value[i]; {
		case c == '"':
			i = skipString(value, i)
		case c == '-' || '0' <= c && c <= '9':
			end := i
			for end < len(value) && !isDelimiter(value[end]) {
				end++
			}
			if _, err := strconv.ParseFloat(string(value[i:end]), 64); err != nil {
				return err
			}
			i = end
		default:
			i++
		}
	}
	return nil
}

// writeJSONError answers with a JSON-RPC error body, the shape MCP clients
// read even from a refused HTTP request.
func writeJSONError(w http.ResponseWriter, status int, id any, message string) {
	code := -32600
	if status >= 500 {
		code = -32603
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"jsonrpc": "2.0",
		"id":      id,
		"error":   map[string]any{"code": code, "message": message},
	})
}

// sessionIDs makes the stored session's id the MCP session id at
// initialize. The request's scope is resolved (and its session stored) by
// guardMCP before mcp-go runs, and the session id of later requests is
// checked there too, so Validate has nothing left to refuse. A client's
// DELETE ends the stored session, so its id answers 404 from then on.
type sessionIDs struct {
	svc  *accounts.Service
	live *legacySessions
}

func (m sessionIDs) ResolveSessionIdManager(r *http.Request) mcpserver.SessionIdManager {
	b := boundID{svc: m.svc, live: m.live}
	if r != nil {
		b.ctx, b.sc, b.path = r.Context(), server.ScopeFromContext(r.Context()), r.PathValue("id") != ""
		b.post, _ = r.Context().Value(postKey{}).(*post)
	}
	return b
}

type boundID struct {
	svc  *accounts.Service
	live *legacySessions
	ctx  context.Context
	sc   *accounts.Scope
	path bool  // the request came by /sessions/{id}/mcp
	post *post // the request is a POST, which legacySessions follows
}

// Generate names the MCP session of an initialize. On /mcp, where every
// initialize creates a stored session, it is that session's id. On
// /sessions/{id}/mcp several clients may connect to one stored session, and
// each gets its own MCP session id, "<stored id>.<suffix>": mcp-go keeps its
// streams and notifications per MCP session id, which two clients must not
// share.
//
// For a POST initialize, mcp-go gets "" (a session it need not keep, see
// legacySessions), and the id goes to the client in the response header
// and to legacySessions. A GET without a session id (a stream opened on
// /sessions/{id}/mcp before any initialize) gets its id from mcp-go.
func (b boundID) Generate() string {
	if b.sc == nil {
		return ""
	}
	id := b.sc.Session.ID
	if b.path {
		id += "." + strings.ToLower(rand.Text()[:10])
	}
	if b.post != nil {
		b.post.id = id
		b.post.header.Set(mcpserver.HeaderKeySessionID, id)
		return ""
	}
	return id
}

// storedSessionID is the stored session an MCP session id belongs to.
func storedSessionID(mcpID string) string {
	id, _, _ := strings.Cut(mcpID, ".")
	return id
}

func (boundID) Validate(string) (bool, error) { return false, nil }

// Terminate ends the session on a client's DELETE: its in-memory state,
// and the stored session it created at /mcp. A DELETE on /sessions/{id}/mcp
// ends only that connection: the stored session belongs to the application
// that made it, which ends it with DELETE /api/v1/sessions/{id} (an
// operator key; a session token may not), and its other clients keep it.
// mcp-go calls it without a request when it closes its sessions at
// shutdown: a session then stays stored, so a client can come back.
func (b boundID) Terminate(id string) (bool, error) {
	if b.sc == nil {
		return false, nil
	}
	b.live.forget(id)
	if b.path || b.sc.Session.ID != id {
		return false, nil
	}
	return false, b.svc.EndSession(b.ctx, b.sc.Session)
}
