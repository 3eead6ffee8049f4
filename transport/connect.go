package transport

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"go.uber.org/zap"

	"switchboard/accounts"
)

//go:embed pages/*.html
var pageFiles embed.FS

var connectTemplate = template.Must(template.ParseFS(pageFiles, "pages/connect.html", "pages/layout.html"))

// connectPages serves /connect/{token}: GET shows the page, POST completes a
// token-scheme connection (form fields credential, alias, csrf).
type connectPages struct {
	svc *accounts.Service
	log *zap.Logger
	// app names the application that asks for the connection, for the
	// person reading the page.
	app string
}

func newConnectPages(svc *accounts.Service, app string, log *zap.Logger) *connectPages {
	if app == "" {
		app = "Switchboard"
	}
	return &connectPages{svc: svc, log: log, app: app}
}

// page is what the template renders.
type page struct {
	Title, Problem               string
	App                          string
	UserID, Toolkit, ToolkitName string
	Reauthorize                  string
	Expires                      string
	CredentialLabel, CSRF        string
	Help                         []helpPart
	Alias, Label                 string
	ShowForm, ShowOAuth, Done    bool
	Reconnected                  bool
}

// helpPart is a piece of a scheme's help text: words, or a web address the
// page shows as a link.
type helpPart struct{ Text, URL string }

var webAddress = regexp.MustCompile(`https://[^\s<>"]+[^\s<>".,;:)]`)

// helpParts splits help text so that its web addresses become links.
func helpParts(help string) []helpPart {
	var out []helpPart
	for help != "" {
		loc := webAddress.FindStringIndex(help)
		if loc == nil {
			out = append(out, helpPart{Text: help})
			break
		}
		if loc[0] > 0 {
			out = append(out, helpPart{Text: help[:loc[0]]})
		}
		out = append(out, helpPart{Text: help[loc[0]:loc[1]], URL: help[loc[0]:loc[1]]})
		help = help[loc[1]:]
	}
	return out
}

// expiresIn says when a link stops working, for a person: the time in UTC
// and how long that is from now.
func expiresIn(at, now time.Time) string {
	left := at.Sub(now).Round(time.Minute)
	when := at.UTC().Format("15:04 UTC")
	switch {
	case left <= time.Minute:
		return when + " (in less than a minute)"
	case left < time.Hour:
		return fmt.Sprintf("%s (in %d minutes)", when, int(left/time.Minute))
	}
	return at.UTC().Format("15:04 UTC on 2 January")
}

// setPageHeaders locks a page down: no scripts, no framing, no referrer
// (the URL holds the link token), no caching. Forms may post to this origin
// only, and the OAuth button's redirect to the provider is a 303, which
// form-action does not restrict in the browsers we test.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
}

func (p *connectPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w)
	h := w.Header()
	token := r.PathValue("token")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p.show(w, r, token, "", http.StatusOK)
	case http.MethodPost:
		p.submit(w, r, token)
	default:
		h.Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// show renders the link's page, with problem as an error to display.
