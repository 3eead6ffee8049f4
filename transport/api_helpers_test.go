package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/accounts"
	"switchboard/accounts/sqlite"
	"switchboard/internal/fakeupstream"
	"switchboard/server"
	"switchboard/tools"
)

// The people and credentials of the API tests: alice has a work and a
// personal GitHub login, bob one.
const (
	opKey         = "op-key-0123456789"
	otherOpKey    = "op-key-other-987654"
	aliceWork     = "ghp_aliceWorkTokenAAAAAAAAAAAAAAAAAAAA"
	alicePersonal = "ghp_alicePersonalTokenBBBBBBBBBBBBBBBB"
	bobToken      = "ghp_bobTokenCCCCCCCCCCCCCCCCCCCCCCCCCC"
)

// apiWorld is the HTTP transport on a real SQLite store and a fake GitHub,
// served on a loopback port, with the service's clock under the test's
// control and a GitHub OAuth app at a fake provider.
type apiWorld struct {
	base string
	gh   *fakeupstream.GitHub
	op   *fakeupstream.OAuth
	svc  *accounts.Service
	srv  *server.Server
	http *HTTP
	skew atomic.Int64 // nanoseconds the service's clock runs ahead
}

var octo = fakeupstream.OAuthIdentity{Subject: "501", Login: "octo-work", Email: "octo@work.example"}

// newAPIWorld starts the transport with the operator keys opKey and
// otherOpKey.
func newAPIWorld(tb testing.TB) *apiWorld {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "switchboard.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return newAPIWorldOn(tb, store)
}

// worldStore is what an apiWorld needs of its store.
type worldStore interface {
	accounts.Store
	accounts.Locker
}

// newAPIWorldOn is newAPIWorld on store, which the caller closes.
func newAPIWorldOn(tb testing.TB, store worldStore) *apiWorld {
	tb.Helper()
	w := &apiWorld{gh: fakeupstream.NewGitHub()}
	tb.Cleanup(w.gh.Close)
	w.gh.AddUser(aliceWork, "alice-work", 1001)
	w.gh.AddUser(alicePersonal, "alice-home", 1002)
	w.gh.AddUser(bobToken, "bob", 2001)
	w.op = fakeupstream.NewOAuth(fakeupstream.OAuthOptions{
		ClientID: "app", ClientSecret: "app-secret", AccessTTL: time.Hour, RotateRefresh: true,
		OnToken: func(token string, id fakeupstream.OAuthIdentity) {
			n, _ := strconv.ParseInt(id.Subject, 10, 64)
			w.gh.AddUser(token, id.Login, n)
		},
	})
	tb.Cleanup(w.op.Close)
	w.op.AddIdentity(octo)

	catalog, err := tools.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	w.base = "http://" + ln.Addr().String()
	keys, _ := accounts.ParseKeyRing("k1:" + strings.Repeat("D", 43) + "=")
	w.svc, err = accounts.NewService(accounts.Config{
		Store: store, Keys: keys, Catalog: catalog, PublicURL: w.base, Locker: store,
		Executor:      tools.NewExecutor(catalog, tools.ExecutorOptions{BaseURLs: map[string]string{"github": w.gh.URL()}}),
		Now:           func() time.Time { return time.Now().Add(time.Duration(w.skew.Load())) },
		CallbackHosts: []string{"app.example.com"},
		AuthConfigs: []accounts.AuthConfig{{
			ID: "ac_github_app", Toolkit: "github", Scheme: "oauth2", ClientID: "app", ClientSecret: "app-secret",
			AuthorizeURL: w.op.AuthorizeURL(), TokenURL: w.op.TokenURL(), RevokeURL: w.op.RevokeURL(),
		}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	w.srv = server.New(server.Config{Service: w.svc, Version: "test"})
	h, err := NewHTTP(HTTPConfig{Addr: ln.Addr().String(), PublicURL: w.base, Keys: NewKeys([]string{opKey, otherOpKey}), MaxBodyBytes: 64 << 10}, w.svc, w.srv)
	if err != nil {
		tb.Fatal(err)
	}
	w.http = h
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h.Handler()}}
	hs.Start()
	tb.Cleanup(hs.Close)
	return w
}

// reply is an API answer: status, headers and the decoded JSON body.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// code is the error code of a refusal, "" for a success.
func (r reply) code() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// message is the error message of a refusal.
func (r reply) message() string {
	e, _ := r.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// do sends method path with body (a string sent as is, or a value encoded
// as JSON) and the credential cred ("" for none) as a bearer token.
func (w *apiWorld) do(tb testing.TB, method, path, cred string, body any) reply {
	tb.Helper()
	return w.doHeaders(tb, method, path, body, bearer(cred))
}

func bearer(cred string) map[string]string {
	if cred == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + cred}
}

func (w *apiWorld) doHeaders(tb testing.TB, method, path string, body any, headers map[string]string) reply {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	checkAgainstSpec(tb, req, resp, raw)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			tb.Fatalf("%s %s answered %d with a body that is not a JSON object: %s", method, path, resp.StatusCode, raw)
		}
	}
	return r
}

