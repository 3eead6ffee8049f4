package transport

import (
	"html/template"
	"net/http"
	"time"

	"go.uber.org/zap"

	"switchboard/accounts"
)

var confirmTemplate = template.Must(template.ParseFS(pageFiles, "pages/confirm.html", "pages/layout.html"))

// confirmPages serves /confirm/{token}: GET shows the person the call an
// account's policy makes ask first, POST (fields action allow or deny, and
// csrf) records their answer. Like connect pages, the words are for the
// person: no codes, no tool protocol.
type confirmPages struct {
	svc *accounts.Service
	log *zap.Logger
	app string
}

func newConfirmPages(svc *accounts.Service, app string, log *zap.Logger) *confirmPages {
	if app == "" {
		app = "Switchboard"
	}
	return &confirmPages{svc: svc, log: log, app: app}
}

// confirmPage is what the template renders.
type confirmPage struct {
	Title, Problem, App string
	UserID, ToolkitName string
	Action, Account     string
	Arguments           []accounts.ArgumentLine
	Expires, CSRF       string
	Ask, Done, Approved bool
}

func (p *confirmPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w)
	token := r.PathValue("token")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		st, err := p.svc.OpenConfirmation(r.Context(), token)
		p.show(w, token, st, err, "", http.StatusOK)
	case http.MethodPost:
		p.submit(w, r, token)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (p *confirmPages) submit(w http.ResponseWriter, r *http.Request, token string) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		st, err := p.svc.OpenConfirmation(r.Context(), token)
		p.show(w, token, st, err, "The form could not be read; try again.", http.StatusBadRequest)
		return
	}
	if !p.svc.CheckConfirmCSRF(token, r.PostForm.Get("csrf")) {
		st, err := p.svc.OpenConfirmation(r.Context(), token)
		p.show(w, token, st, err, "This form has expired or did not come from this page; answer again.", http.StatusForbidden)
		return
	}
	var approved bool
	switch r.PostForm.Get("action") {
	case "allow":
		approved = true
	case "deny":
	default:
		st, err := p.svc.OpenConfirmation(r.Context(), token)
		p.show(w, token, st, err, "Choose Allow or Deny.", http.StatusBadRequest)
		return
	}
	st, err := p.svc.DecideByLink(r.Context(), token, approved)
	if err != nil || st.Problem != "" {
		p.show(w, token, st, err, "", http.StatusOK)
		return
	}
	pg := p.describe(st)
	pg.Title, pg.Done, pg.Approved = "Declined", true, approved
	if approved {
		pg.Title = "Allowed"
	}
	p.render(w, http.StatusOK, pg)
}

// show renders the page of a confirmation, with problem as an error to
// display; the page's own problem (expired, answered) wins.
func (p *confirmPages) show(w http.ResponseWriter, token string, st *accounts.ConfirmationPage, err error, problem string, status int) {
	if err != nil {
		p.log.Error("opening confirmation link", zap.Error(err))
		p.render(w, http.StatusInternalServerError, confirmPage{Title: "Something went wrong", Problem: "Switchboard could not load this link. Try again in a moment."})
		return
	}
	pg := p.describe(st)
	pg.Title, pg.Problem = "Allow this action?", problem
	if st.Problem != "" {
		pg.Title, pg.Problem = "Nothing to answer", st.Problem
		if status == http.StatusOK {
			status = http.StatusGone
			if st.Confirmation == nil {
				status = http.StatusNotFound
			}
		}
		p.render(w, status, pg)
		return
	}
	pg.Ask = true
	pg.CSRF = p.svc.ConfirmCSRF(token)
	pg.Expires = expiresIn(st.Confirmation.ExpiresAt, time.Now())
	p.render(w, status, pg)
}

// describe fills in what the page says of the call.
func (p *confirmPages) describe(st *accounts.ConfirmationPage) confirmPage {
	pg := confirmPage{App: p.app}
	if st == nil || st.Confirmation == nil {
		return pg
	}
	pg.UserID = st.Confirmation.UserID
	pg.Arguments = st.Arguments
	if st.Tool != nil {
		pg.Action = lowerFirst(st.Tool.Title)
		if tk := p.svc.Catalog().Toolkit(st.Tool.Toolkit); tk != nil {
			pg.ToolkitName = tk.Name
		}
	}
	if a := st.Account; a != nil {
		pg.Account = a.Label
		if pg.Account == "" {
			pg.Account = a.ID
		}
		if a.Alias != "" {
			pg.Account += " (" + a.Alias + ")"
		}
	}
	return pg
}

func (p *confirmPages) render(w http.ResponseWriter, status int, pg confirmPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := confirmTemplate.Execute(w, pg); err != nil {
		p.log.Warn("rendering confirmation page", zap.Error(err))
	}
}

// lowerFirst lower-cases the first letter of a tool title ("Create an
// issue" → "create an issue") for use inside a sentence.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
