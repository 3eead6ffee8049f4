package server

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"switchboard/accounts"
)

// TestLogCallFields pins what one tool call logs and reports to the
// metrics: who, what, which account and the outcome, at error level with
// the cause only for an internal failure.
func TestLogCallFields(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	var observed []string
	s := &Server{log: zap.New(core), observe: func(tool, outcome string, _ time.Duration) { observed = append(observed, tool+" "+outcome) }}
	sc := &accounts.Scope{Session: &accounts.Session{ID: "ses_1", UserID: "alice"}}
	start := time.Now()
	s.logCall(sc, "GITHUB_GET_ISSUE", &accounts.Account{ID: "ca_1"}, start, nil)
	s.logCall(sc, "list_accounts", nil, start, accounts.Errorf(accounts.CodeInvalidArguments, "bad"))
	s.logCall(nil, "list_toolkits", nil, start, errors.New("server: request has no scope"))

	type entry struct {
		Level  zapcore.Level
		Fields map[string]any
	}
	var got []entry
	for _, e := range logs.AllUntimed() {
		f := e.ContextMap()
		if _, ok := f["took"].(time.Duration); !ok || e.Message != "tool call" {
			t.Errorf("entry %q without took: %v", e.Message, f)
		}
		delete(f, "took")
		got = append(got, entry{e.Level, f})
	}
	want := []entry{
		{zapcore.InfoLevel, map[string]any{"tool": "GITHUB_GET_ISSUE", "session": "ses_1", "user": "alice", "account": "ca_1", "outcome": "ok"}},
		{zapcore.InfoLevel, map[string]any{"tool": "list_accounts", "session": "ses_1", "user": "alice", "outcome": "INVALID_ARGUMENTS"}},
		{zapcore.ErrorLevel, map[string]any{"tool": "list_toolkits", "outcome": "INTERNAL", "error": "server: request has no scope"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logged (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GITHUB_GET_ISSUE ok", "list_accounts INVALID_ARGUMENTS", "list_toolkits INTERNAL"}, observed); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}
