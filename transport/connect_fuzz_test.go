package transport

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzConnectForm posts arbitrary bodies to a connect page, with and
// without the page's own CSRF token. Whatever arrives: no server error,
// an HTML page in answer, and the link still usable afterwards unless the
// body was a valid completion (which needs the real credential).
func FuzzConnectForm(f *testing.F) {
	w := newAPIWorld(f)
	sess, token := w.newSession(f, map[string]any{"user_id": "alice"})
	link := w.do(f, "POST", "/api/v1/sessions/"+sess["id"].(string)+"/link", token, map[string]any{"toolkit": "github", "auth_config": "ac_github_bearer_token"}).
		want(f, http.StatusCreated, "").body["redirect_url"].(string)
	resp, err := http.Get(link)
	if err != nil {
		f.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := string(csrfField.FindSubmatch(page)[1])

	for _, seed := range []string{
		"", "credential=x", "csrf=" + csrf, "csrf=" + csrf + "&credential=ghp_wrong&alias=work", "csrf=" + csrf + "&action=oauth",
		"csrf=" + csrf + "&credential=" + strings.Repeat("A", 5000), "csrf=" + csrf + "&alias=a%00b&credential=x", "%zz", "csrf=a&csrf=b",
		"csrf=" + csrf + "&credential=ghp_wrong&alias=" + url.QueryEscape("<script>"), strings.Repeat("a=b&", 1000),
	} {
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body string, form bool) {
		req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%q: %d", body, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusSeeOther && !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("%q: content type %q", body, ct)
		}
		if strings.Contains(string(page), "<script>") {
			t.Fatalf("%q: the page carries markup from the form: %s", body, page)
		}
		if again, err := http.Get(link); err != nil || again.StatusCode != http.StatusOK {
			t.Fatalf("%q: the link no longer opens (%v %v)", body, again, err)
		} else {
			again.Body.Close()
		}
	})
}