func (p *connectPages) show(w http.ResponseWriter, r *http.Request, token, problem string, status int) {
	st, err := p.svc.OpenLink(r.Context(), token)
	if err != nil {
		p.log.Error("opening connect link", zap.Error(err))
		p.render(w, http.StatusInternalServerError, page{Title: "Something went wrong", Problem: "Switchboard could not load this link. Try again in a moment."})
		return
	}
	pg := page{Title: "Connect an account", Problem: problem, App: p.app}
	if st.Problem != "" {
		pg.Problem = st.Problem
		if status == http.StatusOK {
			status = http.StatusGone
			if st.Link == nil {
				status = http.StatusNotFound
			}
		}
		p.render(w, status, pg)
		return
	}
	l := st.Link
	tk := p.svc.Catalog().Toolkit(l.Toolkit)
	pg.Title = "Connect " + tk.Name
	pg.UserID, pg.Toolkit, pg.ToolkitName = l.UserID, l.Toolkit, tk.Name
	pg.Alias = l.Alias
	pg.Expires = expiresIn(l.ExpiresAt, time.Now())
	// An account that was connected before is being authorized again, and
	// the page names it by what the person saw of it (its label, alias or,
	// failing both, its id). One never connected (a new account whose
	// sign-in was declined or failed) is a new connection to the person.
	if a := st.Account; a != nil && a.Status != accounts.StatusInitiated && !a.ConnectedAt.IsZero() {
		pg.Reauthorize = cmp.Or(a.Label, a.Alias, a.ID)
	}
	if sc := tk.Scheme(l.Scheme); sc != nil && (l.Scheme == "bearer_token" || l.Scheme == "api_key") {
		pg.ShowForm = true
		pg.CredentialLabel, pg.Help = sc.CredentialLabel, helpParts(sc.Help)
		if pg.CredentialLabel == "" {
			pg.CredentialLabel = "API key"
		}
		pg.CSRF = p.svc.CSRFToken(token)
	} else if l.Scheme == "oauth2" {
		pg.ShowOAuth = true
		pg.CSRF = p.svc.CSRFToken(token)
	} else {
		pg.Problem = "This connection uses " + l.Scheme + ", which this server cannot complete."
	}
	p.render(w, status, pg)
}

func (p *connectPages) submit(w http.ResponseWriter, r *http.Request, token string) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.show(w, r, token, "The form could not be read; try again.", http.StatusBadRequest)
		return
	}
	if !p.svc.CheckCSRF(token, r.PostForm.Get("csrf")) {
		p.show(w, r, token, "This form has expired or did not come from this page; submit it again.", http.StatusForbidden)
		return
	}
	if r.PostForm.Get("action") == "oauth" {
		target, err := p.svc.BeginOAuth(r.Context(), token)
		if err != nil {
			p.refused(w, r, token, err)
			return
		}
		p.bindSignIn(w, target)
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	res, err := p.svc.CompleteWithSecret(r.Context(), token, r.PostForm.Get("credential"), r.PostForm.Get("alias"))
	if err != nil {
		p.refused(w, r, token, err)
		return
	}
	p.done(w, r, res)
}

// refused shows the link's page again with why the attempt failed.
func (p *connectPages) refused(w http.ResponseWriter, r *http.Request, token string, err error) {
	var le *accounts.LinkError
	switch {
	case errors.As(err, &le):
		p.log.Info("connect attempt refused", zap.Bool("retry", le.Retry), zap.NamedError("cause", causeOf(le)))
		status := http.StatusUnprocessableEntity
		if !le.Retry {
			status = http.StatusGone
		}
		p.show(w, r, token, le.Message, status)
		return
	case err != nil:
		p.log.Error("completing connect link", zap.Error(err))
		p.show(w, r, token, "Switchboard could not save the connection. Try again in a moment.", http.StatusInternalServerError)
	}
}

// done shows the page that names the connected account, or sends the
// person back to the application that asked for the link (its
// callback_url, checked against the allowed hosts when it was issued).
func (p *connectPages) done(w http.ResponseWriter, r *http.Request, res *accounts.Connected) {
	if res.Callback != "" {
		http.Redirect(w, r, res.Callback, http.StatusSeeOther)
		return
	}
	tk := p.svc.Catalog().Toolkit(res.Account.Toolkit)
	p.render(w, http.StatusOK, page{
		Title: tk.Name + " connected", Done: true, Toolkit: tk.Name,
		Label: res.Account.Label, Alias: res.Account.Alias, Reconnected: res.Reconnected,
	})
}

func causeOf(le *accounts.LinkError) error {
	if le.Err == nil {
		return nil
	}
	// The cause of a refused credential is the upstream's answer, already
	// stripped of bodies and secrets by the executor; keep only its code.
	return errors.New(string(accounts.ErrorOf(le.Err).Code))
}

