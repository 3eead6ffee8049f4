package fakeupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const gcalAlice = "alice@example.com"

func newGoogleCalendar(tb testing.TB) *GoogleCalendar {
	tb.Helper()
	g := NewGoogleCalendar()
	tb.Cleanup(g.Close)
	g.AddAccount("tok-alice", gcalAlice)
	g.AddAccount("tok-alice-ro", gcalAlice, "calendar.readonly")
	g.AddAccount("tok-bob", "bob@example.com", "calendar.events", "calendar.readonly")
	return g
}

// gcalDo makes a request to g and decodes the JSON answer (nil when empty).
func gcalDo(tb testing.TB, g *GoogleCalendar, method, path, token, body string) (int, http.Header, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, g.URL()+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var v map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &v); err != nil {
			tb.Fatalf("%s %s: body is not a JSON object: %q", method, path, data)
		}
	}
	return res.StatusCode, res.Header, v
}

// gcalReason returns error.errors[0].reason of a Google error body.
func gcalReason(v map[string]any) string {
	e, _ := v["error"].(map[string]any)
	list, _ := e["errors"].([]any)
	if len(list) == 0 {
		return ""
	}
	return list[0].(map[string]any)["reason"].(string)
}

// gcalField collects field of every item of v's items.
func gcalField(v map[string]any, field string) []string {
	var out []string
	items, _ := v["items"].([]any)
	for _, it := range items {
		s, _ := it.(map[string]any)[field].(string)
		out = append(out, s)
	}
	return out
}

const gcalEvents = "/calendar/v3/calendars/primary/events"

func TestGoogleCalendarAuth(t *testing.T) {
	g := newGoogleCalendar(t)
	tests := []struct {
		name, method, path, token string
		status                    int
		reason, wwwAuth           string
	}{
		{"MissingToken", "GET", "/calendar/v3/users/me/calendarList", "", 401, "required", `Bearer realm="https://accounts.google.com/"`},
		{"UnknownToken", "GET", "/calendar/v3/users/me/calendarList", "nope", 401, "authError", `Bearer realm="https://accounts.google.com/", error="invalid_token"`},
		{"ReadOnlyScopeCannotWrite", "POST", gcalEvents, "tok-alice-ro", 403, "insufficientPermissions",
			`Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.events.owned https://www.googleapis.com/auth/calendar.app.created"`},
		{"EventsScopeCannotListCalendars", "GET", "/calendar/v3/users/me/calendarList", "tok-bob", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, v := gcalDo(t, g, tt.method, tt.path, tt.token, "{}")
			if status != tt.status || gcalReason(v) != tt.reason || h.Get("WWW-Authenticate") != tt.wwwAuth {
				t.Errorf("got %d %q %q, want %d %q %q", status, gcalReason(v), h.Get("WWW-Authenticate"), tt.status, tt.reason, tt.wwwAuth)
			}
		})
	}
	t.Run("ErrorShape", func(t *testing.T) {
		_, _, v := gcalDo(t, g, "GET", "/calendar/v3/users/me/calendarList", "nope", "")
		e := v["error"].(map[string]any)
		if e["code"] != 401.0 || e["status"] != "UNAUTHENTICATED" || !strings.HasPrefix(e["message"].(string), "Request had invalid authentication credentials") {
			t.Errorf("error = %v", e)
		}
	})
}

