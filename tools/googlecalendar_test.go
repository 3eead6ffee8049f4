package tools_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// gcalToken is alice's access token; every output is searched for it.
const (
	gcalToken = "ya29.AliceSecretAccessToken0123456789"
	gcalAlice = "alice@example.com"
)

type gcalHarness struct {
	toolRunner
	fake *fakeupstream.GoogleCalendar
}

// newGcalHarness starts a fake Google Calendar where alice holds gcalToken
// with the toolkit's default scopes.
func newGcalHarness(tb testing.TB) *gcalHarness {
	tb.Helper()
	fake := fakeupstream.NewGoogleCalendar()
	tb.Cleanup(fake.Close)
	cat := builtin(tb)
	fake.AddAccount(gcalToken, gcalAlice, cat.Toolkit("googlecalendar").Scheme(tools.SchemeOAuth2).Scopes...)
	opts := tools.ExecutorOptions{UserAgent: "switchboard-test"}
	return &gcalHarness{toolRunner: newToolRunner(cat, opts, "googlecalendar", fake.URL()), fake: fake}
}

func (h *gcalHarness) auth(token string) tools.Authorizer {
	return h.cat.Toolkit("googlecalendar").Scheme(tools.SchemeOAuth2).Authorizer(token)
}

// call runs tool as alice and checks that her token appears nowhere.
func (h *gcalHarness) call(tb testing.TB, tool string, args map[string]any) (*tools.Result, error) {
	tb.Helper()
	return h.callAs(tb, gcalToken, tool, args)
}

// callAs runs tool with token and checks that alice's token appears
// nowhere.
func (h *gcalHarness) callAs(tb testing.TB, token, tool string, args map[string]any) (*tools.Result, error) {
	tb.Helper()
	return h.run(tb, tool, args, h.auth(token), gcalToken)
}

const gcalHolidaysEscaped = "en.german%23holiday@group.v.calendar.google.com"

