package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type ghUser struct {
	login string
	id    int64
}

type ghRepo struct {
	id          int64
	owner       *ghUser
	name        string
	private     bool
	description string
	created     time.Time
	issues      []*ghIssue // issues[i].number == i+1
}

type ghIssue struct {
	id        int64
	number    int
	title     string
	body      string
	state     string
	user      *ghUser
	labels    []string
	assignees []string
	comments  int
	created   time.Time
}

// epoch is the fake clock's start: timestamps are epoch + one minute per
// object created, so answers are deterministic.
var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// AddUser registers a user with a token. Several tokens may map to the same
// user (a re-authorization): when login exists, token becomes another
// credential of it and id must match. A new user gets three repositories:
// <login>/hello-world (public, issues #1 open and #2 closed),
// <login>/dotfiles (public) and <login>/notes (private).
func (g *GitHub) AddUser(token, login string, id int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if u := g.logins[strings.ToLower(login)]; u != nil {
		if u.id != id {
			panic(fmt.Sprintf("fakeupstream: user %s exists with id %d, not %d", login, u.id, id))
		}
		g.tokens[token] = u
		return
	}
	u := &ghUser{login: login, id: id}
	g.logins[strings.ToLower(login)] = u
	g.tokens[token] = u
	hello := g.addRepo(u, "hello-world", false, "My first repository on GitHub!")
	g.addIssue(hello, u, "Found a bug", "I'm having a problem with this.", []string{"bug"})
	g.addIssue(hello, u, "Add a README", "", nil).state = "closed"
	g.addRepo(u, "dotfiles", false, "Configuration files")
	g.addRepo(u, "notes", true, "")
}

// AddRepo adds a repository to an existing user, e.g. to page through many.
func (g *GitHub) AddRepo(login, name string, private bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	u := g.logins[strings.ToLower(login)]
	if u == nil {
		panic("fakeupstream: AddRepo for unknown user " + login)
	}
	g.addRepo(u, name, private, "")
}

// RevokeToken makes token unknown, so that requests with it get 401.
func (g *GitHub) RevokeToken(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.tokens, token)
}

func (g *GitHub) next() (int64, time.Time) {
	g.seq++
	return g.seq, epoch.Add(time.Duration(g.seq) * time.Minute)
}

func (g *GitHub) addRepo(u *ghUser, name string, private bool, desc string) *ghRepo {
	n, at := g.next()
	r := &ghRepo{id: 1000 + n, owner: u, name: name, private: private, description: desc, created: at}
	g.repos[strings.ToLower(u.login+"/"+name)] = r
	return r
}

func (g *GitHub) addIssue(r *ghRepo, u *ghUser, title, body string, labels []string) *ghIssue {
	n, at := g.next()
	is := &ghIssue{id: 5000 + n, number: len(r.issues) + 1, title: title, body: body, state: "open",
		user: u, labels: labels, assignees: []string{}, created: at}
	r.issues = append(r.issues, is)
	return is
}

func (g *GitHub) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /user", g.authed(g.getUser))
	mux.HandleFunc("GET /user/repos", g.authed(g.listRepos))
	mux.HandleFunc("GET /repos/{owner}/{repo}", g.authed(g.getRepo))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues", g.authed(g.listIssues))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues", g.authed(g.createIssue))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}", g.authed(g.getIssue))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", g.authed(g.createComment))
	g.moreRoutes(mux) // github_more.go
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { ghWriteError(w, http.StatusNotFound, "Not Found") })
	return mux
}

// authed resolves the token; unknown tokens get GitHub's 401. Responses to
// authenticated requests carry the token's scopes, as GitHub's do.
func (g *GitHub) authed(h func(http.ResponseWriter, *http.Request, *ghUser)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		g.mu.Lock()
		u := g.tokens[tok]
		g.mu.Unlock()
		switch {
		case tok == "":
			ghWriteError(w, http.StatusUnauthorized, "Requires authentication")
		case u == nil:
			ghWriteError(w, http.StatusUnauthorized, "Bad credentials")
		default:
			w.Header().Set("X-OAuth-Scopes", "repo, read:user")
			w.Header().Set("X-Accepted-OAuth-Scopes", "")
			h(w, r, u)
		}
	}
}

