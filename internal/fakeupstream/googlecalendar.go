package fakeupstream

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // event time zones must resolve on machines without zoneinfo
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
	srv *httptest.Server

	mu        sync.Mutex
	tokens    map[string]*gcalToken
	accounts  map[string]*gcalAccount  // by email
	calendars map[string]*gcalCalendar // by id
	seq       int
	requests  []Request
	failures  map[string][]*failure // by path
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
		calendars: map[string]*gcalCalendar{}, failures: map[string][]*failure{},
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

// Requests returns a copy of every request received since the start or the
// last Reset, oldest first.
func (g *GoogleCalendar) Requests() []Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Request, len(g.requests))
	for i, r := range g.requests {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// Reset forgets the recorded requests and pending failures; accounts,
// calendars and events stay.
func (g *GoogleCalendar) Reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = nil
	g.failures = map[string][]*failure{}
}

// Fail makes the next times requests on path (exact decoded URL path, any
// method) answer status with header and body instead of being served;
// status 0 drops the connection. GoogleCalendarError builds a body of
// Google's shape. Calls queue up per path.
func (g *GoogleCalendar) Fail(path string, status int, header http.Header, body string, times int) {
	if times <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failures[path] = append(g.failures[path], &failure{status: status, header: header.Clone(), body: body, times: times})
}

func (g *GoogleCalendar) nextFailure(path string) *failure {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.failures[path]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if f.times--; f.times == 0 {
		g.failures[path] = q[1:]
	}
	return f
}

// GoogleCalendarError returns a Google API error body: code is the HTTP
// status, reason the errors[0].reason (rateLimitExceeded, notFound, …).
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
	body := map[string]any{"code": e.code, "message": e.message,
		"errors": []any{map[string]any{"message": e.message, "domain": domain, "reason": e.reason}}}
	if s, ok := gcalStatus[e.code]; ok {
		body["status"] = s
	}
	return map[string]any{"error": body}
}

func gcalWriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func gcalFail(w http.ResponseWriter, e *gcalError) { gcalWriteJSON(w, e.code, gcalErrorDoc(e)) }

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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 25<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		g.mu.Lock()
		g.requests = append(g.requests, Request{
			Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Token: bearer(r), Header: r.Header.Clone(), Body: string(body),
		})
		g.mu.Unlock()
		if f := g.nextFailure(r.URL.Path); f != nil {
			if f.status == 0 {
				drop(w)
				return
			}
			for k, v := range f.header {
				w.Header()[k] = v
			}
			w.WriteHeader(f.status)
			io.WriteString(w, f.body)
			return
		}
		mux.ServeHTTP(w, r)
	})
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

// entry returns a's calendar-list entry for id ("primary" is a's own).
func (a *gcalAccount) entry(id string) *gcalEntry {
	for _, e := range a.entries {
		if e.cal.id == id || (id == "primary" && e.primary) {
			return e
		}
	}
	return nil
}

// calendar returns the entry of calendar id on a's list when a's role is at
// least min: 404 when a cannot read it, 403 when a cannot write it.
func (a *gcalAccount) calendar(id, min string) (*gcalEntry, *gcalError) {
	e := a.entry(id)
	if e == nil {
		return nil, gcalNotFound
	}
	if slices.Index(gcalRoles, e.role) < slices.Index(gcalRoles, min) {
		if min == "reader" {
			return nil, gcalNotFound
		}
		return nil, &gcalError{403, "requiredAccessLevel", "You need to have writer access to this calendar."}
	}
	return e, nil
}

func (e *gcalEntry) resource() map[string]any {
	m := map[string]any{"kind": "calendar#calendarListEntry", "etag": `"` + e.cal.id + `"`, "id": e.cal.id,
		"summary": e.cal.summary, "timeZone": e.cal.timeZone, "accessRole": e.role, "selected": true,
		"backgroundColor": "#9fe1e7", "foregroundColor": "#000000", "defaultReminders": []any{},
		"conferenceProperties": map[string]any{"allowedConferenceSolutionTypes": []any{"hangoutsMeet"}}}
	if e.primary {
		m["primary"] = true
	}
	return m
}