func TestGoogleCalendarTools(t *testing.T) {
	tests := []struct {
		name        string
		tool        string
		args        map[string]any
		method      string
		escapedPath string
		query       string
		body        string // JSON, "" for none
		structured  string // JSON
		text        string
	}{{
		name: "ListCalendarsWritable", tool: "GOOGLECALENDAR_LIST_CALENDARS",
		args:   map[string]any{"min_access_role": "writer"},
		method: "GET", escapedPath: "/calendar/v3/users/me/calendarList", query: "maxResults=50&minAccessRole=writer",
		structured: `{"count":2,"calendars":[
			{"id":"alice@example.com","summary":"alice@example.com","primary":true,"accessRole":"owner","timeZone":"Europe/Berlin"},
			{"id":"team.alice@group.calendar.google.com","summary":"Team","accessRole":"writer","timeZone":"Europe/Berlin"}]}`,
		text: "calendars: 2 items:\n" +
			"- alice@example.com (id alice@example.com, role owner, time zone Europe/Berlin)\n" +
			"- Team (id team.alice@group.calendar.google.com, role writer, time zone Europe/Berlin)",
	}, {
		name: "ListEventsOfADayInOrder", tool: "GOOGLECALENDAR_LIST_EVENTS",
		args: map[string]any{"calendar_id": "primary", "time_min": "2024-03-04T00:00:00+01:00", "time_max": "2024-03-05T00:00:00+01:00",
			"time_zone": "America/New_York", "single_events": true, "order_by": "startTime", "max_results": 10},
		method: "GET", escapedPath: "/calendar/v3/calendars/primary/events",
		query: "maxResults=10&orderBy=startTime&singleEvents=true&timeMax=2024-03-05T00%3A00%3A00%2B01%3A00&timeMin=2024-03-04T00%3A00%3A00%2B01%3A00&timeZone=America%2FNew_York",
		structured: `{"count":2,"events":[
			{"id":"standup_20240304T080000Z","summary":"Daily standup","start":{"dateTime":"2024-03-04T03:00:00-05:00"},
			 "end":{"dateTime":"2024-03-04T03:15:00-05:00"},"status":"confirmed","organizer":{"email":"alice@example.com"},
			 "recurringEventId":"standup","htmlLink":"https://www.google.com/calendar/event?eid=c3RhbmR1cCBhbGljZUBleGFtcGxlLmNvbQ"},
			{"id":"planning","summary":"Planning meeting","start":{"dateTime":"2024-03-04T04:00:00-05:00"},"end":{"dateTime":"2024-03-04T05:00:00-05:00"},
			 "status":"confirmed","location":"Room 1","attendees":[{"email":"alice@example.com","responseStatus":"accepted"},
			 {"email":"bob@example.com","responseStatus":"needsAction"}],"organizer":{"email":"alice@example.com"},
			 "htmlLink":"https://www.google.com/calendar/event?eid=cGxhbm5pbmcgYWxpY2VAZXhhbXBsZS5jb20"}]}`,
		text: "events: 2 items:\n" +
			"- 2024-03-04T03:00:00-05:00 to 2024-03-04T03:15:00-05:00: Daily standup (id standup_20240304T080000Z)\n" +
			"- 2024-03-04T04:00:00-05:00 to 2024-03-04T05:00:00-05:00: Planning meeting (id planning)",
	}, {
		name: "GetEventOfEscapedCalendar", tool: "GOOGLECALENDAR_GET_EVENT",
		args:   map[string]any{"calendar_id": fakeupstream.GoogleCalendarHolidays, "event_id": "march8"},
		method: "GET", escapedPath: "/calendar/v3/calendars/" + gcalHolidaysEscaped + "/events/march8",
		structured: `{"id":"march8","status":"confirmed","summary":"International Women's Day","start":{"date":"2024-03-08"},"end":{"date":"2024-03-09"},
			"organizer":{"email":"en.german#holiday@group.v.calendar.google.com"},"creator":{"email":"en.german#holiday@group.v.calendar.google.com"},
			"transparency":"transparent","htmlLink":"https://www.google.com/calendar/event?eid=bWFyY2g4IGVuLmdlcm1hbiNob2xpZGF5QGdyb3VwLnYuY2FsZW5kYXIuZ29vZ2xlLmNvbQ",
			"created":"2024-03-01T08:06:00.000Z","updated":"2024-03-01T08:06:00.000Z"}`,
		text: "International Women's Day (2024-03-08 to 2024-03-09, confirmed) https://www.google.com/calendar/event?eid=bWFyY2g4IGVuLmdlcm1hbiNob2xpZGF5QGdyb3VwLnYuY2FsZW5kYXIuZ29vZ2xlLmNvbQ",
	}, {
		name: "CreateEventWithMeet", tool: "GOOGLECALENDAR_CREATE_EVENT",
		args: map[string]any{"calendar_id": "primary", "summary": "1:1 with Bob", "description": "Weekly sync.", "location": "Room 2",
			"start":        map[string]any{"dateTime": "2024-03-06T13:00:00", "timeZone": "Europe/Berlin"},
			"end":          map[string]any{"dateTime": "2024-03-06T13:30:00", "timeZone": "Europe/Berlin"},
			"attendees":    []any{map[string]any{"email": "bob@example.com"}},
			"google_meet":  map[string]any{"requestId": "req-1", "conferenceSolutionKey": map[string]any{"type": "hangoutsMeet"}},
			"send_updates": "all"},
		method: "POST", escapedPath: "/calendar/v3/calendars/primary/events", query: "conferenceDataVersion=1&sendUpdates=all",
		body: `{"summary":"1:1 with Bob","description":"Weekly sync.","location":"Room 2",
			"start":{"dateTime":"2024-03-06T13:00:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2024-03-06T13:30:00","timeZone":"Europe/Berlin"},
			"attendees":[{"email":"bob@example.com"}],
			"conferenceData":{"createRequest":{"requestId":"req-1","conferenceSolutionKey":{"type":"hangoutsMeet"}}}}`,
		structured: `{"id":"gen00007","status":"confirmed","summary":"1:1 with Bob","description":"Weekly sync.","location":"Room 2",
			"start":{"dateTime":"2024-03-06T13:00:00+01:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2024-03-06T13:30:00+01:00","timeZone":"Europe/Berlin"},
			"attendees":[{"email":"bob@example.com","responseStatus":"needsAction"}],"organizer":{"email":"alice@example.com"},
			"hangoutLink":"https://meet.google.com/fak-0007-mtg","htmlLink":"https://www.google.com/calendar/event?eid=Z2VuMDAwMDcgYWxpY2VAZXhhbXBsZS5jb20"}`,
		text: "Created event gen00007: 1:1 with Bob (2024-03-06T13:00:00+01:00 to 2024-03-06T13:30:00+01:00) https://www.google.com/calendar/event?eid=Z2VuMDAwMDcgYWxpY2VAZXhhbXBsZS5jb20",
	}, {
		name: "CreateAllDayEvent", tool: "GOOGLECALENDAR_CREATE_EVENT",
		args: map[string]any{"calendar_id": "team.alice@group.calendar.google.com", "summary": "Hackathon",
			"start": map[string]any{"date": "2024-03-12"}, "end": map[string]any{"date": "2024-03-14"}},
		method: "POST", escapedPath: "/calendar/v3/calendars/team.alice@group.calendar.google.com/events", query: "conferenceDataVersion=1",
		body: `{"summary":"Hackathon","start":{"date":"2024-03-12"},"end":{"date":"2024-03-14"}}`,
		structured: `{"id":"gen00007","status":"confirmed","summary":"Hackathon","start":{"date":"2024-03-12"},"end":{"date":"2024-03-14"},
			"organizer":{"email":"team.alice@group.calendar.google.com"},
			"htmlLink":"https://www.google.com/calendar/event?eid=Z2VuMDAwMDcgdGVhbS5hbGljZUBncm91cC5jYWxlbmRhci5nb29nbGUuY29t"}`,
		text: "Created event gen00007: Hackathon (2024-03-12 to 2024-03-14) https://www.google.com/calendar/event?eid=Z2VuMDAwMDcgdGVhbS5hbGljZUBncm91cC5jYWxlbmRhci5nb29nbGUuY29t",
	}, {
		name: "UpdateEventOnlyGivenFields", tool: "GOOGLECALENDAR_UPDATE_EVENT",
		args: map[string]any{"calendar_id": "primary", "event_id": "planning", "summary": "Planning (moved)",
			"start": map[string]any{"dateTime": "2024-03-04T11:00:00+01:00"}, "end": map[string]any{"dateTime": "2024-03-04T12:00:00+01:00"},
			"send_updates": "externalOnly"},
		method: "PATCH", escapedPath: "/calendar/v3/calendars/primary/events/planning", query: "conferenceDataVersion=1&sendUpdates=externalOnly",
		body: `{"summary":"Planning (moved)","start":{"dateTime":"2024-03-04T11:00:00+01:00"},"end":{"dateTime":"2024-03-04T12:00:00+01:00"}}`,
		structured: `{"id":"planning","status":"confirmed","summary":"Planning (moved)","description":"Quarterly planning.","location":"Room 1",
			"start":{"dateTime":"2024-03-04T11:00:00+01:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2024-03-04T12:00:00+01:00","timeZone":"Europe/Berlin"},
			"attendees":[{"email":"alice@example.com","responseStatus":"accepted"},{"email":"bob@example.com","responseStatus":"needsAction"}],
			"organizer":{"email":"alice@example.com"},"htmlLink":"https://www.google.com/calendar/event?eid=cGxhbm5pbmcgYWxpY2VAZXhhbXBsZS5jb20"}`,
		text: "Updated event planning: Planning (moved) (2024-03-04T11:00:00+01:00 to 2024-03-04T12:00:00+01:00) https://www.google.com/calendar/event?eid=cGxhbm5pbmcgYWxpY2VAZXhhbXBsZS5jb20",
	}, {
		name: "DeleteEvent", tool: "GOOGLECALENDAR_DELETE_EVENT",
		args:   map[string]any{"calendar_id": "primary", "event_id": "dentist", "send_updates": "none"},
		method: "DELETE", escapedPath: "/calendar/v3/calendars/primary/events/dentist", query: "sendUpdates=none",
		structured: `{}`,
		text:       "Deleted the event.",
	}, {
		name: "FreeBusy", tool: "GOOGLECALENDAR_FIND_FREE_BUSY",
		args: map[string]any{"time_min": "2024-03-04T08:00:00+01:00", "time_max": "2024-03-04T12:00:00+01:00", "time_zone": "Europe/Berlin",
			"calendars": []any{map[string]any{"id": "primary"}, map[string]any{"id": "carol@example.com"}}},
		method: "POST", escapedPath: "/calendar/v3/freeBusy",
		body: `{"timeMin":"2024-03-04T08:00:00+01:00","timeMax":"2024-03-04T12:00:00+01:00","timeZone":"Europe/Berlin",
			"items":[{"id":"primary"},{"id":"carol@example.com"}]}`,
		structured: `{"timeMin":"2024-03-04T08:00:00+01:00","timeMax":"2024-03-04T12:00:00+01:00",
			"busy":{"primary":[{"start":"2024-03-04T09:00:00+01:00","end":"2024-03-04T09:15:00+01:00"},
				{"start":"2024-03-04T10:00:00+01:00","end":"2024-03-04T11:00:00+01:00"}]},
			"errors":{"carol@example.com":["notFound"]}}`,
		text: "Busy periods from 2024-03-04T08:00:00+01:00 to 2024-03-04T12:00:00+01:00:\n" +
			"- carol@example.com: availability not visible (notFound)\n" +
			"- primary: busy 2024-03-04T09:00:00+01:00 to 2024-03-04T09:15:00+01:00, 2024-03-04T10:00:00+01:00 to 2024-03-04T11:00:00+01:00",
	}, {
		name: "FreeBusyOfAFreeCalendar", tool: "GOOGLECALENDAR_FIND_FREE_BUSY",
		args:   map[string]any{"time_min": "2024-03-04T06:00:00Z", "time_max": "2024-03-04T07:00:00Z", "calendars": []any{map[string]any{"id": "primary"}}},
		method: "POST", escapedPath: "/calendar/v3/freeBusy",
		body:       `{"timeMin":"2024-03-04T06:00:00Z","timeMax":"2024-03-04T07:00:00Z","items":[{"id":"primary"}]}`,
		structured: `{"timeMin":"2024-03-04T06:00:00Z","timeMax":"2024-03-04T07:00:00Z","busy":{"primary":[]}}`,
		text:       "Busy periods from 2024-03-04T06:00:00Z to 2024-03-04T07:00:00Z:\n- primary: free the whole time",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGcalHarness(t)
			res, err := h.call(t, tt.tool, tt.args)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			r := onlyRequest(t, h.fake)
			got := []string{r.Method, r.EscapedPath, r.RawQuery, r.Header.Get("Authorization"), r.Header.Get("User-Agent")}
			want := []string{tt.method, tt.escapedPath, tt.query, "Bearer " + gcalToken, "switchboard-test"}
			assertDiff(t, "request", want, got)
			assertJSONBody(t, r, tt.body)
			assertResult(t, res, tt.structured, tt.text)
		})
	}
}