func TestGoogleCalendarCalendars(t *testing.T) {
	g := newGoogleCalendar(t)
	t.Run("PrimaryIsTheAccountEmail", func(t *testing.T) {
		for _, path := range []string{"/calendar/v3/calendars/primary", "/calendar/v3/users/me/calendarList/primary"} {
			status, _, v := gcalDo(t, g, "GET", path, "tok-alice-ro", "")
			if status != 200 || v["id"] != gcalAlice {
				t.Errorf("%s: %d %v", path, status, v)
			}
		}
	})
	t.Run("ListAllRoles", func(t *testing.T) {
		_, _, v := gcalDo(t, g, "GET", "/calendar/v3/users/me/calendarList", "tok-alice", "")
		want := []string{gcalAlice, "team.alice@group.calendar.google.com", GoogleCalendarHolidays}
		if diff := cmp.Diff(want, gcalField(v, "id")); diff != "" || v["nextSyncToken"] == nil {
			t.Errorf("ids (-want +got):\n%s%v", diff, v)
		}
	})
	t.Run("MinAccessRoleWriter", func(t *testing.T) {
		_, _, v := gcalDo(t, g, "GET", "/calendar/v3/users/me/calendarList?minAccessRole=writer", "tok-alice", "")
		if diff := cmp.Diff([]string{"owner", "writer"}, gcalField(v, "accessRole")); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
	})
	t.Run("PagesFollowNextPageToken", func(t *testing.T) {
		var ids []string
		path := "/calendar/v3/users/me/calendarList?maxResults=2"
		for range 3 {
			_, _, v := gcalDo(t, g, "GET", path, "tok-alice", "")
			ids = append(ids, gcalField(v, "id")...)
			tok, _ := v["nextPageToken"].(string)
			if tok == "" {
				break
			}
			path = "/calendar/v3/users/me/calendarList?maxResults=2&pageToken=" + url.QueryEscape(tok)
		}
		if len(ids) != 3 {
			t.Errorf("ids over pages = %v", ids)
		}
	})
	t.Run("HolidayIDEscaped", func(t *testing.T) {
		status, _, v := gcalDo(t, g, "GET", "/calendar/v3/calendars/"+url.PathEscape(GoogleCalendarHolidays), "tok-alice", "")
		if status != 200 || v["summary"] != "Holidays in Germany" {
			t.Errorf("%d %v", status, v)
		}
	})
}