func (g *GoogleCalendar) listCalendarList(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	q := r.URL.Query()
	min := q.Get("minAccessRole")
	if min != "" && !slices.Contains(gcalRoles, min) {
		return gcalBad("Invalid value for minAccessRole: %s", min)
	}
	var items []any
	for _, e := range a.entries {
		if min == "" || slices.Index(gcalRoles, e.role) >= slices.Index(gcalRoles, min) {
			items = append(items, e.resource())
		}
	}
	page, next, err := gcalPage(items, q, 100, 250)
	if err != nil {
		return err
	}
	out := map[string]any{"kind": "calendar#calendarList", "etag": `"list"`, "items": page}
	gcalWriteJSON(w, 200, gcalWithToken(out, next))
	return nil
}

func (g *GoogleCalendar) getCalendarListEntry(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	e := a.entry(r.PathValue("calendarId"))
	if e == nil {
		return gcalNotFound
	}
	gcalWriteJSON(w, 200, e.resource())
	return nil
}

func (g *GoogleCalendar) getCalendar(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	e, err := a.calendar(r.PathValue("calendarId"), "reader")
	if err != nil {
		return err
	}
	c := e.cal
	gcalWriteJSON(w, 200, map[string]any{"kind": "calendar#calendar", "etag": `"` + c.id + `"`, "id": c.id, "summary": c.summary,
		"timeZone": c.timeZone, "conferenceProperties": map[string]any{"allowedConferenceSolutionTypes": []any{"hangoutsMeet"}}})
	return nil
}

// gcalPage cuts items at the offset named by the query's pageToken, to
// maxResults (default def, capped at max), and returns the next token.
func gcalPage(items []any, q map[string][]string, def, max int) ([]any, string, *gcalError) {
	size := def
	if v := first(q["maxResults"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, "", gcalBad("Invalid value '%s'. Values must be within the range: [1, %d]", v, max)
		}
		size = min(n, max)
	}
	start := 0
	if tok := first(q["pageToken"]); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || err2 != nil || n < 0 || n > len(items) {
			return nil, "", gcalBad("Invalid page token value.")
		}
		start = n
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))
	}
	return append([]any{}, items[start:end]...), next, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// gcalWithToken adds nextPageToken, or Google's nextSyncToken on the last page.
func gcalWithToken(out map[string]any, next string) map[string]any {
	if next != "" {
		out["nextPageToken"] = next
	} else {
		out["nextSyncToken"] = "sync-token"
	}
	return out
}

// gcalEventFields are the members of an Event resource; Google refuses a
// body with any other ("Unknown name").
var gcalEventFields = strings.Fields(`anyoneCanAddSelf attachments attendees attendeesOmitted birthdayProperties colorId
	conferenceData created creator description end endTimeUnspecified etag eventType extendedProperties focusTimeProperties
	gadget guestsCanInviteOthers guestsCanModify guestsCanSeeOtherGuests hangoutLink htmlLink iCalUID id kind location locked
	organizer originalStartTime outOfOfficeProperties privateCopy recurrence recurringEventId reminders sequence source start
	status summary transparency updated visibility workingLocationProperties`)

func gcalUnknownName(name string) *gcalError {
	return gcalBad(`Invalid JSON payload received. Unknown name "%s": Cannot find field.`, name)
}

// gcalLoc resolves a time zone name; "" is UTC.
func gcalLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// gcalTime parses an EventDateTime ({date} or {dateTime, timeZone?}) and
// rewrites its dateTime as RFC 3339 with the offset of its zone, as Google
// stores it. Dates are midnight in calTZ.
func gcalTime(v any, which, calTZ string) (time.Time, bool, *gcalError) {
	m, _ := v.(map[string]any)
	date, _ := m["date"].(string)
	dt, _ := m["dateTime"].(string)
	tz, _ := m["timeZone"].(string)
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			return time.Time{}, false, gcalBad("Invalid time zone definition for %s time.", which)
		}
	}
	switch {
	case date != "" && dt != "":
		return time.Time{}, false, gcalBad("Invalid %s time.", which)
	case date != "":
		t, err := time.ParseInLocation(time.DateOnly, date, gcalLoc(calTZ))
		if err != nil {
			return time.Time{}, false, gcalBad("Invalid %s time.", which)
		}
		return t, true, nil
	case dt != "":
		t, err := time.Parse(time.RFC3339, dt)
		if err != nil {
			if tz == "" {
				return time.Time{}, false, gcalBad("Missing time zone definition for %s time.", which)
			}
			if t, err = time.ParseInLocation("2006-01-02T15:04:05", dt, gcalLoc(tz)); err != nil {
				return time.Time{}, false, gcalBad("Invalid %s time.", which)
			}
		}
		zone := tz
		if zone == "" {
			zone = calTZ
		}
		m["dateTime"] = t.In(gcalLoc(zone)).Format(time.RFC3339)
		return t, false, nil
	}
	return time.Time{}, false, gcalBad("Missing %s time.", which)
}

