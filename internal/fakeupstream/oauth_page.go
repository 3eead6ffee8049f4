package fakeupstream

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// oauthAuthRequest is a checked authorization request.
type oauthAuthRequest struct {
	clientID, redirectURI, scope, state, challenge string
}

// oauthAuthParams are the authorization request parameters the consent form
// carries to /authorize/decide; other parameters (access_type, prompt, …)
// are ignored.
var oauthAuthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"}

// oauthCheckAuthorize checks an authorization request. A bad client or
// redirect URI yields pageErr, to be shown on the provider's own error page
// (never redirected, RFC 6749 §4.1.2.1); other faults yield errCode and
// errDesc, to be sent to the redirect URI.
func (o *OAuth) oauthCheckAuthorize(v url.Values) (req oauthAuthRequest, pageErr, errCode, errDesc string) {
	req = oauthAuthRequest{
		clientID: v.Get("client_id"), redirectURI: v.Get("redirect_uri"), scope: v.Get("scope"),
		state: v.Get("state"), challenge: v.Get("code_challenge"),
	}
	switch {
	case req.clientID == "":
		return req, "Error 400: invalid_request. Missing required parameter: client_id.", "", ""
	case req.clientID != o.opts.ClientID:
		return req, "Error 401: invalid_client. The OAuth client was not found.", "", ""
	case req.redirectURI == "":
		return req, "Error 400: invalid_request. Missing required parameter: redirect_uri.", "", ""
	}
	u, err := url.Parse(req.redirectURI)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || strings.Contains(req.redirectURI, "#") {
		return req, "Error 400: invalid_request. redirect_uri must be an absolute http(s) URL without fragment.", "", ""
	}
	if len(o.opts.RedirectURIs) > 0 && !slices.Contains(o.opts.RedirectURIs, req.redirectURI) {
		return req, "Error 400: redirect_uri_mismatch. The redirect URI in the request does not match the ones registered for the OAuth client.", "", ""
	}
	switch rt := v.Get("response_type"); {
	case rt == "":
		return req, "", "invalid_request", "Missing required parameter: response_type."
	case rt != "code":
		return req, "", "unsupported_response_type", "Only response_type=code is supported."
	}
	method := v.Get("code_challenge_method")
	switch {
	case req.challenge == "" && o.opts.RequirePKCE:
		return req, "", "invalid_request", "code_challenge is required (PKCE, S256)."
	case req.challenge == "" && method != "":
		return req, "", "invalid_request", "code_challenge_method without code_challenge."
	case req.challenge == "":
	case method != "S256":
		return req, "", "invalid_request", "Only code_challenge_method=S256 is supported."
	case !oauthIsChallenge(req.challenge):
		return req, "", "invalid_request", "code_challenge must be BASE64URL(SHA256(code_verifier)), 43 characters."
	}
	return req, "", "", ""
}

// oauthIsChallenge reports whether s looks like an unpadded base64url
// SHA-256 digest.
func oauthIsChallenge(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// oauthRedirect answers 302 to redirectURI with params added to its query.
func oauthRedirect(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, _ := url.Parse(redirectURI) // checked by oauthCheckAuthorize
	q := u.Query()
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			q.Set(k, vs[0])
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// serveAuthorize shows the consent page, or an error.
func (o *OAuth) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	o.mu.Lock()
	o.lastAuthorize = oauthCloneValues(v)
	ids := o.oauthIdentitiesLocked()
	o.mu.Unlock()
	req, pageErr, code, desc := o.oauthCheckAuthorize(v)
	if pageErr != "" {
		oauthWritePage(w, http.StatusBadRequest, oauthErrorTmpl, pageErr)
		return
	}
	if code != "" {
		oauthRedirect(w, r, req.redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {req.state}})
		return
	}
	data := oauthConsentData{ClientID: req.clientID, Scopes: strings.Fields(req.scope)}
	for _, k := range oauthAuthParams {
		if v.Has(k) {
			data.Hidden = append(data.Hidden, oauthField{k, v.Get(k)})
		}
	}
	for i, id := range ids {
		data.Identities = append(data.Identities, oauthChoice{ID: "identity-" + strconv.Itoa(i), Subject: id.Subject, Label: oauthLabel(id), Checked: i == 0})
	}
	oauthWritePage(w, http.StatusOK, oauthConsentTmpl, data)
}

