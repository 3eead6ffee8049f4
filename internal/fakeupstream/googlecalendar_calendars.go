package fakeupstream

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The fake Calendar's calendar methods: calendarList.list and .get,
// calendars.get, and freebusy.query, with Google's page tokens.

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
	writeGoogleJSON(w, 200, gcalWithToken(out, next))
	return nil
}

func (g *GoogleCalendar) getCalendarListEntry(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	e := a.entry(r.PathValue("calendarId"))
	if e == nil {
		return gcalNotFound
	}
	writeGoogleJSON(w, 200, e.resource())
	return nil
}

func (g *GoogleCalendar) getCalendar(w http.ResponseWriter, r *http.Request, a *gcalAccount) *gcalError {
	e, err := a.calendar(r.PathValue("calendarId"), "reader")
	if err != nil {
		return err
	}
	c := e.cal
	writeGoogleJSON(w, 200, map[string]any{"kind": "calendar#calendar", "etag": `"` + c.id + `"`, "id": c.id, "summary": c.summary,
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
	writeGoogleJSON(w, 200, map[string]any{"kind": "calendar#freeBusy", "timeMin": stamp(lo), "timeMax": stamp(hi), "calendars": cals})
	return nil
}