func TestGoogleCalendarPagesWithCursor(t *testing.T) {
	h := newGcalHarness(t)
	res, err := h.call(t, "GOOGLECALENDAR_LIST_CALENDARS", map[string]any{"max_results": 2})
	if err != nil {
		t.Fatal(err)
	}
	next, _ := res.Structured["next_cursor"].(string)
	if next == "" || res.Structured["count"] != 2 || !strings.Contains(res.Text, fmt.Sprintf("call again with page_token=%q", next)) {
		t.Fatalf("first page: %v %q", res.Structured, res.Text)
	}
	res, err = h.call(t, "GOOGLECALENDAR_LIST_CALENDARS", map[string]any{"max_results": 2, "page_token": next})
	if err != nil {
		t.Fatal(err)
	}
	if _, more := res.Structured["next_cursor"]; more || res.Structured["count"] != 1 || strings.Contains(res.Text, "call again") {
		t.Errorf("last page: %v %q", res.Structured, res.Text)
	}
	reqs := h.fake.Requests()
	if q := reqs[1].RawQuery; q != "maxResults=2&pageToken="+url.QueryEscape(next) {
		t.Errorf("second request query = %q", q)
	}
}

func TestGoogleCalendarIdentify(t *testing.T) {
	h := newGcalHarness(t)
	who, err := h.exec.Identify(context.Background(), "googlecalendar", h.auth(gcalToken))
	if err != nil || who != (tools.Identity{ID: gcalAlice, Label: gcalAlice}) {
		t.Fatalf("Identify = %+v, %v", who, err)
	}
	r := h.fake.Requests()[0]
	if r.Method != "GET" || r.Path != "/calendar/v3/calendars/primary" || r.Token != gcalToken {
		t.Errorf("request = %s %s (token %q)", r.Method, r.Path, r.Token)
	}
	t.Run("ReadOnlyScopeSuffices", func(t *testing.T) {
		h.fake.AddAccount("ya29.readonly", gcalAlice, "calendar.readonly")
		if who, err := h.exec.Identify(context.Background(), "googlecalendar", h.auth("ya29.readonly")); err != nil || who.ID != gcalAlice {
			t.Errorf("Identify = %+v, %v", who, err)
		}
	})
	t.Run("RevokedTokenIsUnauthorized", func(t *testing.T) {
		if _, err := h.exec.Identify(context.Background(), "googlecalendar", h.auth("ya29.revoked")); !tools.IsUnauthorized(err) {
			t.Errorf("err = %v, want Unauthorized", err)
		}
	})
}

