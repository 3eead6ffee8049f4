package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeConfig(tb testing.TB, body string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestConfigFile(t *testing.T) {
	t.Setenv("TEST_GMAIL_SECRET", "s3cret")
	path := writeConfig(t, `
public_url: https://switchboard.example.com
toolkit_urls: {github: "http://127.0.0.1:9/api/"}
auth_configs:
  - id: ac_gmail
    toolkit: gmail
    scheme: oauth2
    client_id: cid
    client_secret_env: TEST_GMAIL_SECRET
    scopes: [https://www.googleapis.com/auth/gmail.readonly]
`)
	cfg, err := parseFlags("serve", []string{"--config", path, "--toolkit-url", "github=http://override"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.publicURL != "https://switchboard.example.com" || cfg.toolkitURL["github"] != "http://override" {
		t.Errorf("public %q, github %q (the flag must win over the file)", cfg.publicURL, cfg.toolkitURL["github"])
	}
	if len(cfg.authConfigs) != 1 || cfg.authConfigs[0].ClientSecret != "s3cret" || cfg.authConfigs[0].Scopes[0] != "https://www.googleapis.com/auth/gmail.readonly" {
		t.Errorf("auth configs %+v", cfg.authConfigs)
	}
}

func TestConfigFileErrorsNameTheProblem(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"TypoedKey":        {"public_ur1: x\n", "public_ur1"},
		"TypoedNestedKey":  {"auth_configs:\n  - id: a\n    toolkit: gmail\n    scheme: oauth2\n    client_secret_enb: X\n", "client_secret_enb"},
		"MissingSecretEnv": {"auth_configs:\n  - id: ac_x\n    toolkit: gmail\n    scheme: oauth2\n    client_id: c\n    client_secret_env: SWITCHBOARD_TEST_UNSET_VAR\n", "SWITCHBOARD_TEST_UNSET_VAR"},
		"BothSecrets":      {"auth_configs:\n  - id: ac_x\n    toolkit: gmail\n    scheme: oauth2\n    client_secret: a\n    client_secret_env: HOME\n", "not both"},
		"MissingID":        {"auth_configs:\n  - toolkit: gmail\n    scheme: oauth2\n", "required"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseFlags("serve", []string{"--config", writeConfig(t, tc.body)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestEnvAuthConfigs(t *testing.T) {
	got, err := envAuthConfigs([]string{"SWITCHBOARD_OAUTH_GMAIL_CLIENT_ID=id", "SWITCHBOARD_OAUTH_GMAIL_CLIENT_SECRET=sec", "PATH=/bin"})
	if err != nil || len(got) != 1 || got[0].ID != "ac_gmail_oauth2" || got[0].Toolkit != "gmail" || got[0].ClientID != "id" || got[0].ClientSecret != "sec" {
		t.Fatalf("%+v %v", got, err)
	}
	for _, env := range [][]string{{"SWITCHBOARD_OAUTH_GMAIL_CLIENT_ID=id"}, {"SWITCHBOARD_OAUTH_GMAIL_CLIENT_SECRET=s"}} {
		if _, err := envAuthConfigs(env); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_OAUTH_GMAIL") {
			t.Errorf("%v: error %v", env, err)
		}
	}
}

// TestAllowedOrigins pins that --allowed-origins and its variable reach the
// config (a deferred assignment after the return value was taken dropped
// them).
func TestAllowedOrigins(t *testing.T) {
	want := []string{"https://app.example.com", "https://admin.example.com"}
	cfg, err := parseFlags("serve", []string{"--allowed-origins", "https://app.example.com, https://admin.example.com"})
	if err != nil || !slices.Equal(cfg.allowedOrigins, want) {
		t.Errorf("--allowed-origins: %q %v, want %q", cfg.allowedOrigins, err, want)
	}
	t.Setenv("SWITCHBOARD_ALLOWED_ORIGINS", "https://app.example.com,https://admin.example.com")
	if cfg, err = parseFlags("serve", nil); err != nil || !slices.Equal(cfg.allowedOrigins, want) {
		t.Errorf("SWITCHBOARD_ALLOWED_ORIGINS: %q %v, want %q", cfg.allowedOrigins, err, want)
	}
}
