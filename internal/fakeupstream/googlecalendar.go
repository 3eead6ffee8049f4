package fakeupstream

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GoogleCalendar is a fake Google Calendar API v3 (www.googleapis.com,
// paths /calendar/v3/...): accounts with OAuth access tokens and their
// scopes, calendar lists, calendars, events (with daily and weekly
// recurrences) and free/busy. It checks what Google checks that a client can
// get wrong — the token and its scopes, the access role on a calendar,
// RFC 3339 times with an offset, orderBy=startTime only with singleEvents,
// start and end of an event, conferenceDataVersion before conferenceData is
// honoured — and answers with Google's error shape:
//
//	{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
//	           "errors": [{"message": "...", "domain": "global", "reason": "..."}]}}
//
// It records every request and can fail requests on demand. It is safe for
// concurrent use.
type GoogleCalendar struct {
	recorder
	srv *httptest.Server

	mu        sync.Mutex
	tokens    map[string]*gcalToken
	accounts  map[string]*gcalAccount  // by email
	calendars map[string]*gcalCalendar // by id
	seq       int
}

type gcalToken struct {
	account *gcalAccount
	scopes  []string
}

type gcalAccount struct {
	email   string
	entries []*gcalEntry // the calendar list, primary first
}

type gcalEntry struct {
	cal     *gcalCalendar
	role    string
	primary bool
}

type gcalCalendar struct {
	id, summary, timeZone string
	events                []map[string]any // insertion order
}

// The calendar access roles, weakest first.
var gcalRoles = []string{"freeBusyReader", "reader", "writerWithoutPrivateAccess", "writer", "owner"}

// gcalEpoch is the fake clock: created and updated stamps are gcalEpoch plus
// one minute per write, so answers are deterministic.
var gcalEpoch = time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)

// GoogleCalendarHolidays is the id of the shared, read-only holiday calendar
// on every account's calendar list (its '#' must be escaped in a path).
const GoogleCalendarHolidays = "en.german#holiday@group.v.calendar.google.com"

// GoogleCalendarScope is the prefix of every Calendar OAuth scope.
const GoogleCalendarScope = "https://www.googleapis.com/auth/"

// NewGoogleCalendar starts a fake Google Calendar on a loopback port. Call
// Close when done.
func NewGoogleCalendar() *GoogleCalendar {
	g := &GoogleCalendar{
		tokens: map[string]*gcalToken{}, accounts: map[string]*gcalAccount{},
		calendars: map[string]*gcalCalendar{},
	}
	g.srv = httptest.NewServer(g.handler())
	return g
}

// URL returns the API root, the equivalent of https://www.googleapis.com.
func (g *GoogleCalendar) URL() string { return g.srv.URL }

// Close shuts the server down.
func (g *GoogleCalendar) Close() { g.srv.Close() }

// AddAccount registers an access token of the account email holding scopes
// (bare names such as "calendar.readonly" or full URLs; none means
// "calendar", full access). Several tokens may belong to one account. A new
// account gets, all in Europe/Berlin in the week of Monday 2024-03-04:
//
//   - its primary calendar (id email, owner) with events "planning"
//     (Mon 10:00-11:00, one attendee), "standup" (daily 09:00-09:15,
//     COUNT=5), "offsite" (all day Thu) and "dentist" (Mon 2024-03-11
//     15:00-16:00);
//   - a calendar "Team" (id team.<local part>@group.calendar.google.com,
//     writer) with "release1" (Tue 14:00-15:00);
//   - GoogleCalendarHolidays (reader) with "march8" (all day Fri, free).
func (g *GoogleCalendar) AddAccount(token, email string, scopes ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(scopes) == 0 {
		scopes = []string{"calendar"}
	}
	for i, s := range scopes {
		if !strings.HasPrefix(s, "https://") {
			scopes[i] = GoogleCalendarScope + s
		}
	}
	a := g.accounts[email]
	if a == nil {
		a = g.seedAccount(email)
	}
	g.tokens[token] = &gcalToken{account: a, scopes: scopes}
}