func TestGoogleCalendarScheme(t *testing.T) {
	sc := builtin(t).Toolkit("googlecalendar").Scheme(tools.SchemeOAuth2)
	got := tools.Scheme{Kind: sc.Kind, Header: sc.Header, Prefix: sc.Prefix, AuthorizationURL: sc.AuthorizationURL, TokenURL: sc.TokenURL,
		RevokeURL: sc.RevokeURL, Scopes: sc.Scopes, AuthorizationParams: sc.AuthorizationParams, PKCE: sc.PKCE}
	want := tools.Scheme{Kind: "oauth2", Header: "Authorization", Prefix: "Bearer ",
		AuthorizationURL: "https://accounts.google.com/o/oauth2/v2/auth", TokenURL: "https://oauth2.googleapis.com/token",
		RevokeURL:           "https://oauth2.googleapis.com/revoke",
		Scopes:              []string{"https://www.googleapis.com/auth/calendar.events", "https://www.googleapis.com/auth/calendar.readonly"},
		AuthorizationParams: map[string]string{"access_type": "offline", "prompt": "consent"}, PKCE: true}
	assertDiff(t, "oauth2 scheme", want, got)
}

// TestGoogleCalendarScopesCoverEveryTool runs every tool with a token that
// holds exactly the scheme's default scopes, so a tool needing more fails.
func TestGoogleCalendarScopesCoverEveryTool(t *testing.T) {
	h := newGcalHarness(t)
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"GOOGLECALENDAR_LIST_CALENDARS", nil},
		{"GOOGLECALENDAR_LIST_EVENTS", map[string]any{"calendar_id": "primary"}},
		{"GOOGLECALENDAR_GET_EVENT", map[string]any{"calendar_id": "primary", "event_id": "planning"}},
		{"GOOGLECALENDAR_CREATE_EVENT", map[string]any{"calendar_id": "primary", "summary": "x",
			"start": map[string]any{"date": "2024-03-20"}, "end": map[string]any{"date": "2024-03-21"}}},
		{"GOOGLECALENDAR_UPDATE_EVENT", map[string]any{"calendar_id": "primary", "event_id": "planning", "location": "Room 3"}},
		{"GOOGLECALENDAR_DELETE_EVENT", map[string]any{"calendar_id": "primary", "event_id": "offsite"}},
		{"GOOGLECALENDAR_FIND_FREE_BUSY", map[string]any{"time_min": "2024-03-04T00:00:00Z", "time_max": "2024-03-05T00:00:00Z",
			"calendars": []any{map[string]any{"id": "primary"}}}},
	}
	if n := len(h.cat.Toolkit("googlecalendar").Tools); n != len(calls) {
		t.Fatalf("toolkit has %d tools, the test covers %d", n, len(calls))
	}
	for _, c := range calls {
		if _, err := h.call(t, c.tool, c.args); err != nil {
			t.Errorf("%s: %v", c.tool, err)
		}
	}
}