func (p *connectPages) render(w http.ResponseWriter, status int, pg page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := connectTemplate.Execute(w, pg); err != nil {
		p.log.Warn("rendering connect page", zap.Error(err))
	}
}

// The browser a sign-in started in is the one that may finish it. Without
// that, someone could press the button of their own connect link, send the
// provider's consent page on to another person, and, once that person
// approved it, hold the other person's account as their own: the callback
// would complete it for whoever's browser brought the code back. So the
// button sets a cookie naming the sign-in, for the callback's path only,
// holding an HMAC of its state under the server's key (which the starter,
// who knows the state, cannot make for another browser). A callback that
// arrives without it is refused, and the sign-in is spent, so that its
// code completes nothing even if the page's address is later carried to
// the starter's browser; the person presses the button again. One cookie
// per sign-in, so that two started in one browser do not undo each other.

// signInCookieAge bounds how long the cookie waits for the provider.
const signInCookieAge = time.Hour

// signInCookie names the cookie of the sign-in with state.
func signInCookie(state string) string {
	return "sb_signin_" + accounts.HashToken(state)[:16]
}

// bindSignIn sets the cookie of the sign-in that target (the provider's
// authorization URL) starts, for the path the provider sends the browser
// back to (the public URL's, which may have a prefix). It is Secure when
// that is https.
func (p *connectPages) bindSignIn(w http.ResponseWriter, target string) {
	u, err := url.Parse(target)
	if err != nil {
		return
	}
	q := u.Query()
	state := q.Get("state")
	back, err := url.Parse(q.Get("redirect_uri"))
	if state == "" || err != nil || back.Path == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: signInCookie(state), Value: p.svc.SignInToken(state), Path: back.Path,
		MaxAge: int(signInCookieAge / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: back.Scheme == "https",
	})
}

// signInStartedHere reports whether r, a callback with state, comes from
// the browser that started the sign-in. The cookie is left to expire: it
// can finish nothing but its own sign-in, which works once, and a replay
// from the same browser is then told the sign-in was already used.
func (p *connectPages) signInStartedHere(r *http.Request, state string) bool {
	c, err := r.Cookie(signInCookie(state))
	return err == nil && p.svc.CheckSignInToken(state, c.Value)
}

// callback serves GET /oauth/callback, where providers send the person back
// with code and state (or error). A forged or replayed state changes
// nothing, and one brought back by another browser than the one that
// started the sign-in is refused and spent.
func (p *connectPages) callback(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w)
	q := r.URL.Query()
	if state := q.Get("state"); state != "" && !p.signInStartedHere(r, state) {
		p.svc.AbandonSignIn(r.Context(), state)
		p.log.Info("oauth callback refused", zap.String("cause", "the sign-in started in another browser"))
		p.render(w, http.StatusBadRequest, page{Title: "Connection not completed", Problem: "This sign-in was started in another browser, so nothing was connected. " +
			"Open the link you were given in this browser and sign in from there; if someone else sent you to this sign-in, do not continue it."})
		return
	}
	res, err := p.svc.CompleteOAuth(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"), q.Get("error_description"))
	var le *accounts.LinkError
	switch {
	case errors.As(err, &le):
		p.log.Info("oauth callback refused", zap.NamedError("cause", causeOf(le)))
		if le.Callback != "" {
			http.Redirect(w, r, le.Callback, http.StatusSeeOther)
			return
		}
		p.render(w, http.StatusBadRequest, page{Title: "Connection not completed", Problem: le.Message})
	case err != nil:
		p.log.Error("oauth callback", zap.Error(err))
		p.render(w, http.StatusInternalServerError, page{Title: "Something went wrong", Problem: "Switchboard could not save the connection. Ask for a new link where you got this one."})
	default:
		p.done(w, r, res)
	}
}
