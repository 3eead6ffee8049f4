package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"go.uber.org/zap"

	"switchboard/accounts"
	"switchboard/server"
)

// The application API (/api/v1) lets an application's backend drive the
// seed's story over HTTP with an operator key: create a session for a user,
// hand its MCP URL and session token to the user's MCP client, read the
// session's toolkits and tools, execute tools, issue connect links, and
// manage connected accounts. Transport owns the routes and the JSON;
// accounts owns every decision.

// Error codes of the API's own refusals, beside the accounts codes that
// tool results carry (ACCOUNT_NOT_FOUND, INVALID_ARGUMENTS, …).
const (
	codeUnauthorized     = "UNAUTHORIZED"
	codeForbidden        = "FORBIDDEN"
	codeNotFound         = "NOT_FOUND"
	codeSessionExpired   = "SESSION_EXPIRED"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codePayloadTooLarge  = "PAYLOAD_TOO_LARGE"
)

// apiError is a refusal made by the API layer itself: status, code and a
// message for the developer reading it.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func apiErrorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// badRequest is a malformed request: unreadable JSON, an unknown field, a
// value of the wrong type.
func badRequest(format string, args ...any) *apiError {
	return apiErrorf(http.StatusBadRequest, string(accounts.CodeInvalidArguments), format, args...)
}