func TestGoogleCalendarUpstreamErrors(t *testing.T) {
	const events = "/calendar/v3/calendars/primary/events"
	list := map[string]any{"calendar_id": "primary"}
	tests := []struct {
		name      string
		token     string
		tool      string
		args      map[string]any
		fail      func(f *fakeupstream.GoogleCalendar)
		code      string
		status    int
		retry     int
		message   string
		requests  int
		unauthorz bool
	}{{
		name: "RevokedToken401", token: "ya29.revoked", tool: "GOOGLECALENDAR_LIST_EVENTS", args: list,
		code: tools.CodeUpstreamError, status: 401, unauthorz: true, requests: 1,
		message: "Google Calendar rejected the account's credential (HTTP 401)",
	}, {
		name: "MissingScope403", token: "ya29.eventsonly", tool: "GOOGLECALENDAR_LIST_CALENDARS",
		code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: "Google Calendar refused the request (HTTP 403): Request had insufficient authentication scopes. The account's credential lacks a required scope (needs one of: " +
			"https://www.googleapis.com/auth/calendar, https://www.googleapis.com/auth/calendar.readonly, https://www.googleapis.com/auth/calendar.calendarlist, " +
			"https://www.googleapis.com/auth/calendar.calendarlist.readonly). Re-authorize",
	}, {
		name: "NoWriteAccess403", tool: "GOOGLECALENDAR_DELETE_EVENT",
		args: map[string]any{"calendar_id": fakeupstream.GoogleCalendarHolidays, "event_id": "march8"},
		code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: "You need to have writer access to this calendar",
	}, {
		name: "RateLimitExceeded403", tool: "GOOGLECALENDAR_LIST_EVENTS", args: list,
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 403, nil, fakeupstream.GoogleCalendarError(403, "rateLimitExceeded", "Rate Limit Exceeded"), 1)
		},
		code: tools.CodeUpstreamRateLimited, status: 403, retry: 60, requests: 1,
		message: "Google Calendar's rate limit for this account is exhausted (HTTP 403: rateLimitExceeded); wait 60 seconds",
	}, {
		name: "ReasonDecidesNotMessageText", tool: "GOOGLECALENDAR_LIST_EVENTS", args: list,
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 403, nil, fakeupstream.GoogleCalendarError(403, "rateLimitExceeded", "Quota exceeded for quota metric 'Queries' of service 'calendar-json.googleapis.com'."), 1)
		},
		code: tools.CodeUpstreamRateLimited, status: 403, retry: 60, requests: 1,
	}, {
		name: "RateLimitWordsWithoutTheReasonAreNoRateLimit", tool: "GOOGLECALENDAR_LIST_EVENTS", args: list,
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 403, nil, fakeupstream.GoogleCalendarError(403, "forbidden", "Changing the rate limit of this calendar is forbidden"), 1)
		},
		code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: "(HTTP 403): Changing the rate limit of this calendar is forbidden",
	}, {
		name: "CalendarUsageLimitsWaitTenMinutes", tool: "GOOGLECALENDAR_CREATE_EVENT",
		args: map[string]any{"calendar_id": "primary", "summary": "x", "start": map[string]any{"date": "2024-03-20"}, "end": map[string]any{"date": "2024-03-21"}},
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 403, nil, fakeupstream.GoogleCalendarError(403, "quotaExceeded", "Calendar usage limits exceeded."), 1)
		},
		code: tools.CodeUpstreamRateLimited, status: 403, retry: 600, requests: 1,
		message: "(HTTP 403: quotaExceeded); wait 600 seconds",
	}, {
		name: "UserRateLimitExceeded403", tool: "GOOGLECALENDAR_CREATE_EVENT",
		args: map[string]any{"calendar_id": "primary", "summary": "x", "start": map[string]any{"date": "2024-03-20"}, "end": map[string]any{"date": "2024-03-21"}},
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 403, nil, fakeupstream.GoogleCalendarError(403, "userRateLimitExceeded", "User Rate Limit Exceeded"), 1)
		},
		code: tools.CodeUpstreamRateLimited, status: 403, retry: 60, requests: 1,
	}, {
		name: "TooManyRequests429RetryAfter", tool: "GOOGLECALENDAR_LIST_EVENTS", args: list,
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 429, http.Header{"Retry-After": {"7"}}, fakeupstream.GoogleCalendarError(429, "rateLimitExceeded", "Rate Limit Exceeded"), 1)
		},
		code: tools.CodeUpstreamRateLimited, status: 429, retry: 7, requests: 1,
		message: "(HTTP 429: rateLimitExceeded); wait 7 seconds",
	}, {
		name: "UnknownEvent404", tool: "GOOGLECALENDAR_GET_EVENT", args: map[string]any{"calendar_id": "primary", "event_id": "nosuchevent"},
		code: tools.CodeUpstreamError, status: 404, requests: 1,
		message: "Google Calendar returned 404",
	}, {
		name: "EmptyRange400", tool: "GOOGLECALENDAR_LIST_EVENTS",
		args: map[string]any{"calendar_id": "primary", "time_min": "2024-03-05T00:00:00Z", "time_max": "2024-03-04T00:00:00Z"},
		code: tools.CodeUpstreamError, status: 400, requests: 1,
		message: "Google Calendar rejected the request (HTTP 400): The specified time range is empty",
	}, {
		name: "AlreadyDeleted410", tool: "GOOGLECALENDAR_DELETE_EVENT", args: map[string]any{"calendar_id": "primary", "event_id": "dentist"},
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events+"/dentist", 410, nil, fakeupstream.GoogleCalendarError(410, "deleted", "Resource has been deleted"), 1)
		},
		code: tools.CodeUpstreamError, status: 410, requests: 1,
		message: "Resource has been deleted",
	}, {
		name: "BackendError500", tool: "GOOGLECALENDAR_CREATE_EVENT",
		args: map[string]any{"calendar_id": "primary", "summary": "x", "start": map[string]any{"date": "2024-03-20"}, "end": map[string]any{"date": "2024-03-21"}},
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 500, nil, fakeupstream.GoogleCalendarError(500, "backendError", "Backend Error"), 1)
		},
		code: tools.CodeUpstreamUnavailable, status: 500, requests: 1,
		message: "Google Calendar is unavailable (HTTP 500)",
	}, {
		name: "Unavailable503ReadRetriedThenFails", tool: "GOOGLECALENDAR_LIST_EVENTS", args: list,
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 503, nil, fakeupstream.GoogleCalendarError(503, "backendError", "Backend Error"), 3)
		},
		code: tools.CodeUpstreamUnavailable, status: 503, requests: 3,
	}, {
		name: "Unavailable503AskingToWaitLongNotRetried", tool: "GOOGLECALENDAR_LIST_EVENTS", args: list,
		fail: func(f *fakeupstream.GoogleCalendar) {
			f.Fail(events, 503, http.Header{"Retry-After": {"30"}}, fakeupstream.GoogleCalendarError(503, "backendError", "Backend Error"), 3)
		},
		code: tools.CodeUpstreamUnavailable, status: 503, retry: 30, requests: 1,
		message: "try again in 30 seconds",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGcalHarness(t)
			h.fake.AddAccount("ya29.eventsonly", gcalAlice, "calendar.events")
			if tt.fail != nil {
				tt.fail(h.fake)
			}
			token := tt.token
			if token == "" {
				token = gcalToken
			}
			_, err := h.callAs(t, token, tt.tool, tt.args)
			e := asToolError(t, err)
			got := []any{e.Code, e.Status, e.RetryAfterSeconds, e.Unauthorized()}
			want := []any{tt.code, tt.status, tt.retry, tt.unauthorz}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("code, status, retry after, unauthorized (-want +got):\n%s\nmessage: %s", diff, e.PublicMessage())
			}
			assertContains(t, "message", e.PublicMessage(), tt.message)
			assertRequestCount(t, h.fake, tt.requests)
		})
	}
	t.Run("ReadRecoversAfterOne503", func(t *testing.T) {
		h := newGcalHarness(t)
		h.fake.Fail(events, 503, nil, fakeupstream.GoogleCalendarError(503, "backendError", "Backend Error"), 1)
		if _, err := h.call(t, "GOOGLECALENDAR_LIST_EVENTS", list); err != nil || len(h.fake.Requests()) != 2 {
			t.Errorf("err = %v after %d requests, want success after 2", err, len(h.fake.Requests()))
		}
	})
}