// want fails tb unless r has status (and, for a refusal, code).
func (r reply) want(tb testing.TB, status int, code string) reply {
	tb.Helper()
	if r.status != status || r.code() != code {
		tb.Fatalf("answered %d %q, want %d %q: %s", r.status, r.code(), status, code, r.raw)
	}
	return r
}

// newSession creates a session for user with the operator key and returns
// the answer and the session token.
func (w *apiWorld) newSession(tb testing.TB, body map[string]any) (map[string]any, string) {
	tb.Helper()
	r := w.do(tb, "POST", "/api/v1/sessions", opKey, body).want(tb, http.StatusCreated, "")
	auth, _ := r.body["mcp"].(map[string]any)["headers"].(map[string]any)["Authorization"].(string)
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || !strings.HasPrefix(token, "st_") {
		tb.Fatalf("mcp.headers carry no session token: %s", r.raw)
	}
	return r.body, token
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// noRedirect is a client that shows redirects instead of following them.
// It keeps cookies as a browser does: a sign-in may only be finished by
// the browser that started it.
var noRedirect = &http.Client{Jar: newJar(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func newJar() http.CookieJar {
	jar, _ := cookiejar.New(nil)
	return jar
}

// completeLink plays the person on a connect page of a token scheme: it
// submits the credential and returns the answer (a redirect is not
// followed).
func completeLink(tb testing.TB, link, credential string) *http.Response {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		tb.Fatalf("connect page %s answered %d without a form:\n%s", link, resp.StatusCode, page)
	}
	resp, err = noRedirect.PostForm(link, url.Values{"csrf": {string(m[1])}, "credential": {credential}})
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// connect issues a link through the session's link route and completes it
// with credential (a GitHub personal token), returning the account id.
func (w *apiWorld) connect(tb testing.TB, sessionID, cred, credential, alias string) string {
	tb.Helper()
	body := map[string]any{"toolkit": "github", "auth_config": "ac_github_bearer_token"}
	if alias != "" {
		body["alias"] = alias
	}
	link := w.do(tb, "POST", "/api/v1/sessions/"+sessionID+"/link", cred, body).want(tb, http.StatusCreated, "")
	if resp := completeLink(tb, link.body["redirect_url"].(string), credential); resp.StatusCode != http.StatusOK {
		tb.Fatalf("completing the link answered %d", resp.StatusCode)
	}
	id := link.body["connected_account_id"].(string)
	if got := w.do(tb, "GET", "/api/v1/connected_accounts/"+id, opKey, nil).want(tb, http.StatusOK, ""); got.body["status"] != "ACTIVE" {
		tb.Fatalf("account after the link: %s", got.raw)
	}
	return id
}

// lastGitHubToken returns the token of the fake GitHub's last request.
func (w *apiWorld) lastGitHubToken(tb testing.TB) string {
	tb.Helper()
	reqs := w.gh.Requests()
	if len(reqs) == 0 {
		tb.Fatal("the fake GitHub saw no request")
	}
	return reqs[len(reqs)-1].Token
}

func TestDuplicateKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"user_id":"alice","user_id":"bob"}`:                           "user_id",
		`{"user_id":"alice","USER_ID":"bob"}`:                           "USER_ID",
		`{"a":{"b":1,"c":[{"d":1,"d":2}]}}`:                             "d",
		`{"connected_accounts":{"github":"a","github":"b"}}`:            "github",
		`{"connected_accounts":{"github":"a","GitHub":"b"}}`:            "",
		`{"arguments":{"properties":{"Name":1,"name":2}}}`:              "",
		`{"toolkits":1,"toolkit\u017f":2}`:                              "toolkitſ",
		`{"a":[1,{"b":"a"},"a"],"b":{"a":1},"c":"a","d":{"c":1,"e":2}}`: "",
		`{"a":"b","b":"a"}`:                                             "",
		`[{"a":1},{"a":1}]`:                                             "",
		`{"x":{"a":1},"y":{"a":1}}`:                                     "",
		`{}`:                                                            "",
	} {
		got, ok := duplicateKey([]byte(body))
		if got != want || ok != (want != "") {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q", body, got, ok, want)
		}
	}
}