// gcalCheck validates an event as insert and patch do, normalizing times.
func gcalCheck(ev map[string]any, calTZ string) *gcalError {
	for k := range ev {
		if !slices.Contains(gcalEventFields, k) {
			return gcalUnknownName(k)
		}
	}
	s, sAll, err := gcalTime(ev["start"], "start", calTZ)
	if err != nil {
		return err
	}
	e, eAll, err := gcalTime(ev["end"], "end", calTZ)
	if err != nil {
		return err
	}
	if sAll != eAll {
		return gcalBad("Start and end times must either both be date or both be dateTime.")
	}
	if !e.After(s) {
		return &gcalError{400, "timeRangeEmpty", "The specified time range is empty."}
	}
	if start, _ := ev["start"].(map[string]any); ev["recurrence"] != nil && !sAll && start["timeZone"] == nil {
		return gcalBad("Missing time zone definition for start time.")
	}
	list, _ := ev["attendees"].([]any)
	for _, item := range list {
		at, _ := item.(map[string]any)
		email, _ := at["email"].(string)
		if !strings.Contains(email, "@") {
			return gcalBad("Invalid attendee email.")
		}
		if at["responseStatus"] == nil {
			at["responseStatus"] = "needsAction"
		}
	}
	return nil
}

// gcalSpan returns a stored event's start and end instants.
func gcalSpan(ev map[string]any, calTZ string) (time.Time, time.Time) {
	s, _, _ := gcalTime(ev["start"], "start", calTZ)
	e, _, _ := gcalTime(ev["end"], "end", calTZ)
	return s, e
}

// gcalExpand returns the instances of a recurring event (RRULE FREQ=DAILY
// or WEEKLY with INTERVAL and COUNT; 30 instances without COUNT), or the
// event itself.
func gcalExpand(ev map[string]any, calTZ string) []map[string]any {
	rec, _ := ev["recurrence"].([]any)
	step, count := 0, 30
	for _, line := range rec {
		rule, ok := strings.CutPrefix(fmt.Sprint(line), "RRULE:")
		if !ok {
			continue
		}
		interval := 1
		for _, part := range strings.Split(rule, ";") {
			k, v, _ := strings.Cut(part, "=")
			n, _ := strconv.Atoi(v)
			switch {
			case k == "FREQ" && v == "DAILY":
				step = 1
			case k == "FREQ" && v == "WEEKLY":
				step = 7
			case k == "COUNT" && n > 0:
				count = n
			case k == "INTERVAL" && n > 0:
				interval = n
			}
		}
		step *= interval
	}
	if step == 0 {
		return []map[string]any{ev}
	}
	id := ev["id"].(string)
	out := make([]map[string]any, count)
	for i := range out {
		inst := gcalCopy(ev)
		delete(inst, "recurrence")
		for _, k := range []string{"start", "end"} {
			m := inst[k].(map[string]any)
			if d, ok := m["date"].(string); ok {
				t, _ := time.Parse(time.DateOnly, d)
				m["date"] = t.AddDate(0, 0, i*step).Format(time.DateOnly)
			} else {
				zone, _ := m["timeZone"].(string)
				t, _ := time.Parse(time.RFC3339, m["dateTime"].(string))
				m["dateTime"] = t.In(gcalLoc(zone)).AddDate(0, 0, i*step).Format(time.RFC3339)
			}
		}
		s, _ := gcalSpan(inst, calTZ)
		suffix := s.UTC().Format("20060102T150405Z")
		if _, ok := inst["start"].(map[string]any)["date"]; ok {
			suffix = s.Format("20060102")
		}
		inst["id"], inst["recurringEventId"], inst["originalStartTime"] = id+"_"+suffix, id, gcalCopy(inst)["start"]
		out[i] = inst
	}
	return out
}

// gcalCopy deep-copies a JSON object.
func gcalCopy(m map[string]any) map[string]any {
	data, _ := json.Marshal(m)
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.Decode(&out)
	return out
}

// gcalRender copies an event for a response, its times expressed in loc.
func gcalRender(ev map[string]any, loc *time.Location) map[string]any {
	out := gcalCopy(ev)
	for _, k := range []string{"start", "end", "originalStartTime"} {
		if m, ok := out[k].(map[string]any); ok && loc != nil && m["dateTime"] != nil {
			t, _ := time.Parse(time.RFC3339, m["dateTime"].(string))
			m["dateTime"] = t.In(loc).Format(time.RFC3339)
		}
	}
	return out
}