func (g *GoogleCalendar) seedAccount(email string) *gcalAccount {
	a := &gcalAccount{email: email}
	g.accounts[email] = a
	tz := "Europe/Berlin"
	timed := func(d, from, to string) (map[string]any, map[string]any) {
		return map[string]any{"dateTime": d + "T" + from + ":00+01:00", "timeZone": tz},
			map[string]any{"dateTime": d + "T" + to + ":00+01:00", "timeZone": tz}
	}
	primary := &gcalCalendar{id: email, summary: email, timeZone: tz}
	s, e := timed("2024-03-04", "10:00", "11:00")
	g.seedEvent(primary, email, map[string]any{"id": "planning", "summary": "Planning meeting", "description": "Quarterly planning.",
		"location": "Room 1", "start": s, "end": e,
		"attendees": []any{map[string]any{"email": email, "organizer": true, "self": true, "responseStatus": "accepted"},
			map[string]any{"email": "bob@example.com", "responseStatus": "needsAction"}}})
	s, e = timed("2024-03-04", "09:00", "09:15")
	g.seedEvent(primary, email, map[string]any{"id": "standup", "summary": "Daily standup", "start": s, "end": e,
		"recurrence": []any{"RRULE:FREQ=DAILY;COUNT=5"}})
	g.seedEvent(primary, email, map[string]any{"id": "offsite", "summary": "Company offsite",
		"start": map[string]any{"date": "2024-03-07"}, "end": map[string]any{"date": "2024-03-08"}})
	s, e = timed("2024-03-11", "15:00", "16:00")
	g.seedEvent(primary, email, map[string]any{"id": "dentist", "summary": "Dentist", "start": s, "end": e})
	local, _, _ := strings.Cut(email, "@")
	team := &gcalCalendar{id: "team." + local + "@group.calendar.google.com", summary: "Team", timeZone: tz}
	s, e = timed("2024-03-05", "14:00", "15:00")
	g.seedEvent(team, email, map[string]any{"id": "release1", "summary": "Release review", "start": s, "end": e})
	holidays := g.calendars[GoogleCalendarHolidays]
	if holidays == nil {
		holidays = &gcalCalendar{id: GoogleCalendarHolidays, summary: "Holidays in Germany", timeZone: tz}
		g.seedEvent(holidays, GoogleCalendarHolidays, map[string]any{"id": "march8", "summary": "International Women's Day",
			"start": map[string]any{"date": "2024-03-08"}, "end": map[string]any{"date": "2024-03-09"}, "transparency": "transparent"})
	}
	for _, c := range []*gcalCalendar{primary, team, holidays} {
		g.calendars[c.id] = c
	}
	a.entries = []*gcalEntry{{cal: primary, role: "owner", primary: true}, {cal: team, role: "writer"}, {cal: holidays, role: "reader"}}
	return a
}

func (g *GoogleCalendar) seedEvent(c *gcalCalendar, organizer string, ev map[string]any) {
	g.stamp(c, ev, organizer)
	c.events = append(c.events, ev)
}

// stamp fills the server-set fields of a new event.
func (g *GoogleCalendar) stamp(c *gcalCalendar, ev map[string]any, creator string) {
	now := g.tick()
	id := ev["id"].(string)
	ev["kind"], ev["etag"], ev["status"] = "calendar#event", `"`+strconv.Itoa(g.seq)+`"`, "confirmed"
	ev["htmlLink"] = "https://www.google.com/calendar/event?eid=" + base64.RawURLEncoding.EncodeToString([]byte(id+" "+c.id))
	ev["created"], ev["updated"] = now, now
	ev["creator"] = map[string]any{"email": creator}
	ev["organizer"] = map[string]any{"email": c.id, "displayName": c.summary}
	ev["iCalUID"], ev["sequence"], ev["eventType"] = id+"@google.com", 0, "default"
	ev["reminders"] = map[string]any{"useDefault": true}
}

func (g *GoogleCalendar) tick() string {
	g.seq++
	return gcalEpoch.Add(time.Duration(g.seq) * time.Minute).Format("2006-01-02T15:04:05.000Z")
}