func TestGoogleCalendarInvalidArgumentsMakeNoRequest(t *testing.T) {
	day := map[string]any{"date": "2024-03-20"}
	create := func(extra map[string]any) map[string]any {
		return merged(map[string]any{"calendar_id": "primary", "summary": "x", "start": day, "end": map[string]any{"date": "2024-03-21"}}, extra)
	}
	tests := []struct {
		name  string
		tool  string
		args  map[string]any
		paths []string
	}{
		{"CalendarRequired", "GOOGLECALENDAR_LIST_EVENTS", map[string]any{}, []string{"/calendar_id"}},
		{"StartTimeOrderNeedsSingleEvents", "GOOGLECALENDAR_LIST_EVENTS", map[string]any{"calendar_id": "primary", "order_by": "startTime"}, []string{"/single_events"}},
		{"TimeMinNeedsOffset", "GOOGLECALENDAR_LIST_EVENTS", map[string]any{"calendar_id": "primary", "time_min": "2024-03-04T00:00:00"}, []string{"/time_min"}},
		{"CamelCaseArgument", "GOOGLECALENDAR_LIST_EVENTS", map[string]any{"calendar_id": "primary", "timeMin": "2024-03-04T00:00:00Z"}, []string{"/timeMin"}},
		{"DateAndDateTime", "GOOGLECALENDAR_CREATE_EVENT", create(map[string]any{"start": map[string]any{"date": "2024-03-20", "dateTime": "2024-03-20T10:00:00Z"}}), []string{"/start"}},
		{"LocalTimeNeedsTimeZone", "GOOGLECALENDAR_CREATE_EVENT", create(map[string]any{"start": map[string]any{"dateTime": "2024-03-20T10:00:00"}}), []string{"/start/timeZone"}},
		{"AttendeeNeedsEmail", "GOOGLECALENDAR_CREATE_EVENT", create(map[string]any{"attendees": []any{map[string]any{"name": "Bob"}}}), []string{"/attendees/0/email", "/attendees/0/name"}},
		{"MeetNeedsSolutionKey", "GOOGLECALENDAR_CREATE_EVENT", create(map[string]any{"google_meet": map[string]any{"requestId": "r"}}), []string{"/google_meet/conferenceSolutionKey"}},
		{"SendUpdatesEnum", "GOOGLECALENDAR_DELETE_EVENT", map[string]any{"calendar_id": "primary", "event_id": "x", "send_updates": "yes"}, []string{"/send_updates"}},
		{"FreeBusyNeedsCalendars", "GOOGLECALENDAR_FIND_FREE_BUSY", map[string]any{"time_min": "2024-03-04T00:00:00Z", "time_max": "2024-03-05T00:00:00Z"}, []string{"/calendars"}},
	}
	h := newGcalHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.call(t, tt.tool, tt.args)
			e := wantCode(t, err, tools.CodeInvalidArguments)
			var paths []string
			for _, p := range e.Problems {
				if len(paths) == 0 || paths[len(paths)-1] != p.Path {
					paths = append(paths, p.Path)
				}
			}
			if diff := cmp.Diff(tt.paths, paths); diff != "" {
				t.Errorf("problem paths (-want +got):\n%s\nmessage: %s", diff, e.PublicMessage())
			}
			assertRequestCount(t, h.fake, 0)
		})
	}
}