// statusOf is the HTTP status of an accounts error code: the one place
// the vocabulary becomes statuses.
func statusOf(code accounts.Code) int {
	switch code {
	case accounts.CodeAccountNotFound:
		return http.StatusNotFound
	case accounts.CodeAccountRequired, accounts.CodeAccountAmbiguous, accounts.CodeAccountInactive,
		accounts.CodeAccountFixedByHeader, accounts.CodeToolkitNotConfigured:
		return http.StatusConflict
	case accounts.CodeToolkitNotEnabled, accounts.CodeAccountPolicyDenied, accounts.CodeConfirmationDeclined:
		return http.StatusForbidden
	case accounts.CodeConfirmationRequired:
		return http.StatusPreconditionRequired
	case accounts.CodeToolkitUnknown, accounts.CodeInvalidArguments:
		return http.StatusUnprocessableEntity
	case accounts.CodeUpstreamError:
		return http.StatusBadGateway
	case accounts.CodeUpstreamRateLimited, accounts.CodeSessionLimit:
		return http.StatusTooManyRequests
	case accounts.CodeUpstreamUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// apiCall is one request to a route of the API, authenticated.
type apiCall struct {
	r *http.Request
	w http.ResponseWriter
	p principal
	// session is the stored session a /sessions/{id} route acts on, loaded
	// and checked against the principal before the handler runs.
	session *accounts.Session
	// maxBody bounds the request body.
	maxBody int64
}

func (c *apiCall) ctx() context.Context { return c.r.Context() }

// scope is the session as its tools see it: the stored session, with no
// request overrides (the API changes a session with PATCH instead).
func (c *apiCall) scope() *accounts.Scope {
	return &accounts.Scope{Session: c.session, Loaded: true}
}

// apiHandler answers one route: a status and a JSON body, or an error
// (*apiError, or anything accounts.ErrorOf understands).
type apiHandler func(c *apiCall) (int, any, error)

// apiRoute is one method and pattern of the API.
type apiRoute struct {
	method, pattern string
	// access says who may call it.
	access access
	handle apiHandler
}

// access is who may call a route.
type access int

const (
	// operatorOnly routes need the operator key (or dev mode).
	operatorOnly access = iota
	// sessionRoute routes act on the session {id}: the operator key that
	// made it, or that session's own token.
	sessionRoute
	// sessionOperator routes act on the session {id} and need the operator
	// key that made it: changing or ending a session is the application's
	// decision, not its end user's.
	sessionOperator
	// public routes need no credential (the API description).
	public
)

// routes returns every route of the API. The OpenAPI document describes
// exactly these; a test keeps the two the same.
func (h *HTTP) routes() []apiRoute {
	return []apiRoute{
		{http.MethodGet, "/api/v1/openapi.json", public, h.openAPI},
		{http.MethodPost, "/api/v1/sessions", operatorOnly, h.createSession},
		{http.MethodGet, "/api/v1/sessions/{id}", sessionRoute, h.getSession},
		{http.MethodPatch, "/api/v1/sessions/{id}", sessionOperator, h.patchSession},
		{http.MethodDelete, "/api/v1/sessions/{id}", sessionOperator, h.deleteSession},
		{http.MethodGet, "/api/v1/sessions/{id}/toolkits", sessionRoute, h.sessionToolkits},
		{http.MethodGet, "/api/v1/sessions/{id}/tools", sessionRoute, h.sessionTools},
		{http.MethodPost, "/api/v1/sessions/{id}/execute", sessionRoute, h.sessionExecute},
		{http.MethodPost, "/api/v1/sessions/{id}/link", sessionRoute, h.sessionLink},
		{http.MethodGet, "/api/v1/connected_accounts", operatorOnly, h.listAccounts},
		{http.MethodGet, "/api/v1/connected_accounts/{id}", operatorOnly, h.getAccount},
		{http.MethodPatch, "/api/v1/connected_accounts/{id}", operatorOnly, h.patchAccount},
		{http.MethodDelete, "/api/v1/connected_accounts/{id}", operatorOnly, h.deleteAccount},
		{http.MethodPost, "/api/v1/connected_accounts/{id}/disable", operatorOnly, h.disableAccount(true)},
		{http.MethodPost, "/api/v1/connected_accounts/{id}/enable", operatorOnly, h.disableAccount(false)},
		{http.MethodPost, "/api/v1/connected_accounts/{id}/refresh", operatorOnly, h.refreshAccount},
		{http.MethodGet, "/api/v1/audit", operatorOnly, h.listAudit},
	}
}

// v1Params are the query parameters each route of /api/v1 takes; a route
// not named takes none, and any other parameter is refused (400), as an
// unknown JSON field is.
var v1Params = map[string][]string{
	"/api/v1/connected_accounts":              listQuery,
	"/api/v1/connected_accounts/{id}":         {"user_id"},
	"/api/v1/connected_accounts/{id}/disable": {"user_id"},
	"/api/v1/connected_accounts/{id}/enable":  {"user_id"},
	"/api/v1/connected_accounts/{id}/refresh": {"user_id"},
	"/api/v1/audit":                           auditQuery,
}

// freeText are the query parameters that carry words rather than ids (the
// Composio adapter's toolkit search).
var freeText = map[string]bool{"search": true}

// mountAPI registers routes on mux, one handler per pattern so that a
// wrong method answers 405 in the API's JSON with an Allow header, and
// answers every other /api/ path with a JSON 404. Every route refuses a
// query string that does not parse (net/url would drop the pairs it cannot
// read, and a filter with them: ?user_id=bob; would list every user's
// accounts); with params, a route also refuses a parameter params does not
// name for its pattern. The Composio adapter's routes pass nil: they take
// what the Composio SDK sends and ignore the rest, as Composio does.
func (h *HTTP) mountAPI(mux *http.ServeMux, routes []apiRoute, params map[string][]string, write func(http.ResponseWriter, error)) {
	byPattern := map[string][]apiRoute{}
	var order []string
	for _, rt := range routes {
		if byPattern[rt.pattern] == nil {
			order = append(order, rt.pattern)
		}
		byPattern[rt.pattern] = append(byPattern[rt.pattern], rt)
	}
	for _, pattern := range order {
		allowed, strict := params[pattern]
		if params != nil && !strict {
			allowed, strict = []string{}, true
		}
		mux.Handle(pattern, h.apiPattern(byPattern[pattern], allowed, strict, write))
	}
}

// apiPattern serves the routes of one pattern; strict, it refuses query
// parameters that params does not name.
func (h *HTTP) apiPattern(routes []apiRoute, params []string, strict bool, write func(http.ResponseWriter, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var rt *apiRoute
		var allow []string
		for i := range routes {
			allow = append(allow, routes[i].method)
			if routes[i].method == r.Method {
				rt = &routes[i]
			}
		}
		if rt == nil {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			write(w, apiErrorf(http.StatusMethodNotAllowed, codeMethodNotAllowed, "%s is not served on this path; it serves %s.", r.Method, strings.Join(allow, ", ")))
			return
		}
		if !h.originAllowed(r.Header.Get("Origin")) {
			write(w, apiErrorf(http.StatusForbidden, codeForbidden, "Origin %s is not allowed.", quote(r.Header.Get("Origin"))))
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err == nil && strict {
			err = onlyParams(q, params...)
		} else if err != nil {
			err = badRequest("The query string is malformed (%s); separate parameters with & and escape %% as %%25.", quote(err.Error()))
		}
		for k, vs := range q {
			if freeText[k] {
				vs = nil // words, not ids: an emoji may hold a zero-width joiner
			}
			for _, v := range append(vs, k) {
				if err == nil && !validID(v) {
					err = badRequest("The query parameter %s is not valid UTF-8 or holds a control or invisible character.", quote(k))
				}
			}
		}
		if err == nil && !validID(r.PathValue("id")) {
			err = apiErrorf(http.StatusNotFound, codeNotFound, "There is nothing with the id %s here.", quote(r.PathValue("id")))
		}
		if err != nil {
			write(w, err)
			return
		}
		c := &apiCall{r: r, w: w, maxBody: h.cfg.MaxBodyBytes}
		if err := h.admit(c, rt.access); err != nil {
			write(w, err)
			return
		}
		status, body, err := rt.handle(c)
		if err != nil {
			write(w, err)
			return
		}
		writeJSON(w, status, body)
	})
}

// admit authenticates the call for a route's access, and loads the
// session of a session route.
func (h *HTTP) admit(c *apiCall, a access) error {
	if a == public {
		return nil
	}
	p, err := h.authenticate(c.r)
	if err != nil {
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
		return apiErrorf(http.StatusUnauthorized, codeUnauthorized, "%s", errUnauthenticated.Error())
	}
	c.p = p
	if (a == operatorOnly || a == sessionOperator) && !p.operator() {
		return apiErrorf(http.StatusForbidden, codeForbidden, "This route needs the operator key; a session token may only read its session, list its toolkits and tools, execute tools and issue connect links.")
	}
	if a == sessionRoute || a == sessionOperator {
		id := c.r.PathValue("id")
		sess, err := h.sessionFor(c.ctx(), p, id)
		if err != nil {
			return sessionError(id, err)
		}
		c.session = sess
	}
	return nil
}

// sessionError is the answer for a session that cannot be served: 404 for
// one that does not exist or is not the caller's (the same answer for
// both), 410 for one that ended.
func sessionError(id string, err error) error {
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		return apiErrorf(http.StatusNotFound, codeNotFound, "There is no session %s for this key.", quote(id))
	case errors.Is(err, accounts.ErrSessionExpired):
		return apiErrorf(http.StatusGone, codeSessionExpired, "The session %s has ended (its ttl passed); create a new one.", quote(id))
	}
	return err
}

// writeAPIError answers err as {error:{code, message, …}} with its status.
// Coded failures carry what tool results carry (candidates, account,
// retry_after_seconds); internal causes stay in the log.
func (h *HTTP) writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeJSON(w, ae.status, map[string]any{"error": map[string]any{"code": ae.code, "message": ae.message}})
		return
	}
	e, body := server.ErrorBody(err)
	status := statusOf(e.Code)
	if e.Code == accounts.CodeInternal {
		h.log.Error("application API", zap.Error(e.Err))
	}
	if e.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.RetryAfterSeconds))
	}
	writeJSON(w, status, map[string]any{"error": body})
}