// gcalDecode reads a JSON object body, numbers as json.Number.
func gcalDecode(r *http.Request, v any) *gcalError {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return gcalUnknownName(strings.Trim(name, `"`))
		}
		return &gcalError{400, "parseError", "Parse Error"}
	}
	return nil
}

// gcalQueryTZ resolves the optional timeZone query parameter.
func gcalQueryTZ(q map[string][]string) (*time.Location, *gcalError) {
	name := first(q["timeZone"])
	if name == "" {
		return nil, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, gcalBad("Invalid time zone definition: %s", name)
	}
	return loc, nil
}

func (g *GoogleCalendar) listEvents(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	entry, err := a.calendar(r.PathValue("calendarId"), "reader")
	if err != nil {
		return err
	}
	c, q := entry.cal, r.URL.Query()
	var bounds [2]time.Time
	for i, name := range []string{"timeMin", "timeMax"} {
		if v := q.Get(name); v != "" {
			t, perr := time.Parse(time.RFC3339, v)
			if perr != nil {
				return gcalBad("Bad Request")
			}
			bounds[i] = t
		}
	}
	lo, hi := bounds[0], bounds[1]
	if !lo.IsZero() && !hi.IsZero() && !hi.After(lo) {
		return &gcalError{400, "timeRangeEmpty", "The specified time range is empty."}
	}
	single := q.Get("singleEvents") == "true"
	switch q.Get("orderBy") {
	case "", "updated":
	case "startTime":
		if !single {
			return gcalBad("The requested ordering is not available for the particular query.")
		}
	default:
		return gcalBad("Invalid value for orderBy: %s", q.Get("orderBy"))
	}
	loc, err := gcalQueryTZ(q)
	if err != nil {
		return err
	}
	text := strings.ToLower(q.Get("q"))
	var evs []map[string]any
	for _, ev := range c.events {
		if ev["status"] == "cancelled" && q.Get("showDeleted") != "true" {
			continue
		}
		var keep []map[string]any
		for _, inst := range gcalExpand(ev, c.timeZone) {
			if s, e := gcalSpan(inst, c.timeZone); (lo.IsZero() || e.After(lo)) && (hi.IsZero() || s.Before(hi)) {
				keep = append(keep, inst)
			}
		}
		if len(keep) > 0 && !single {
			keep = keep[:1]
			keep[0] = ev
		}
		for _, inst := range keep {
			data, _ := json.Marshal([]any{inst["summary"], inst["description"], inst["location"], inst["attendees"]})
			if strings.Contains(strings.ToLower(string(data)), text) {
				evs = append(evs, inst)
			}
		}
	}
	switch q.Get("orderBy") {
	case "startTime":
		slices.SortStableFunc(evs, func(x, y map[string]any) int {
			sx, _ := gcalSpan(x, c.timeZone)
			sy, _ := gcalSpan(y, c.timeZone)
			return sx.Compare(sy)
		})
	case "updated":
		slices.SortStableFunc(evs, func(x, y map[string]any) int { return strings.Compare(x["updated"].(string), y["updated"].(string)) })
	}
	items := make([]any, len(evs))
	for i, ev := range evs {
		items[i] = gcalRender(ev, loc)
	}
	page, next, err := gcalPage(items, q, 250, 2500)
	if err != nil {
		return err
	}
	tz := c.timeZone
	if loc != nil {
		tz = loc.String()
	}
	gcalWriteJSON(w, 200, gcalWithToken(map[string]any{"kind": "calendar#events", "etag": `"events"`, "summary": c.summary,
		"updated": gcalEpoch.Format("2006-01-02T15:04:05.000Z"), "timeZone": tz, "accessRole": entry.role,
		"defaultReminders": []any{}, "items": page}, next))
	return nil
}

// event finds an event of c by id, or an instance of a recurring one.
func (c *gcalCalendar) event(id string) (int, map[string]any) {
	master, _, _ := strings.Cut(id, "_")
	for i, ev := range c.events {
		if ev["id"] == id {
			return i, ev
		}
		if ev["id"] == master {
			for _, inst := range gcalExpand(ev, c.timeZone) {
				if inst["id"] == id {
					return -1, inst
				}
			}
		}
	}
	return -1, nil
}

