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

// The fake Calendar's events methods: list, get, insert, patch and delete.

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
	writeGoogleJSON(w, 200, gcalWithToken(map[string]any{"kind": "calendar#events", "etag": `"events"`, "summary": c.summary,
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
	writeGoogleJSON(w, 200, gcalRender(ev, loc))
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
	writeGoogleJSON(w, 200, gcalRender(ev, nil))
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
	writeGoogleJSON(w, 200, gcalRender(ev, nil))
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