func TestGoogleCalendarListEvents(t *testing.T) {
	g := newGoogleCalendar(t)
	week := "timeMin=" + url.QueryEscape("2024-03-04T00:00:00+01:00") + "&timeMax=" + url.QueryEscape("2024-03-09T00:00:00+01:00")
	tests := []struct {
		name, query string
		status      int
		ids         []string
		reason      string
	}{
		{"RecurringMasterOnce", week, 200, []string{"planning", "standup", "offsite"}, ""},
		{"SingleEventsExpandedInOrder", week + "&singleEvents=true&orderBy=startTime", 200, []string{
			"standup_20240304T080000Z", "planning", "standup_20240305T080000Z", "standup_20240306T080000Z",
			"offsite", "standup_20240307T080000Z", "standup_20240308T080000Z"}, ""},
		{"OverlapWithTheRangeCounts", "timeMin=2024-03-04T09:00:00Z&timeMax=2024-03-04T09:00:00.5Z&singleEvents=true", 200, []string{"planning"}, ""},
		{"TextSearch", "q=BOB%40example", 200, []string{"planning"}, ""},
		{"StartTimeNeedsSingleEvents", week + "&orderBy=startTime", 400, nil, "badRequest"},
		{"TimeWithoutOffset", "timeMin=2024-03-04T00:00:00", 400, nil, "badRequest"},
		{"EmptyRange", "timeMin=2024-03-05T00:00:00Z&timeMax=2024-03-04T00:00:00Z", 400, nil, "timeRangeEmpty"},
		{"MaxResultsZero", "maxResults=0", 400, nil, "badRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, v := gcalDo(t, g, "GET", gcalEvents+"?"+tt.query, "tok-alice-ro", "")
			if status != tt.status || gcalReason(v) != tt.reason {
				t.Fatalf("got %d %q, want %d %q: %v", status, gcalReason(v), tt.status, tt.reason, v)
			}
			if diff := cmp.Diff(tt.ids, gcalField(v, "id")); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("TimeZoneRewritesTimes", func(t *testing.T) {
		_, _, v := gcalDo(t, g, "GET", gcalEvents+"/planning?timeZone=America%2FNew_York", "tok-alice", "")
		if got := v["start"].(map[string]any)["dateTime"]; got != "2024-03-04T04:00:00-05:00" {
			t.Errorf("start = %v", got)
		}
	})
	t.Run("PagesOfOne", func(t *testing.T) {
		_, _, v := gcalDo(t, g, "GET", gcalEvents+"?maxResults=1", "tok-alice", "")
		if len(gcalField(v, "id")) != 1 || v["nextPageToken"] == nil {
			t.Errorf("page = %v", v)
		}
	})
}

func TestGoogleCalendarWriteEvents(t *testing.T) {
	g := newGoogleCalendar(t)
	timed := `"start":{"dateTime":"2024-03-06T13:00:00+01:00"},"end":{"dateTime":"2024-03-06T13:30:00+01:00"}`
	tests := []struct {
		name, path, body string
		status           int
		reason, message  string
	}{
		{"MissingEnd", gcalEvents, `{"summary":"x","start":{"date":"2024-03-06"}}`, 400, "badRequest", "Missing end time."},
		{"NoOffsetNoZone", gcalEvents, `{"start":{"dateTime":"2024-03-06T13:00:00"},"end":{"dateTime":"2024-03-06T14:00:00"}}`, 400, "badRequest", "Missing time zone definition for start time."},
		{"MixedDateAndDateTime", gcalEvents, `{"start":{"date":"2024-03-06"},"end":{"dateTime":"2024-03-06T14:00:00Z"}}`, 400, "badRequest", "Start and end times must either both be date or both be dateTime."},
		{"EndBeforeStart", gcalEvents, `{"start":{"date":"2024-03-06"},"end":{"date":"2024-03-05"}}`, 400, "timeRangeEmpty", "The specified time range is empty."},
		{"SnakeCaseField", gcalEvents, `{"calendar_id":"primary",` + timed + `}`, 400, "badRequest", `Invalid JSON payload received. Unknown name "calendar_id": Cannot find field.`},
		{"ReaderCannotWrite", "/calendar/v3/calendars/" + url.PathEscape(GoogleCalendarHolidays) + "/events", `{` + timed + `}`, 403, "requiredAccessLevel", "You need to have writer access to this calendar."},
		{"BadSendUpdates", gcalEvents + "?sendUpdates=everyone", `{` + timed + `}`, 400, "badRequest", "Invalid value for sendUpdates: everyone"},
		{"NotJSON", gcalEvents, `summary=x`, 400, "parseError", "Parse Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, v := gcalDo(t, g, "POST", tt.path, "tok-alice", tt.body)
			msg, _ := v["error"].(map[string]any)["message"].(string)
			if status != tt.status || gcalReason(v) != tt.reason || msg != tt.message {
				t.Errorf("got %d %q %q, want %d %q %q", status, gcalReason(v), msg, tt.status, tt.reason, tt.message)
			}
		})
	}
	t.Run("MeetOnlyWithConferenceDataVersion1", func(t *testing.T) {
		body := `{"summary":"Sync",` + timed + `,"conferenceData":{"createRequest":{"requestId":"r1"}}}`
		_, _, without := gcalDo(t, g, "POST", gcalEvents, "tok-alice", body)
		_, _, with := gcalDo(t, g, "POST", gcalEvents+"?conferenceDataVersion=1", "tok-alice", body)
		if without["hangoutLink"] != nil || without["conferenceData"] != nil {
			t.Errorf("conference created without conferenceDataVersion=1: %v", without)
		}
		if link, _ := with["hangoutLink"].(string); !strings.HasPrefix(link, "https://meet.google.com/") {
			t.Errorf("no Meet link with conferenceDataVersion=1: %v", with)
		}
	})
	t.Run("CreatePatchDelete", func(t *testing.T) {
		status, _, ev := gcalDo(t, g, "POST", gcalEvents+"?sendUpdates=all", "tok-alice",
			`{"summary":"Lunch","location":"Cafe",`+timed+`,"attendees":[{"email":"bob@example.com"}]}`)
		id, _ := ev["id"].(string)
		if status != 200 || id == "" || ev["status"] != "confirmed" || ev["organizer"].(map[string]any)["email"] != gcalAlice {
			t.Fatalf("insert: %d %v", status, ev)
		}
		path := gcalEvents + "/" + id
		_, _, ev = gcalDo(t, g, "PATCH", path, "tok-alice", `{"summary":"Long lunch","end":{"dateTime":"2024-03-06T14:30:00+01:00"},"attendees":[]}`)
		got := []any{ev["summary"], ev["location"], ev["end"].(map[string]any)["dateTime"], ev["attendees"], ev["sequence"]}
		want := []any{"Long lunch", "Cafe", "2024-03-06T14:30:00+01:00", []any{}, 1.0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("patch keeps unnamed fields, replaces named ones (-want +got):\n%s", diff)
		}
		if status, _, v := gcalDo(t, g, "PATCH", path, "tok-alice", `{"end":{"dateTime":"2024-03-06T12:00:00+01:00"}}`); status != 400 || gcalReason(v) != "timeRangeEmpty" {
			t.Errorf("patch to an empty range: %d %v", status, v)
		}
		if status, _, v := gcalDo(t, g, "DELETE", path+"?sendUpdates=none", "tok-alice", ""); status != 204 || v != nil {
			t.Errorf("delete: %d %v", status, v)
		}
		if status, _, v := gcalDo(t, g, "DELETE", path, "tok-alice", ""); status != 410 || gcalReason(v) != "deleted" {
			t.Errorf("second delete: %d %v", status, v)
		}
		if _, _, v := gcalDo(t, g, "GET", gcalEvents+"?q=lunch", "tok-alice", ""); len(gcalField(v, "id")) != 0 {
			t.Errorf("deleted event still listed: %v", v)
		}
	})
	t.Run("UnknownEvent", func(t *testing.T) {
		if status, _, v := gcalDo(t, g, "PATCH", gcalEvents+"/nosuchevent", "tok-alice", `{}`); status != 404 || gcalReason(v) != "notFound" {
			t.Errorf("%d %v", status, v)
		}
	})
}

func TestGoogleCalendarFreeBusy(t *testing.T) {
	g := newGoogleCalendar(t)
	const path = "/calendar/v3/freeBusy"
	t.Run("BusyMergedTransparentSkipped", func(t *testing.T) {
		body := `{"timeMin":"2024-03-04T00:00:00Z","timeMax":"2024-03-05T00:00:00Z","items":[{"id":"primary"},{"id":"` +
			GoogleCalendarHolidays + `"},{"id":"nobody@example.com"}]}`
		status, _, v := gcalDo(t, g, "POST", path, "tok-alice-ro", body)
		want := map[string]any{"kind": "calendar#freeBusy", "timeMin": "2024-03-04T00:00:00Z", "timeMax": "2024-03-05T00:00:00Z",
			"calendars": map[string]any{
				"primary": map[string]any{"busy": []any{
					map[string]any{"start": "2024-03-04T08:00:00Z", "end": "2024-03-04T08:15:00Z"},
					map[string]any{"start": "2024-03-04T09:00:00Z", "end": "2024-03-04T10:00:00Z"}}},
				GoogleCalendarHolidays: map[string]any{"busy": []any{}},
				"nobody@example.com":   map[string]any{"busy": []any{}, "errors": []any{map[string]any{"domain": "global", "reason": "notFound"}}},
			}}
		if diff := cmp.Diff(want, v); status != 200 || diff != "" {
			t.Errorf("status %d (-want +got):\n%s", status, diff)
		}
	})
	t.Run("SnakeCaseRefused", func(t *testing.T) {
		status, _, v := gcalDo(t, g, "POST", path, "tok-alice", `{"time_min":"2024-03-04T00:00:00Z"}`)
		if status != 400 || !strings.Contains(v["error"].(map[string]any)["message"].(string), `Unknown name "time_min"`) {
			t.Errorf("%d %v", status, v)
		}
	})
	t.Run("MissingTimeMax", func(t *testing.T) {
		if status, _, v := gcalDo(t, g, "POST", path, "tok-alice", `{"timeMin":"2024-03-04T00:00:00Z"}`); status != 400 || gcalReason(v) != "required" {
			t.Errorf("%d %v", status, v)
		}
	})
}

func TestGoogleCalendarFailAndRecord(t *testing.T) {
	g := newGoogleCalendar(t)
	g.Fail("/calendar/v3/users/me/calendarList", 429, http.Header{"Retry-After": {"7"}}, GoogleCalendarError(429, "rateLimitExceeded", "Rate Limit Exceeded"), 1)
	status, h, v := gcalDo(t, g, "GET", "/calendar/v3/users/me/calendarList", "tok-alice", "")
	if status != 429 || h.Get("Retry-After") != "7" || gcalReason(v) != "rateLimitExceeded" || v["error"].(map[string]any)["status"] != "RESOURCE_EXHAUSTED" {
		t.Errorf("injected failure: %d %v", status, v)
	}
	if status, _, _ := gcalDo(t, g, "GET", "/calendar/v3/users/me/calendarList", "tok-alice", ""); status != 200 {
		t.Errorf("after the failure was used up: %d", status)
	}
	reqs := g.Requests()
	if len(reqs) != 2 || reqs[0].Token != "tok-alice" || reqs[0].Path != "/calendar/v3/users/me/calendarList" {
		t.Errorf("requests = %+v", reqs)
	}
	g.Reset()
	if n := len(g.Requests()); n != 0 {
		t.Errorf("after Reset: %d requests", n)
	}
}
