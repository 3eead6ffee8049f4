package main

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// unsetFlagEnv clears every flag's environment variable for one test, so
// that the developer's own settings do not leak in.
func unsetFlagEnv(tb testing.TB) {
	tb.Helper()
	for _, key := range flagEnv {
		tb.Setenv(key, "") // restores the old value on cleanup
		os.Unsetenv(key)
	}
}

// helpOf returns the help text `switchboard cmd --help` prints.
func helpOf(tb testing.TB, cmd string) string {
	tb.Helper()
	_, err := parseFlags(cmd, []string{"--help"})
	var help *helpError
	if !errors.As(err, &help) {
		tb.Fatalf("%s --help: %v, want the help", cmd, err)
	}
	return help.text
}

// helpFlags reads the flags a help text lists, each with the environment
// variable it names ("" when none).
func helpFlags(help string) map[string]string {
	out := map[string]string{}
	current := ""
	for _, line := range strings.Split(help, "\n") {
		if rest, ok := strings.CutPrefix(line, "  --"); ok {
			current = strings.Fields(rest)[0]
			out[current] = ""
		} else if key, ok := strings.CutPrefix(strings.TrimSpace(line), "env "); ok && current != "" {
			out[current] = key
		}
	}
	return out
}

var configCmp = []cmp.Option{cmp.AllowUnexported(config{}), cmpopts.EquateEmpty()}

// TestEveryFlagHasAnEnvironmentVariable pins that serve's and stdio's help
// name a variable for every flag, and that setting that variable does what
// the flag does.
func TestEveryFlagHasAnEnvironmentVariable(t *testing.T) {
	unsetFlagEnv(t)
	// A value for each flag that differs from its default.
	samples := map[string]string{
		"data-dir":                   filepath.Join(t.TempDir(), "data"),
		"public-url":                 "https://sb.example.com",
		"link-ttl":                   "5m",
		"log-level":                  "debug",
		"config":                     writeConfig(t, "toolkit_urls: {gmail: https://gmail.example.com}\n"),
		"toolkits-dir":               "/srv/switchboard/toolkits",
		"toolkit-url":                "github=https://ghe.example.com/api/v3",
		"addr":                       "127.0.0.1:9999",
		"allowed-origins":            "https://app.example.com",
		"max-body-bytes":             "2048",
		"user-id":                    "alice",
		"connected-accounts":         "github=work",
		"toolkits":                   "github",
		"require-explicit-selection": "true",
		"connect-addr":               "127.0.0.1:9998",
		"database-url":               "postgres://sb@db.example.com:5432/sb",
		"database-max-conns":         "8",
		"session-idle-ttl":           "1h",
		"retention-failed":           "2h",
		"audit-retention":            "720h",
		"session-ttl":                "30m",
		"session-max-ttl":            "48h",
		"app-name":                   "Acme Assistant",
		"tool-mode":                  "search",
		"tool-mode-threshold":        "10",
		"result-budget":              "8192",
		"max-sessions-per-user":      "50",
		"callback-hosts":             "app.example.com",
	}
	for _, cmd := range []string{"serve", "stdio"} {
		help := helpOf(t, cmd)
		for _, key := range []string{"SWITCHBOARD_SECRET_KEYS", "SWITCHBOARD_OAUTH_<TOOLKIT>_CLIENT_ID"} {
			if !strings.Contains(help, key) {
				t.Errorf("%s --help does not name %s", cmd, key)
			}
		}
		if cmd == "serve" && !strings.Contains(help, "SWITCHBOARD_API_KEYS") {
			t.Errorf("serve --help does not name SWITCHBOARD_API_KEYS")
		}
		base, err := parseFlags(cmd, nil)
		if err != nil {
			t.Fatal(err)
		}
		flags := helpFlags(help)
		if len(flags) < 8 {
			t.Fatalf("%s --help lists only %v:\n%s", cmd, flags, help)
		}
		for name, key := range flags {
			t.Run(cmd+"/"+name, func(t *testing.T) {
				if key == "" {
					t.Fatalf("%s --help names no environment variable for --%s:\n%s", cmd, name, help)
				}
				sample, ok := samples[name]
				if !ok {
					t.Fatalf("no sample value for --%s in this test", name)
				}
				byFlag, err := parseFlags(cmd, []string{"--" + name + "=" + sample})
				if err != nil {
					t.Fatal(err)
				}
				if cmp.Equal(byFlag, base, configCmp...) {
					t.Fatalf("--%s=%s changes nothing", name, sample)
				}
				t.Setenv(key, sample)
				byEnv, err := parseFlags(cmd, nil)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(byFlag, byEnv, configCmp...); diff != "" {
					t.Errorf("%s=%s is not --%s=%s (-flag +env):\n%s", key, sample, name, sample, diff)
				}
			})
		}
	}
}

// TestBadEnvironmentValuesNameTheVariable pins that a variable the flag's
// parser refuses is an error, not silently the default.
func TestBadEnvironmentValuesNameTheVariable(t *testing.T) {
	for _, tc := range []struct{ cmd, key, value string }{
		{"serve", "SWITCHBOARD_LINK_TTL", "10"},
		{"serve", "SWITCHBOARD_MAX_BODY_BYTES", "1MB"},
		{"stdio", "SWITCHBOARD_REQUIRE_EXPLICIT_SELECTION", "maybe"},
		{"serve", "SWITCHBOARD_TOOL_MODE_THRESHOLD", "lots"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			unsetFlagEnv(t)
			t.Setenv(tc.key, tc.value)
			_, err := parseFlags(tc.cmd, nil)
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("%s=%s: error %v, want one naming the variable", tc.key, tc.value, err)
			}
		})
	}
}

func TestPathsAreAbsolute(t *testing.T) {
	unsetFlagEnv(t)
	t.Chdir(t.TempDir())
	cfg, err := parseFlags("serve", []string{"--toolkits-dir", "toolkits"})
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	want := []string{filepath.Join(wd, ".switchboard"), filepath.Join(wd, "toolkits")}
	if diff := cmp.Diff(want, []string{cfg.dataDir, cfg.toolkitDirs[0]}); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "switchboard", Version: "v0.0.0-20261201100000-30fd209abcde+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "30fd209abcdef0123456789abcdef0123456789a"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	want := `switchboard v1.2.0
module:    switchboard v0.0.0-20261201100000-30fd209abcde+dirty
revision:  30fd209abcdef0123456789abcdef0123456789a (with uncommitted changes)
committed: 2026-12-01T10:00:00Z
go:        go1.26.8
`
	if diff := cmp.Diff(want, formatVersion("v1.2.0", bi)); diff != "" {
		t.Errorf("with VCS information (-want +got):\n%s", diff)
	}
	bi.Settings = nil
	if got := formatVersion("dev", bi); !strings.Contains(got, "revision:  unknown") {
		t.Errorf("without VCS information:\n%s", got)
	}
	if got := fullVersion("v1.2.0"); got != "v1.2.0" {
		t.Errorf("-ldflags -X main.version=v1.2.0 gives %q", got)
	}
}
