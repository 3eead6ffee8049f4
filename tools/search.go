package tools

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Index ranks a catalog's tools for a request in people's words ("archive
// this message", "move the standup to 10am"). It is a small BM25 index of
// our own rather than a search library: the corpus is a few hundred short
// documents known at start, and what matters is the vocabulary of these
// services (mail/email/message, ticket/issue, PR/pull request…), which a
// general-purpose engine would need the same tables for. Built once,
// read-only afterwards: safe for concurrent use.
type Index struct {
	docs     []searchDoc
	postings map[string][]int // term → the documents holding it
	avgDL    float64
}

// searchDoc is one tool: its weighted term frequencies and length.
type searchDoc struct {
	tool   *Tool
	tf     map[string]float64
	length float64
	// action is the stem of the verb in the tool's name (UPDATE in
	// GOOGLECALENDAR_UPDATE_EVENT): what the tool does, which a request's
	// verb says more reliably than any other word.
	action string
	// named holds the terms of the tool's name and title.
	named map[string]bool
}

// Field weights: a word in the tool's name or title says more about what
// it does than one in its description or an argument's.
const (
	weightName      = 3.0
	weightToolkit   = 2.0
	weightArgName   = 1.5
	weightText      = 1.0
	weightArgText   = 0.3
	weightRest      = 0.3
	bm25K1          = 1.2
	bm25B           = 0.75
	toolkitBoost    = 1.5 // a query naming the service prefers its tools
	actionBoost     = 0.8 // and one whose verb is the tool's action, that tool
	pluralHint      = 0.5 // a plural object ("my repos") hints at a listing
	nameBoost       = 0.5 // the share of the request's own words in the tool's name
	synonymDiscount = 0.7 // a term reached through a synonym counts less
)

// NewIndex indexes tools.
func NewIndex(tools []*Tool) *Index {
	ix := &Index{postings: map[string][]int{}}
	var total float64
	for _, t := range tools {
		d := searchDoc{tool: t, tf: map[string]float64{}}
		if parts := strings.Split(t.Name, "_"); len(parts) > 1 {
			d.action = stem(strings.ToLower(parts[1]))
		}
		add := func(text string, w float64) {
			for _, term := range terms(text) {
				d.tf[term] += w
				d.length += w
			}
		}
		add(strings.ReplaceAll(t.Name, "_", " "), weightName)
		add(t.Title, weightName)
		d.named = map[string]bool{}
		for _, term := range terms(strings.ReplaceAll(t.Name, "_", " ") + " " + t.Title) {
			d.named[term] = true
		}
		if t.kit != nil {
			add(t.kit.Slug+" "+t.kit.Name, weightToolkit)
		} else {
			add(t.Toolkit, weightToolkit)
		}
		summary, rest, _ := strings.Cut(t.Description, ". ")
		add(summary, weightText)
		add(rest, weightRest)
		for name, desc := range schemaArguments(t.InputSchema) {
			add(strings.ReplaceAll(name, "_", " "), weightArgName)
			add(desc, weightArgText)
		}
		for term := range d.tf {
			ix.postings[term] = append(ix.postings[term], len(ix.docs))
		}
		total += d.length
		ix.docs = append(ix.docs, d)
	}
	if len(ix.docs) > 0 {
		ix.avgDL = total / float64(len(ix.docs))
	}
	return ix
}

// Hit is a tool and its score for a query.
type Hit struct {
	Tool  *Tool
	Score float64
}

// Search returns up to limit tools that keep passes (nil keeps all), best
// first; tools that share no term with the query are left out.
func (ix *Index) Search(query string, keep func(*Tool) bool, limit int) []Hit {
	words := queryTerms(query)
	q := expand(words)
	if strings.Contains(query, "#") {
		q["channel"] = max(q["channel"], 1) // #design: a Slack channel
		words = append(words, "slack")
	}
	if plural(query) {
		q["list"] = max(q["list"], pluralHint)
	}
	mentioned := map[string]bool{}
	for _, w := range words {
		mentioned[w] = true
		if tk, ok := toolkitWords[w]; ok {
			mentioned[tk] = true
		}
	}
	n := float64(len(ix.docs))
	scores := map[int]float64{}
	for term, qw := range q {
		docs := ix.postings[term]
		df := float64(len(docs))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, i := range docs {
			d := &ix.docs[i]
			tf := d.tf[term]
			scores[i] += qw * idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*d.length/ix.avgDL))
		}
	}
	hits := make([]Hit, 0, len(scores))
	for i, score := range scores {
		d := &ix.docs[i]
		if keep != nil && !keep(d.tool) {
			continue
		}
		if mentioned[d.tool.Toolkit] {
			score *= toolkitBoost
		}
		if w := q[d.action]; w > 0 {
			score *= 1 + actionBoost*w
		}
		named := 0
		for _, w := range words {
			if d.named[w] {
				named++
			}
		}
		if len(words) > 0 {
			score *= 1 + nameBoost*float64(named)/float64(len(words))
		}
		hits = append(hits, Hit{Tool: d.tool, Score: score})
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Tool.Name < hits[j].Tool.Name
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// queryTerms is terms for a request, with the words people use for a
// tool's action rewritten to the catalog's (find → search).
func queryTerms(query string) []string {
	var out []string
	for _, t := range terms(query) {
		if r, ok := rewrites[t]; ok {
			out = append(out, r...)
			continue
		}
		out = append(out, t)
	}
	return out
}

// rewrites replace a request's word by the catalog's where keeping the
// word itself would mislead: "find" names a Slack lookup by email, while a
// person who says "find" means search.
var rewrites = map[string][]string{
	"find": {"search"}, "lookup": {"search"},
	// Short forms that are also argument names (owner/repo) would match
	// every tool of a repository; the long form names the thing.
	"repo": {"repository"}, "pr": {"pull", "request"},
}

// plural reports whether the request names things in the plural ("my
// repos", "open PRs"), which hints at a listing rather than one item.
func plural(query string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(query), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !stopWords[w] && !verbLike[w] {
			return true
		}
	}
	return false
}