// GoogleCalendarError returns a Google API error body, for Fail: code is
// the HTTP status, reason the errors[0].reason (rateLimitExceeded,
// notFound, …).
func GoogleCalendarError(code int, reason, message string) string {
	data, _ := json.Marshal(gcalErrorDoc(&gcalError{code, reason, message}))
	return string(data)
}

type gcalError struct {
	code            int
	reason, message string
}

var gcalStatus = map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
	409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}

func gcalErrorDoc(e *gcalError) map[string]any {
	domain := "global"
	switch e.reason {
	case "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded":
		domain = "usageLimits"
	case "timeRangeEmpty", "requiredAccessLevel":
		domain = "calendar"
	}
	return googleErrorDoc(e.code, gcalStatus[e.code], e.message, domain, e.reason)
}

func gcalFail(w http.ResponseWriter, e *gcalError) { writeGoogleJSON(w, e.code, gcalErrorDoc(e)) }

func gcalBad(format string, args ...any) *gcalError {
	return &gcalError{http.StatusBadRequest, "badRequest", fmt.Sprintf(format, args...)}
}

var gcalNotFound = &gcalError{http.StatusNotFound, "notFound", "Not Found"}

// The scopes each group of methods accepts, per the API reference.
var (
	gcalScopesCalendarList = []string{"calendar", "calendar.readonly", "calendar.calendarlist", "calendar.calendarlist.readonly"}
	gcalScopesCalendars    = []string{"calendar", "calendar.readonly", "calendar.calendars", "calendar.calendars.readonly", "calendar.app.created"}
	gcalScopesEventsRead   = []string{"calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly", "calendar.events.owned", "calendar.events.owned.readonly", "calendar.app.created"}
	gcalScopesEventsWrite  = []string{"calendar", "calendar.events", "calendar.events.owned", "calendar.app.created"}
	gcalScopesFreeBusy     = []string{"calendar", "calendar.readonly", "calendar.events.freebusy", "calendar.freebusy"}
)

type gcalHandler func(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError

// handler records the request, applies injected failures, then routes.
func (g *GoogleCalendar) handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, scopes []string, h gcalHandler) {
		mux.HandleFunc(pattern, g.authorized(scopes, h))
	}
	const cal, ev = "/calendar/v3/calendars/{calendarId}", "/calendar/v3/calendars/{calendarId}/events/{eventId}"
	route("GET /calendar/v3/users/me/calendarList", gcalScopesCalendarList, g.listCalendarList)
	route("GET /calendar/v3/users/me/calendarList/{calendarId}", gcalScopesCalendarList, g.getCalendarListEntry)
	route("GET "+cal, gcalScopesCalendars, g.getCalendar)
	route("GET "+cal+"/events", gcalScopesEventsRead, g.listEvents)
	route("POST "+cal+"/events", gcalScopesEventsWrite, g.insertEvent)
	route("GET "+ev, gcalScopesEventsRead, g.getEvent)
	route("PATCH "+ev, gcalScopesEventsWrite, g.patchEvent)
	route("DELETE "+ev, gcalScopesEventsWrite, g.deleteEvent)
	route("POST /calendar/v3/freeBusy", gcalScopesFreeBusy, g.freeBusy)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { gcalFail(w, gcalNotFound) })
	return g.record(25<<20, mux)
}

// authorized checks the access token and its scopes as Google does before
// any method runs, then serves h under the lock.
func (g *GoogleCalendar) authorized(scopes []string, h gcalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		tok := g.tokens[bearer(r)]
		switch {
		case bearer(r) == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
			gcalFail(w, &gcalError{401, "required", "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential."})
			return
		case tok == nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
			gcalFail(w, &gcalError{401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."})
			return
		}
		accepted := make([]string, len(scopes))
		ok := false
		for i, s := range scopes {
			accepted[i] = GoogleCalendarScope + s
			ok = ok || slices.Contains(tok.scopes, accepted[i])
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="%s"`, strings.Join(accepted, " ")))
			gcalFail(w, &gcalError{403, "insufficientPermissions", "Request had insufficient authentication scopes."})
			return
		}
		if e := h(w, r, tok.account); e != nil {
			gcalFail(w, e)
		}
	}
}