func (g *GoogleCalendar) getEvent(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	entry, err := a.calendar(r.PathValue("calendarId"), "reader")
	if err != nil {
		return err
	}
	loc, err := gcalQueryTZ(r.URL.Query())
	if err != nil {
		return err
	}
	_, ev := entry.cal.event(r.PathValue("eventId"))
	if ev == nil {
		return gcalNotFound
	}
	gcalWriteJSON(w, 200, gcalRender(ev, loc))
	return nil
}

// gcalWriteParams checks sendUpdates and conferenceDataVersion and reports
// whether conference data is honoured.
func gcalWriteParams(q map[string][]string) (bool, *gcalError) {
	if v := first(q["sendUpdates"]); v != "" && !slices.Contains([]string{"all", "externalOnly", "none"}, v) {
		return false, gcalBad("Invalid value for sendUpdates: %s", v)
	}
	v := first(q["conferenceDataVersion"])
	if v != "" && v != "0" && v != "1" {
		return false, gcalBad("Invalid value '%s'. Values must be within the range: [0, 1]", v)
	}
	return v == "1", nil
}

// conference creates a Google Meet conference for conferenceData.createRequest;
// without conferenceDataVersion=1 Google ignores conferenceData entirely.
func (g *GoogleCalendar) conference(ev, old map[string]any, enabled bool) *gcalError {
	cd, _ := ev["conferenceData"].(map[string]any)
	if !enabled || cd == nil {
		delete(ev, "conferenceData")
		if old["conferenceData"] != nil {
			ev["conferenceData"], ev["hangoutLink"] = old["conferenceData"], old["hangoutLink"]
		}
		return nil
	}
	cr, _ := cd["createRequest"].(map[string]any)
	if cr == nil {
		return nil
	}
	if id, _ := cr["requestId"].(string); id == "" {
		return gcalBad("Invalid conference create request.")
	}
	if key, _ := cr["conferenceSolutionKey"].(map[string]any); key != nil && key["type"] != "hangoutsMeet" {
		return gcalBad("Invalid conference type value.")
	}
	code := fmt.Sprintf("fak-%04d-mtg", g.seq+1)
	cr["conferenceSolutionKey"], cr["status"] = map[string]any{"type": "hangoutsMeet"}, map[string]any{"statusCode": "success"}
	ev["conferenceData"] = map[string]any{"createRequest": cr, "conferenceId": code,
		"entryPoints":        []any{map[string]any{"entryPointType": "video", "uri": "https://meet.google.com/" + code, "label": "meet.google.com/" + code}},
		"conferenceSolution": map[string]any{"key": map[string]any{"type": "hangoutsMeet"}, "name": "Google Meet"}}
	ev["hangoutLink"] = "https://meet.google.com/" + code
	return nil
}

func (g *GoogleCalendar) insertEvent(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	entry, err := a.calendar(r.PathValue("calendarId"), "writer")
	if err != nil {
		return err
	}
	meet, err := gcalWriteParams(r.URL.Query())
	if err != nil {
		return err
	}
	var ev map[string]any
	if err := gcalDecode(r, &ev); err != nil {
		return err
	}
	if err := gcalCheck(ev, entry.cal.timeZone); err != nil {
		return err
	}
	if err := g.conference(ev, nil, meet); err != nil {
		return err
	}
	if id, _ := ev["id"].(string); id != "" {
		if _, dup := entry.cal.event(id); dup != nil {
			return &gcalError{409, "duplicate", "The requested identifier already exists."}
		}
	} else {
		ev["id"] = fmt.Sprintf("gen%05d", g.seq+1)
	}
	g.stamp(entry.cal, ev, a.email)
	entry.cal.events = append(entry.cal.events, ev)
	gcalWriteJSON(w, 200, gcalRender(ev, nil))
	return nil
}

// gcalMerge applies a patch: objects merge, arrays and scalars replace,
// null clears.
func gcalMerge(dst, patch map[string]any) {
	for k, v := range patch {
		pm, isObj := v.(map[string]any)
		dm, wasObj := dst[k].(map[string]any)
		switch {
		case v == nil:
			delete(dst, k)
		case isObj && wasObj:
			gcalMerge(dm, pm)
		default:
			dst[k] = v
		}
	}
}

