package tools_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"switchboard/tools"
)

// searchCases are requests as people make them, in their words rather
// than the catalog's, each with the tool that serves it. Where two tools
// could do, the request names the service, as a person would.
var searchCases = []struct{ query, want string }{
	{"move the standup to 10am", "GOOGLECALENDAR_UPDATE_EVENT"},
	{"archive this message", "GMAIL_MODIFY_MESSAGE_LABELS"},
	{"what did people say in #design today", "SLACK_GET_CHANNEL_HISTORY"},
	{"email bob the quarterly numbers", "GMAIL_SEND_EMAIL"},
	{"answer the email thread from the landlord", "GMAIL_REPLY_TO_EMAIL"},
	{"write up a draft to the team, don't send it yet", "GMAIL_CREATE_DRAFT"},
	{"mark the newsletter as read", "GMAIL_MODIFY_MESSAGE_LABELS"},
	{"throw away that spam mail", "GMAIL_TRASH_MESSAGE"},
	{"any unread mail from my boss?", "GMAIL_LIST_MESSAGES"},
	{"show me the whole email conversation about the lease", "GMAIL_GET_THREAD"},
	{"which gmail address am I using", "GMAIL_GET_PROFILE"},
	{"what folders do I have in gmail", "GMAIL_LIST_LABELS"},
	{"book a meeting with Sam on Friday", "GOOGLECALENDAR_CREATE_EVENT"},
	{"cancel my 3pm appointment", "GOOGLECALENDAR_DELETE_EVENT"},
	{"when is everyone free next week", "GOOGLECALENDAR_FIND_FREE_BUSY"},
	{"what's on my calendar this afternoon", "GOOGLECALENDAR_LIST_EVENTS"},
	{"which calendars do I have", "GOOGLECALENDAR_LIST_CALENDARS"},
	{"details of the offsite event", "GOOGLECALENDAR_GET_EVENT"},
	{"file a github issue for the crash on startup", "GITHUB_CREATE_ISSUE"},
	{"close the github issue about dark mode", "GITHUB_UPDATE_ISSUE"},
	{"leave a comment on the PR saying LGTM", "GITHUB_CREATE_ISSUE_COMMENT"},
	{"which files did that pull request touch", "GITHUB_LIST_PULL_REQUEST_FILES"},
	{"open PRs in the api repo", "GITHUB_LIST_PULL_REQUESTS"},
	{"show me my repos", "GITHUB_LIST_REPOSITORIES"},
	{"find open source projects about vector databases on github", "GITHUB_SEARCH_REPOSITORIES"},
	{"read the README in the frontend repo", "GITHUB_GET_FILE_CONTENTS"},
	{"what github notifications are waiting for me", "GITHUB_LIST_NOTIFICATIONS"},
	{"who am I logged in as on github", "GITHUB_GET_AUTHENTICATED_USER"},
	{"search github for bugs mentioning timeout across all repos", "GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS"},
	{"is the pull request mergeable yet", "GITHUB_GET_PULL_REQUEST"},
	{"post in #general that the deploy is done", "SLACK_POST_MESSAGE"},
	{"reply in the slack thread about lunch", "SLACK_REPLY_IN_THREAD"},
	{"give the announcement a thumbs up", "SLACK_ADD_REACTION"},
	{"find the slack message where Dana shared the budget", "SLACK_SEARCH_MESSAGES"},
	{"which slack channels can I see", "SLACK_LIST_CONVERSATIONS"},
	{"look up the slack user with jane@acme.com", "SLACK_FIND_USER_BY_EMAIL"},
	{"read all the replies under that slack post", "SLACK_GET_THREAD_REPLIES"},
	{"make a linear ticket for the billing bug", "LINEAR_CREATE_ISSUE"},
	{"assign ENG-42 to me in linear", "LINEAR_UPDATE_ISSUE"},
	{"what teams exist in linear", "LINEAR_LIST_TEAMS"},
	{"find linear tickets mentioning checkout", "LINEAR_SEARCH_ISSUES"},
	{"add a note to the linear task ENG-7", "LINEAR_CREATE_COMMENT"},
	{"find the onboarding doc in notion", "NOTION_SEARCH"},
	{"add a paragraph to the notion page", "NOTION_APPEND_BLOCKS"},
	{"read what the notion page says", "NOTION_GET_BLOCK_CHILDREN"},
	{"add a row to the roadmap database in notion", "NOTION_CREATE_PAGE"},
	{"which rows of the notion tasks table are overdue", "NOTION_QUERY_DATA_SOURCE"},
}