// verbLike are words ending in s that are not plural nouns in requests.
var verbLike = setOf("does", "has", "was", "is", "says", "this", "its", "yes", "always", "across", "gmails", "wants", "needs", "needs")

// schemaArguments returns the top-level properties of a JSON Schema with
// their descriptions.
func schemaArguments(raw json.RawMessage) map[string]string {
	var s struct {
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(raw, &s)
	out := map[string]string{}
	for name, p := range s.Properties {
		out[name] = p.Description
	}
	return out
}

// terms splits text into normalized search terms: lower case, letters and
// digits, stop words dropped, each reduced to a stem.
func terms(text string) []string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	out := words[:0]
	for _, w := range words {
		if stopWords[w] || len(w) < 2 {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// stem folds the word forms people and descriptions mix: plurals and the
// commonest verb endings. It only needs to map forms of one word together,
// not to produce a real root.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && (strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "xes")):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return strings.TrimSuffix(w[:len(w)-3], "e")
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		return strings.TrimSuffix(w[:len(w)-2], "e")
	case len(w) > 3 && strings.HasSuffix(w, "e"):
		return w[:len(w)-1]
	}
	return w
}

// expand weighs the query's terms, adding the words people use for the
// same thing in these services at a discount.
func expand(query []string) map[string]float64 {
	out := map[string]float64{}
	for _, term := range query {
		out[term] = max(out[term], 1)
		for _, syn := range synonyms[term] {
			for _, s := range terms(syn) {
				out[s] = max(out[s], synonymDiscount)
			}
		}
	}
	return out
}

// stopWords carry no meaning for choosing a tool.
var stopWords = setOf("a", "an", "the", "to", "of", "in", "on", "at", "for", "from", "by", "with", "and", "or",
	"is", "are", "was", "be", "it", "its", "this", "that", "these", "those", "my", "me", "mine", "our", "we", "us",
	"you", "your", "i", "who", "how", "did", "do", "does", "can", "could", "please", "some",
	"about", "up", "out", "into", "all", "there", "here", "then", "than", "so", "if", "as", "just", "also", "get",
	"yet", "don", "t", "s", "ll", "re", "ve", "d", "m", "have", "has", "had", "am", "pm", "oh", "saying", "where", "whole",
	"under", "over", "next", "last", "exist", "exists", "using", "logged", "waiting", "people", "everyone", "someone",
	"today", "yesterday", "tomorrow", "now", "soon", "later", "one", "two", "three")

func setOf(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

// synonyms maps a query term (a stem, see stem) to the words the catalog
// uses for the same thing in these services. Expansion goes one way: a
// request to "move" a meeting wants "update", not the reverse.
var synonyms = func() map[string][]string {
	table := map[string][]string{
		// What people do.
		"move": {"update", "change"}, "reschedule": {"update", "change", "event"}, "postpone": {"update", "event"},
		"change": {"update", "modify"}, "edit": {"update", "modify"}, "rename": {"update", "title"},
		"assign": {"update", "assignee"}, "close": {"update", "state", "closed"}, "reopen": {"update", "state", "open"},
		"mark": {"modify", "label"}, "set": {"update"},
		"book": {"create", "event"}, "schedule": {"create", "event"}, "plan": {"create", "event"}, "arrange": {"create", "event"},
		"make": {"create"}, "file": {"create"}, "raise": {"create"}, "new": {"create"}, "write": {"create", "compose"},
		"log": {"create"}, "start": {"create"},
		"cancel": {"delete"}, "remove": {"delete", "remove"}, "drop": {"delete"}, "throw": {"trash", "delete"},
		"discard": {"trash", "delete"}, "bin": {"trash"},
		"show": {"list", "get", "read"}, "which": {"list"}, "what": {"list", "get"}, "any": {"list", "search"}, "see": {"list", "get"},
		"look": {"search", "find"}, "locate": {"search", "find"},
		"mention": {"search"}, "mentioning": {"search"},
		"read": {"get", "read", "content"}, "detail": {"get"}, "view": {"get", "read"}, "check": {"get"},
		"open": {"open", "state"}, "say": {"message", "content"},
		"send": {"send"}, "email": {"email", "gmail"}, "mail": {"email", "message", "gmail"},
		"post": {"post", "message"}, "announce": {"post", "message"}, "tell": {"post", "send", "message"},
		"ping": {"post", "message"}, "answer": {"reply"}, "respond": {"reply"},
		"comment": {"comment"}, "leave": {"create", "add"}, "note": {"comment", "page"}, "remark": {"comment"},
		"react": {"reaction", "emoji"}, "thumb": {"reaction", "emoji"}, "like": {"reaction"}, "upvote": {"reaction"},
		"archive": {"remove", "inbox", "label", "modify"}, "unread": {"unread", "list", "query"},
		"touch": {"file", "change"}, "share": {"post", "message", "search"},
		// What they do it to.
		"folder": {"label"}, "tag": {"label"},
		"ticket": {"issue"}, "bug": {"issue"}, "crash": {"issue"}, "problem": {"issue"}, "task": {"issue"},
		"meeting": {"event"}, "appointment": {"event"}, "standup": {"event"}, "offsite": {"event"}, "sync": {"event"},
		"call": {"event"}, "lunch": {"event", "thread"},
		"afternoon": {"event", "time", "range"}, "morning": {"event", "time", "range"}, "week": {"time", "range"},

		"free": {"free", "busy"}, "available": {"free", "busy"}, "availability": {"free", "busy"},
		"doc": {"page", "notion"}, "wiki": {"page", "notion"}, "paragraph": {"block", "append"},
		"row": {"row", "database", "page"}, "table": {"data", "source", "database"},
		"repo": {"repository"}, "project": {"repository"}, "pr": {"pull", "request"},
		"dm": {"direct", "message", "conversation"}, "channel": {"channel", "conversation", "slack"},
		"announcement": {"message"}, "message": {"message"}, "conversation": {"thread", "conversation"},
		"thread": {"thread"}, "reply": {"reply", "thread"},
		"teammate": {"user", "member"}, "colleague": {"user", "member"}, "person": {"user", "member"},
		"account": {"profile", "authenticated"}, "address": {"email", "profile"}, "whoami": {"authenticated", "profile"},
		"notification": {"notification"}, "inbox": {"message", "inbox"},
		"team": {"team"}, "calendar": {"calendar"}, "database": {"database", "data", "source"},
	}
	m := map[string][]string{}
	for k, v := range table {
		for _, key := range terms(k) {
			m[key] = append(m[key], v...)
		}
	}
	for k, v := range m {
		slices.Sort(v)
		m[k] = slices.Compact(v)
	}
	return m
}()

// toolkitWords are words that name a service without naming its toolkit
// ("my calendar", "an email"): a query holding one prefers its tools.
var toolkitWords = map[string]string{
	"calendar": "googlecalendar", "event": "googlecalendar", "meeting": "googlecalendar",
	"email": "gmail", "mail": "gmail", "inbox": "gmail", "gmail": "gmail",
	"slack": "slack", "channel": "slack",
	"github": "github", "repo": "github", "repository": "github", "pr": "github",
	"notion": "notion", "linear": "linear",
}
