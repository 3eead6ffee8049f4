package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/accounts/postgres/pgtest"
	"switchboard/internal/fakeupstream"
)

// accessTTL is the life of the access tokens the fake provider issues in
// the replica tests: short, so that a test can wait for one to expire.
const accessTTL = 4 * time.Second

// cluster is two replicas of switchboard serve on one PostgreSQL schema,
// sharing SWITCHBOARD_SECRET_KEYS, behind a round-robin proxy whose URL is
// their public URL. GitHub is authorized through a fake OAuth provider
// whose access tokens live accessTTL.
type cluster struct {
	replicas []*instance
	proxy    *roundRobin
	op       *fakeupstream.OAuth
	gh       *fakeupstream.GitHub
	env      []string // of every replica
	args     []string // of every replica
}

func newCluster(tb testing.TB) *cluster {
	tb.Helper()
	dbURL := pgtest.SchemaURL(tb, tb.Name())
	c := &cluster{gh: fakeGitHub(tb), proxy: newRoundRobin(tb)}
	c.op = fakeupstream.NewOAuth(fakeupstream.OAuthOptions{
		ClientID: "sb-e2e", ClientSecret: "sb-e2e-secret", RotateRefresh: true, RequirePKCE: true,
		AccessTTL: accessTTL,
		// Slow refreshes widen the window in which replicas race for one.
		TokenDelay: 200 * time.Millisecond,
		OnToken: func(token string, id fakeupstream.OAuthIdentity) {
			n, _ := strconv.ParseInt(id.Subject, 10, 64)
			c.gh.AddUser(token, id.Login, n)
		},
	})
	tb.Cleanup(c.op.Close)
	c.op.AddIdentity(fakeupstream.OAuthIdentity{Subject: "7001", Login: "octo-work", Email: "octo@work.example", Name: "Octo Work"})
	c.op.AddIdentity(fakeupstream.OAuthIdentity{Subject: "7002", Login: "octo-home", Email: "octo@home.example", Name: "Octo Home"})
	config := filepath.Join(tb.TempDir(), "switchboard.yaml")
	body := "auth_configs:\n" +
		"  - id: ac_github_app\n    toolkit: github\n    scheme: oauth2\n    client_id: sb-e2e\n    client_secret_env: SB_E2E_GITHUB_SECRET\n" +
		"    authorize_url: " + c.op.AuthorizeURL() + "\n    token_url: " + c.op.TokenURL() + "\n    revoke_url: " + c.op.RevokeURL() + "\n" +
		"toolkit_urls:\n  github: " + c.gh.URL() + "\n"
	if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	c.env = []string{"SB_E2E_GITHUB_SECRET=sb-e2e-secret", "SWITCHBOARD_SECRET_KEYS=k1:" + base64.StdEncoding.EncodeToString(key)}
	c.args = []string{"--database-url", dbURL, "--config", config, "--public-url", c.proxy.srv.URL}
	for i := range 2 {
		c.start(tb, i)
	}
	return c
}

// start runs replica i, in place of the one there was (a replacement
// joining after a crash).
func (c *cluster) start(tb testing.TB, i int) {
	tb.Helper()
	r := serve(tb, tb.TempDir(), c.env, c.args...)
	if i == len(c.replicas) {
		c.replicas = append(c.replicas, r)
	} else {
		c.replicas[i] = r
	}
	c.proxy.setReplica(i, r.base)
}

// kill ends replica i with SIGKILL, as a crash or the OOM killer does.
func (c *cluster) kill(i int) {
	c.replicas[i].cmd.Process.Kill()
	c.replicas[i].cmd.Wait()
}

// mcpURL is the endpoint clients use: the proxy's.
func (c *cluster) mcpURL() string { return c.proxy.srv.URL + "/mcp" }

// completeOn plays the person completing a connect link at replica i only,
// signing in as subject at the provider. It does not fail tb, so that it
// can run beside a client waiting for it.
func (c *cluster) completeOn(i int, link, subject string) error {
	base := c.replicas[i].base
	at := func(u string) string { return strings.Replace(u, c.proxy.srv.URL, base, 1) }
	resp, err := http.Get(at(link))
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("the connect page has no form (%d):\n%s", resp.StatusCode, page)
	}
	resp, err = noRedirect.PostForm(at(link), url.Values{"csrf": {string(m[1])}, "action": {"oauth"}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("the sign-in button answered %d", resp.StatusCode)
	}
	back, err := c.op.Consent(resp.Header.Get("Location"), subject, true)
	if err != nil {
		return err
	}
	resp, err = browser.Get(at(back.String()))
	if err != nil {
		return err
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the callback answered %d:\n%s", resp.StatusCode, page)
	}
	return nil
}