// TestSearchQuality runs the requests through the index of the built-in
// catalog: the right tool must be in the top 3 for at least 90% of them
// and first for at least 70%. It prints the figures and every miss.
func TestSearchQuality(t *testing.T) {
	c, err := tools.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ix := tools.NewIndex(c.Tools())
	first, top3 := 0, 0
	for _, tc := range searchCases {
		if c.Tool(tc.want) == nil {
			t.Fatalf("case %q wants unknown tool %s", tc.query, tc.want)
		}
		hits := ix.Search(tc.query, nil, 3)
		rank := -1
		var got []string
		for i, h := range hits {
			got = append(got, h.Tool.Name)
			if h.Tool.Name == tc.want {
				rank = i
			}
		}
		switch {
		case rank == 0:
			first++
			top3++
		case rank > 0:
			top3++
			t.Logf("rank %d: %q → %v", rank+1, tc.query, got)
		default:
			t.Logf("miss: %q → %v, want %s", tc.query, got, tc.want)
		}
	}
	n := len(searchCases)
	t.Logf("%d requests: first %d (%.0f%%), top 3 %d (%.0f%%)", n, first, 100*float64(first)/float64(n), top3, 100*float64(top3)/float64(n))
	if n < 40 {
		t.Errorf("only %d requests; the bar is at least 40", n)
	}
	if float64(top3) < 0.9*float64(n) || float64(first) < 0.7*float64(n) {
		t.Errorf("below the bar: first %d/%d (need 70%%), top 3 %d/%d (need 90%%)", first, n, top3, n)
	}
}

func TestSearchFilterAndLimit(t *testing.T) {
	c, err := tools.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ix := tools.NewIndex(c.Tools())
	hits := ix.Search("create an issue", func(tl *tools.Tool) bool { return tl.Toolkit == "linear" }, 2)
	if len(hits) != 2 || !slices.Contains(names(hits), "LINEAR_CREATE_ISSUE") {
		t.Errorf("hits = %s", names(hits))
	}
	for _, h := range hits {
		if h.Tool.Toolkit != "linear" {
			t.Errorf("filter let through %s", h.Tool.Name)
		}
	}
	if hits := ix.Search("zzzz qqqq", nil, 5); len(hits) != 0 {
		t.Errorf("nonsense matched %v", hits)
	}
	if hits := ix.Search("", nil, 5); len(hits) != 0 {
		t.Errorf("an empty query matched %v", hits)
	}
}

// BenchmarkSearch500 searches an index of about 500 tools (the catalog
// repeated under other toolkit names) and reports the p50 of one search.
func BenchmarkSearch500(b *testing.B) {
	c, err := tools.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	var many []*tools.Tool
	for i := 0; len(many) < 500; i++ {
		for _, t := range c.Tools() {
			cp := *t
			cp.Name = fmt.Sprintf("%s_%d", t.Name, i)
			cp.Toolkit = fmt.Sprintf("%s%d", t.Toolkit, i)
			many = append(many, &cp)
		}
	}
	ix := tools.NewIndex(many[:500])
	queries := make([]string, len(searchCases))
	for i, tc := range searchCases {
		queries[i] = tc.query
	}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ix.Search(queries[i%len(queries)], nil, 5)
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	if len(durations) > 0 {
		slices.Sort(durations)
		b.ReportMetric(float64(durations[len(durations)/2].Microseconds()), "p50_µs")
		b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds()), "p99_µs")
	}
}

func names(hits []tools.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Tool.Name)
	}
	return out
}