// writeJSON answers status with body as JSON.
func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
}

// decode reads the call's JSON body into dst: one object, no unknown
// fields, within the body limit. An empty body is an empty object.
func (c *apiCall) decode(dst any) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, c.maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apiErrorf(http.StatusRequestEntityTooLarge, codePayloadTooLarge, "The request body exceeds %d bytes.", c.maxBody)
	}
	if err != nil {
		return badRequest("The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest("The request body is not valid: %s.", jsonProblem(err))
	}
	if dec.More() {
		return badRequest("The request body must hold one JSON object.")
	}
	if key, ok := duplicateKey(body); ok {
		return badRequest("The request body names %s twice; encoding/json would keep the last, so it is refused instead.", quote(key))
	}
	return nil
}

// duplicateKey returns a key that an object of body (a valid JSON value)
// holds twice. In the top-level object, whose keys encoding/json matches
// to struct fields without regard to case, a key also repeats another
// that differs only in case ({"user_id":"alice","USER_ID":"bob"} is bob's,
// as is {"user_id":"alice","user_id":"bob"}); deeper, where most objects
// are maps (a tool's arguments, connected_accounts) whose keys are exact,
// only an exact repeat counts. Linear in the body: one set per object.
func duplicateKey(body []byte) (string, bool) {
	type frame struct {
		object, wantKey bool
		keys            map[string]bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				stack = append(stack, &frame{object: v == '{', wantKey: v == '{', keys: map[string]bool{}})
				continue
			}
			stack = stack[:len(stack)-1] // a value ends; its parent's turn below
			top = nil
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.wantKey {
				k := v
				if len(stack) == 1 {
					k = foldKey(v)
				}
				if top.keys[k] {
					return v, true
				}
				top.keys[k], top.wantKey = true, false
				continue
			}
		}
		if top != nil && top.object {
			top.wantKey = true
		}
	}
}

// foldKey is s with each letter replaced by the least letter of its case
// folding orbit, so that two keys are equal as strings exactly when
// strings.EqualFold (and encoding/json's field matching) takes them as
// equal: the Kelvin sign and k, ſ and s included.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

// jsonProblem says what is wrong with a body, in encoding/json's words
// for the field involved, without echoing values.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s must be %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return "it must be a JSON object"
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends early"
	}
	return "it must be a JSON object"
}

func jsonKind(kind string) string {
	switch kind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return "a number"
}

// optional is a JSON field of a PATCH: Set when the field was present,
// Null when it was null.
type optional[T any] struct {
	Set, Null bool
	Value     T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}