// awaitRequest waits until the proxy passes on a request from mark on that
// match accepts, and returns the replica it went to.
func (c *cluster) awaitRequest(mark int, match func(served) bool) (int, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s, ok := c.proxy.first(mark, match); ok {
			return s.backend, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("no such request reached the proxy")
}

// replicaClient is one of the two real clients the replica tests drive: the
// official TypeScript SDK over a legacy session, or the OpenAI Agents SDK,
// which negotiates the stateless revision.
type replicaClient struct {
	name, script string
	user         string
	legacy       bool              // keeps a session id between runs
	session      string            // the legacy session, once one is open
	accounts     map[string]string // login → the account connected for it
}

func (rc *replicaClient) run(tb testing.TB, node string, c *cluster, steps ...step) *driverOutput {
	tb.Helper()
	in := driverInput{URL: c.mcpURL(), Headers: map[string]string{"X-User-Id": rc.user}, Steps: steps}
	if rc.legacy {
		in.ReuseSessionID = rc.session
	}
	out := drive(tb, node, rc.script, in)
	if out.Error != nil {
		tb.Fatalf("%s: %+v", rc.name, out.Error)
	}
	if rc.legacy && rc.session == "" {
		rc.session = out.SessionID
	}
	return out
}

// called is what a call of GITHUB_GET_AUTHENTICATED_USER reports: the
// account that acted, how it was chosen, and the login the fake GitHub
// answered for the token it was given.
type called struct {
	account, selectedBy, login string
}

func calledOf(tb testing.TB, raw map[string]any) called {
	tb.Helper()
	acct, _ := raw["account"].(map[string]any)
	res, _ := raw["result"].(map[string]any)
	id, _ := acct["id"].(string)
	by, _ := acct["selected_by"].(string)
	login, _ := res["login"].(string)
	return called{id, by, login}
}

// manyResults decodes the results of a parallel or repeat step: the
// structured content of each call, or nil where the run failed.
func manyResults(tb testing.TB, o *driverOutput, i int) (calls []map[string]any, failures []string) {
	tb.Helper()
	var r struct {
		Results []struct {
			nodeToolResult
			Error *struct {
				Status  int    `json:"status"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(o.result(tb, i), &r); err != nil {
		tb.Fatalf("step %d is not a parallel or repeat result: %v", i, err)
	}
	for _, x := range r.Results {
		switch {
		case x.Error != nil:
			calls = append(calls, nil)
			failures = append(failures, fmt.Sprintf("%d %s", x.Error.Status, x.Error.Message))
		case x.IsError:
			calls = append(calls, nil)
			failures = append(failures, x.text())
		default:
			calls = append(calls, x.StructuredContent)
		}
	}
	return calls, failures
}

const whoAmI = "GITHUB_GET_AUTHENTICATED_USER"

func calls(n int, parallel, tolerate bool) step {
	op := "repeat"
	if parallel {
		op = "parallel"
	}
	return step{"op": op, "count": n, "tolerateErrors": tolerate, "step": callTool(whoAmI, nil)}
}

// TestReplicas runs the story of several replicas with both real clients,
// every request alternating between two replicas on one database:
// connections completed on the other replica wake a waiting client, a
// selection made on one replica holds on the other, twenty concurrent calls
// on an expired token refresh it once across both, and a replica killed
// under load leaves the client going through the other, never acting with
// a wrong account.
func TestReplicas(t *testing.T) {
	node := needNode(t, "@modelcontextprotocol/sdk", "@openai/agents")
	c := newCluster(t)
	clients := []*replicaClient{
		{name: "TypeScriptSDK", script: "sdk-client.mjs", user: "alice", legacy: true, accounts: map[string]string{}},
		{name: "OpenAIAgents", script: "agents-client.mjs", user: "carol", accounts: map[string]string{}},
	}
	for _, rc := range clients {
		t.Run(rc.name, func(t *testing.T) {
			accounts := rc.accounts
			t.Run("LinkCompletedOnTheOtherReplicaWakesTheWait", func(t *testing.T) {
				for _, id := range []struct{ subject, login string }{{"7001", "octo-work"}, {"7002", "octo-home"}} {
					m := c.proxy.mark()
					out := rc.run(t, node, c, callTool("authorize", map[string]any{"toolkit": "github"}))
					opened, _ := c.proxy.first(m, func(s served) bool { return s.rpc == "authorize" })
					auth := out.ok(t, 0)
					link, _ := auth["redirect_url"].(string)
					placeholder, _ := auth["connected_account_id"].(string)
					// The legacy client's next request is the wait: it goes to the
					// replica that issued the link, and the other completes it.
					if rc.legacy {
						c.proxy.nextTo(opened.backend)
					}
					m = c.proxy.mark()
					done := make(chan error, 1)
					var waiting int
					go func() {
						var err error
						waiting, err = c.awaitRequest(m, func(s served) bool { return s.rpc == "wait_for_connection" })
						if err == nil {
							time.Sleep(300 * time.Millisecond) // the wait has begun
							err = c.completeOn(1-waiting, link, id.subject)
						}
						done <- err
					}()
					out = rc.run(t, node, c, callTool("wait_for_connection", map[string]any{"connected_account_id": placeholder, "timeout_seconds": 30}))
					if err := <-done; err != nil {
						t.Fatalf("completing the link on the other replica: %v", err)
					}
					got := out.ok(t, 0)
					if got["status"] != "ACTIVE" || got["label"] != id.login {
						t.Fatalf("wait_for_connection = %v, want ACTIVE %s", got, id.login)
					}
					if rc.legacy && waiting != opened.backend {
						t.Errorf("the wait went to replica %d, not %d that issued the link", waiting, opened.backend)
					}
					accounts[id.login] = got["connected_account_id"].(string)
					t.Logf("%s (%s %s): %s linked on replica %d, waited on %d, completed on %d",
						rc.name, out.ProtocolEra, out.ProtocolVersion, id.login, opened.backend, waiting, 1-waiting)
				}
			})
			if len(accounts) != 2 {
				t.FailNow()
			}

			t.Run("SelectionOnOneReplicaHoldsOnTheOther", func(t *testing.T) {
				m := c.proxy.mark()
				out := rc.run(t, node, c,
					callTool("select_account", map[string]any{"toolkit": "github", "account": "octo-work"}),
					calls(3, false, false),
					callTool("select_account", map[string]any{"toolkit": "github", "account": accounts["octo-home"]}),
					calls(3, false, false),
				)
				for i, login := range map[int]string{1: "octo-work", 3: "octo-home"} {
					results, failures := manyResults(t, out, i)
					if len(failures) > 0 {
						t.Fatalf("calls after selecting %s failed: %v", login, failures)
					}
					for _, r := range results {
						if got := calledOf(t, r); got != (called{accounts[login], "session", login}) {
							t.Errorf("after selecting %s: acted as %+v", login, got)
						}
					}
				}
				// The proof that it crossed replicas: each selection was
				// followed by a call that another replica served.
				var lastSelect = -1
				crossed := 0
				for _, s := range c.proxy.since(m) {
					switch {
					case s.rpc == "select_account":
						lastSelect = s.backend
					case s.rpc == whoAmI && lastSelect >= 0 && s.backend != lastSelect:
						crossed++
						lastSelect = -1
					}
				}
				if crossed != 2 {
					t.Errorf("%d of 2 selections were followed by a call on the other replica", crossed)
				}
			})

			t.Run("TwentyConcurrentCallsOnAnExpiredTokenRefreshOnce", func(t *testing.T) {
				// The selected account's token expires while nobody calls.
				time.Sleep(accessTTL + 500*time.Millisecond)
				before := c.op.TokenRequests("refresh_token")
				m := c.proxy.mark()
				out := rc.run(t, node, c, calls(20, true, false))
				if n := c.op.TokenRequests("refresh_token") - before; n != 1 {
					t.Errorf("%d refresh requests for 20 concurrent calls, want 1", n)
				}
				results, failures := manyResults(t, out, 0)
				if len(failures) > 0 {
					t.Fatalf("%d calls failed: %v", len(failures), failures)
				}
				for _, r := range results {
					if got := calledOf(t, r); got != (called{accounts["octo-home"], "session", "octo-home"}) {
						t.Errorf("acted as %+v, want octo-home by the session", got)
					}
				}
				per := map[int]int{}
				for _, s := range c.proxy.since(m) {
					if s.rpc == whoAmI {
						per[s.backend]++
					}
				}
				if per[0] == 0 || per[1] == 0 {
					t.Errorf("calls per replica %v: want both replicas to serve some", per)
				}
			})
		})
	}

	t.Run("ListChangedReachesASessionOnTheOtherReplica", func(t *testing.T) {
		// dave's link, issued in a session of its own.
		issuer := &replicaClient{name: "issuer", script: "sdk-client.mjs", user: "dave", legacy: true}
		auth := issuer.run(t, node, c, callTool("authorize", map[string]any{"toolkit": "github"})).ok(t, 0)
		link, _ := auth["redirect_url"].(string)
		// Another session of dave listens on its GET stream; the link
		// completes on the replica that does not hold that stream.
		m := c.proxy.mark()
		done := make(chan error, 1)
		go func() {
			listening, err := c.awaitRequest(m, func(s served) bool { return s.method == http.MethodGet && s.path == "/mcp" })
			if err == nil {
				time.Sleep(500 * time.Millisecond) // the stream is open
				err = c.completeOn(1-listening, link, "7001")
			}
			done <- err
		}()
		listener := &replicaClient{name: "listener", script: "sdk-client.mjs", user: "dave", legacy: true}
		out := listener.run(t, node, c, listTools(), step{"op": "waitForNotification", "timeoutMs": 20000})
		if err := <-done; err != nil {
			t.Fatalf("completing the link on the other replica: %v", err)
		}
		var got struct {
			Received bool `json:"received"`
		}
		if err := json.Unmarshal(out.result(t, 1), &got); err != nil || !got.Received {
			t.Errorf("no notifications/tools/list_changed on the session whose stream the other replica holds (%v)", err)
		}
	})

	// Each client in turn loads the cluster while a replica is killed; a
	// replacement joins before the next one's turn.
	for _, rc := range clients {
		t.Run("ReplicaKilledUnderLoad/"+rc.name, func(t *testing.T) {
			want := called{rc.accounts["octo-home"], "session", "octo-home"}
			if want.account == "" {
				t.Skip("the client's story did not get as far as selecting an account")
			}
			for i, r := range c.replicas {
				if r.cmd.ProcessState != nil {
					c.start(t, i)
				}
			}
			m := c.proxy.mark()
			killed := make(chan int, 1)
			go func() {
				// After ten calls, kill the replica that served the last one.
				deadline := time.Now().Add(time.Minute)
				for time.Now().Before(deadline) {
					var calls []served
					for _, s := range c.proxy.since(m) {
						if s.rpc == whoAmI {
							calls = append(calls, s)
						}
					}
					if len(calls) >= 10 {
						victim := calls[len(calls)-1].backend
						c.kill(victim)
						killed <- victim
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
				killed <- -1
			}()
			out := rc.run(t, node, c, calls(40, false, true))
			victim := <-killed
			if victim < 0 {
				t.Fatal("the load never reached ten calls")
			}
			results, failures := manyResults(t, out, 0)
			t.Logf("replica %d killed after ten calls; %d of 40 calls failed %v", victim, len(failures), failures)
			// A call in flight when its replica died may fail; nothing else may.
			if len(failures) > 1 {
				t.Errorf("%d calls failed, want at most the one in flight: %v", len(failures), failures)
			}
			for i, r := range results {
				if r == nil {
					continue
				}
				if got := calledOf(t, r); got != want {
					t.Errorf("call %d acted as %+v, want %+v", i, got, want)
				}
			}
			for _, r := range results[len(results)-10:] {
				if r == nil {
					t.Error("a call failed well after the kill: the client did not carry on through the other replica")
				}
			}
			survivor := 0
			for _, s := range c.proxy.since(m) {
				if s.rpc == whoAmI && s.backend != victim {
					survivor++
				}
			}
			if survivor < 20 {
				t.Errorf("the surviving replica served %d calls, want most of the 40", survivor)
			}
		})
	}
}