func (g *GoogleCalendar) patchEvent(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	entry, err := a.calendar(r.PathValue("calendarId"), "writer")
	if err != nil {
		return err
	}
	meet, err := gcalWriteParams(r.URL.Query())
	if err != nil {
		return err
	}
	i, old := entry.cal.event(r.PathValue("eventId"))
	if i < 0 {
		return gcalNotFound
	}
	var patch map[string]any
	if err := gcalDecode(r, &patch); err != nil {
		return err
	}
	ev := gcalCopy(old)
	gcalMerge(ev, patch)
	for _, k := range []string{"id", "kind", "etag", "created", "updated", "creator", "htmlLink", "iCalUID", "sequence", "hangoutLink"} {
		if v, ok := old[k]; ok {
			ev[k] = v
		} else {
			delete(ev, k)
		}
	}
	if err := gcalCheck(ev, entry.cal.timeZone); err != nil {
		return err
	}
	if err := g.conference(ev, old, meet && patch["conferenceData"] != nil); err != nil {
		return err
	}
	if patch["start"] != nil || patch["end"] != nil {
		n, _ := strconv.Atoi(fmt.Sprint(old["sequence"]))
		ev["sequence"] = n + 1
	}
	ev["updated"] = g.tick()
	ev["etag"] = `"` + strconv.Itoa(g.seq) + `"`
	entry.cal.events[i] = ev
	gcalWriteJSON(w, 200, gcalRender(ev, nil))
	return nil
}

func (g *GoogleCalendar) deleteEvent(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	entry, err := a.calendar(r.PathValue("calendarId"), "writer")
	if err != nil {
		return err
	}
	if _, err := gcalWriteParams(r.URL.Query()); err != nil {
		return err
	}
	i, ev := entry.cal.event(r.PathValue("eventId"))
	switch {
	case i < 0:
		return gcalNotFound
	case ev["status"] == "cancelled":
		return &gcalError{410, "deleted", "Resource has been deleted"}
	}
	ev["status"], ev["updated"] = "cancelled", g.tick()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (g *GoogleCalendar) freeBusy(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	var req struct {
		TimeMin, TimeMax, TimeZone              string
		GroupExpansionMax, CalendarExpansionMax int
		Items                                   []struct {
			ID string `json:"id"`
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return gcalUnknownName(strings.Trim(name, `"`))
		}
		return &gcalError{400, "parseError", "Parse Error"}
	}
	var bounds [2]time.Time
	for i, v := range []string{req.TimeMin, req.TimeMax} {
		name := []string{"timeMin", "timeMax"}[i]
		if v == "" {
			return &gcalError{400, "required", "Missing " + name + "."}
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return gcalBad("Invalid value for %s: %s", name, v)
		}
		bounds[i] = t
	}
	lo, hi := bounds[0], bounds[1]
	if !hi.After(lo) {
		return &gcalError{400, "timeRangeEmpty", "The specified time range is empty."}
	}
	loc := time.UTC
	if req.TimeZone != "" {
		l, err := time.LoadLocation(req.TimeZone)
		if err != nil {
			return gcalBad("Invalid time zone definition: %s", req.TimeZone)
		}
		loc = l
	}
	stamp := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	cals := map[string]any{}
	for _, item := range req.Items {
		c := g.calendars[item.ID]
		if e := a.entry(item.ID); e != nil {
			c = e.cal
		}
		if c == nil {
			cals[item.ID] = map[string]any{"errors": []any{map[string]any{"domain": "global", "reason": "notFound"}}, "busy": []any{}}
			continue
		}
		var spans [][2]time.Time
		for _, ev := range c.events {
			if ev["status"] == "cancelled" || ev["transparency"] == "transparent" {
				continue
			}
			for _, inst := range gcalExpand(ev, c.timeZone) {
				if s, e := gcalSpan(inst, c.timeZone); e.After(lo) && s.Before(hi) {
					spans = append(spans, [2]time.Time{s, e})
				}
			}
		}
		slices.SortFunc(spans, func(x, y [2]time.Time) int { return x[0].Compare(y[0]) })
		busy := []any{}
		for i := 0; i < len(spans); i++ {
			s, e := spans[i][0], spans[i][1]
			for i+1 < len(spans) && !spans[i+1][0].After(e) {
				i++
				if spans[i][1].After(e) {
					e = spans[i][1]
				}
			}
			busy = append(busy, map[string]any{"start": stamp(s), "end": stamp(e)})
		}
		cals[item.ID] = map[string]any{"busy": busy}
	}
	gcalWriteJSON(w, 200, map[string]any{"kind": "calendar#freeBusy", "timeMin": stamp(lo), "timeMax": stamp(hi), "calendars": cals})
	return nil
}
