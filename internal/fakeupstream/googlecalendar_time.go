package fakeupstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// How the fake Calendar reads and writes events: the known fields, times
// and time zones, the checks Google makes before storing an event, and the
// expansion of recurring events.

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