func (g *GitHub) getUser(w http.ResponseWriter, _ *http.Request, u *ghUser) {
	ghWriteJSON(w, http.StatusOK, g.userJSON(u, true))
}

func (g *GitHub) listRepos(w http.ResponseWriter, r *http.Request, u *ghUser) {
	q := r.URL.Query()
	typ, vis, aff := q.Get("type"), q.Get("visibility"), q.Get("affiliation")
	if typ != "" && (vis != "" || aff != "") {
		ghWriteError(w, http.StatusUnprocessableEntity, "If you specify visibility or affiliation, you cannot specify type.")
		return
	}
	g.mu.Lock()
	var list []*ghRepo
	for _, repo := range g.repos {
		owned := repo.owner == u
		keep := owned // the fake has no collaborators or organizations
		switch {
		case vis == "public":
			keep = keep && !repo.private
		case vis == "private":
			keep = keep && repo.private
		case typ == "public":
			keep = keep && !repo.private
		case typ == "private":
			keep = keep && repo.private
		case typ == "member":
			keep = false
		}
		if aff != "" && !slices.Contains(strings.Split(aff, ","), "owner") {
			keep = false
		}
		if keep {
			list = append(list, repo)
		}
	}
	g.mu.Unlock()
	sortBy, dir := q.Get("sort"), q.Get("direction")
	if sortBy == "" {
		sortBy = "full_name"
	}
	if dir == "" {
		dir = map[bool]string{true: "asc", false: "desc"}[sortBy == "full_name"]
	}
	slices.SortFunc(list, func(a, b *ghRepo) int {
		c := a.created.Compare(b.created)
		if sortBy == "full_name" {
			c = strings.Compare(strings.ToLower(a.owner.login+"/"+a.name), strings.ToLower(b.owner.login+"/"+b.name))
		}
		if dir == "desc" {
			c = -c
		}
		return c
	})
	from, to := g.paginate(w, r, len(list))
	out := []any{}
	g.mu.Lock()
	for _, repo := range list[from:to] {
		out = append(out, g.repoJSON(repo, u))
	}
	g.mu.Unlock()
	ghWriteJSON(w, http.StatusOK, out)
}

// repo finds a repository visible to u: its own or a public one. Others
// are 404, as on GitHub. The caller holds g.mu.
func (g *GitHub) repo(r *http.Request, u *ghUser) *ghRepo {
	repo := g.repos[strings.ToLower(r.PathValue("owner")+"/"+r.PathValue("repo"))]
	if repo == nil || (repo.private && repo.owner != u) {
		return nil
	}
	return repo
}

func (g *GitHub) getRepo(w http.ResponseWriter, r *http.Request, u *ghUser) {
	g.mu.Lock()
	repo := g.repo(r, u)
	var out any
	if repo != nil {
		out = g.repoJSON(repo, u)
	}
	g.mu.Unlock()
	if repo == nil {
		ghWriteError(w, http.StatusNotFound, "Not Found")
		return
	}
	ghWriteJSON(w, http.StatusOK, out)
}

// paginate applies per_page (default 30, at most 100) and page (default 1)
// to n items, sets GitHub's Link header, and returns the slice bounds.
func (g *GitHub) paginate(w http.ResponseWriter, r *http.Request, n int) (from, to int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max((n+per-1)/per, 1)
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, g.URL(), r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if last > 1 && len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	from = min((page-1)*per, n)
	return from, min(from+per, n)
}

// decodeBody parses a JSON request body as GitHub does: 400 when it is not
// JSON.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		ghWriteError(w, http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}
