package tools

import (
	"fmt"
	"strings"
)

// Google Calendar's Go-coded part (catalog/googlecalendar.yaml): freebusy
// answers a map keyed by calendar id, which a text template cannot walk.
func init() {
	registerTransform("freebusy", freeBusy)
}

// freeBusy shapes a freebusy.query answer as {timeMin, timeMax, busy:
// {calendar id: [{start, end}]}, errors: {calendar id: [reason]}}: a
// calendar whose availability cannot be seen is under errors only, never
// shown as free. summary has a line per calendar, for the text.
func freeBusy(doc any) any {
	m, ok := doc.(map[string]any)
	if !ok {
		return doc
	}
	cals, _ := m["calendars"].(map[string]any)
	busy, errs := map[string]any{}, map[string]any{}
	var lines []string
	for _, id := range keys(cals) {
		var reasons []any
		var why []string
		for _, r := range lookupAll(cals[id], []string{"errors", "reason"}) {
			reasons, why = append(reasons, r), append(why, r)
		}
		if len(reasons) > 0 {
			errs[id] = reasons
			lines = append(lines, fmt.Sprintf("- %s: availability not visible (%s)", id, strings.Join(why, ", ")))
			continue
		}
		list, _ := lookup(cals[id], "busy").([]any)
		periods := []any{}
		var spans []string
		for _, p := range list {
			start, end := lookup(p, "start"), lookup(p, "end")
			periods = append(periods, map[string]any{"start": start, "end": end})
			spans = append(spans, scalarText(start)+" to "+scalarText(end))
		}
		busy[id] = periods
		if len(spans) == 0 {
			lines = append(lines, fmt.Sprintf("- %s: free the whole time", id))
		} else {
			lines = append(lines, fmt.Sprintf("- %s: busy %s", id, strings.Join(spans, ", ")))
		}
	}
	out := map[string]any{"timeMin": m["timeMin"], "timeMax": m["timeMax"], "busy": busy, "summary": strings.Join(lines, "\n")}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	return out
}
