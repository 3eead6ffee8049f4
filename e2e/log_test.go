package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestServeLog pins serve's log: JSON lines with ISO-8601 timestamps, and
// lines that say why and when it stops.
func TestServeLog(t *testing.T) {
	srv := serve(t, t.TempDir(), nil)
	srv.stop(t)
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("serve exited with %d after SIGTERM", code)
	}
	var msgs []string
	reasons := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(srv.logs.String()), "\n") {
		var entry struct {
			TS     any    `json:"ts"`
			Msg    string `json:"msg"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("not a JSON log line: %s", line)
			continue
		}
		ts, ok := entry.TS.(string)
		if _, err := time.Parse("2006-01-02T15:04:05.000Z0700", ts); !ok || err != nil {
			t.Errorf("timestamp %v is not ISO-8601: %s", entry.TS, line)
		}
		msgs = append(msgs, entry.Msg)
		reasons[entry.Msg] = entry.Reason
	}
	if n := len(msgs); n < 2 || msgs[n-2] != "shutting down" || msgs[n-1] != "stopped" {
		t.Errorf("the log does not end with \"shutting down\" and \"stopped\": %q", msgs)
	}
	if r := reasons["shutting down"]; !strings.Contains(r, "terminated") {
		t.Errorf("shutting down for reason %q, want the signal (terminated)", r)
	}
}