// serveDecide receives the consent form: decision=approve or deny, subject
// (the chosen identity) and the authorization request's parameters.
func (o *OAuth) serveDecide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthWritePage(w, http.StatusBadRequest, oauthErrorTmpl, "Error 400: malformed form.")
		return
	}
	v := r.PostForm
	req, pageErr, code, desc := o.oauthCheckAuthorize(v)
	if pageErr != "" {
		oauthWritePage(w, http.StatusBadRequest, oauthErrorTmpl, pageErr)
		return
	}
	if code != "" {
		oauthRedirect(w, r, req.redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {req.state}})
		return
	}
	switch v.Get("decision") {
	case "deny":
		oauthRedirect(w, r, req.redirectURI, url.Values{
			"error": {"access_denied"}, "error_description": {"The user denied the request."}, "state": {req.state},
		})
		return
	case "approve":
	default:
		oauthWritePage(w, http.StatusBadRequest, oauthErrorTmpl, "Error 400: choose Approve or Deny.")
		return
	}
	subject := v.Get("subject")
	o.mu.Lock()
	i := slices.IndexFunc(o.oauthIdentitiesLocked(), func(id OAuthIdentity) bool { return id.Subject == subject })
	if i < 0 {
		o.mu.Unlock()
		oauthWritePage(w, http.StatusBadRequest, oauthErrorTmpl, "Error 400: choose one of the accounts offered.")
		return
	}
	c := oauthRandom("fake-code-")
	o.codes[c] = &oauthCode{
		redirectURI: req.redirectURI, challenge: req.challenge, scope: req.scope,
		id: o.oauthIdentitiesLocked()[i], expires: o.opts.Now().Add(oauthCodeTTL),
	}
	o.mu.Unlock()
	oauthRedirect(w, r, req.redirectURI, url.Values{"code": {c}, "state": {req.state}})
}

// oauthLabel names an identity on the consent page: email and login.
func oauthLabel(id OAuthIdentity) string {
	switch {
	case id.Email != "" && id.Login != "" && id.Login != id.Email:
		return id.Email + " (" + id.Login + ")"
	case id.Email != "":
		return id.Email
	case id.Login != "":
		return id.Login
	case id.Name != "":
		return id.Name
	}
	return id.Subject
}

type oauthField struct{ Name, Value string }

type oauthChoice struct {
	ID, Subject, Label string
	Checked            bool
}

type oauthConsentData struct {
	ClientID   string
	Scopes     []string
	Hidden     []oauthField
	Identities []oauthChoice
}

func oauthWritePage(w http.ResponseWriter, status int, t *template.Template, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	t.Execute(w, data)
}

// oauthPageHead starts a page titled title.
func oauthPageHead(title string) string {
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + title + `</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f4f6; color: #1b1b1f; }
main { max-width: 28rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: .5rem; box-shadow: 0 1px 4px #0003; }
fieldset { border: 1px solid #ccc; border-radius: .25rem; margin: 1rem 0; }
label { margin-left: .25rem; }
button { font: inherit; padding: .5rem 1.25rem; margin-right: .5rem; border-radius: .25rem; border: 1px solid #555; cursor: pointer; }
#approve { background: #1a56db; color: #fff; border-color: #1a56db; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
</style>
</head>
<body>
<main>
`
}

var oauthConsentTmpl = template.Must(template.New("consent").Parse(oauthPageHead("Sign in to Fake Provider") + `<h1>Sign in to Fake Provider</h1>
<p>The application <strong id="client-id">{{.ClientID}}</strong> wants to access your Fake Provider account.</p>
<h2 id="scopes-heading">Requested permissions</h2>
{{if .Scopes}}<ul id="scopes" aria-labelledby="scopes-heading">
{{range .Scopes}}<li><code>{{.}}</code></li>
{{end}}</ul>{{else}}<p id="scopes">No specific permissions: basic profile only.</p>{{end}}
<form method="post" action="/authorize/decide">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<fieldset>
<legend>Choose an account</legend>
{{range .Identities}}<div><input type="radio" name="subject" id="{{.ID}}" value="{{.Subject}}"{{if .Checked}} checked{{end}}><label for="{{.ID}}">{{.Label}}</label></div>
{{end}}</fieldset>
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>
</main>
</body>
</html>
`))

var oauthErrorTmpl = template.Must(template.New("error").Parse(oauthPageHead("Error – Fake Provider") + `<h1>Sign in to Fake Provider</h1>
<div role="alert">
<h2>Access blocked: this request is invalid</h2>
<p id="error">{{.}}</p>
</div>
</main>
</body>
</html>
`))
