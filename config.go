package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"switchboard/accounts"
)

// fileConfig is the optional YAML file given by --config. Settings given by
// a flag or an environment variable win over the file's.
type fileConfig struct {
	// PublicURL is the external base of connect links and the OAuth
	// redirect URI ({public_url}/oauth/callback).
	PublicURL string `yaml:"public_url"`
	// ToolkitURLs overrides API base URLs per toolkit slug.
	ToolkitURLs map[string]string `yaml:"toolkit_urls"`
	// AuthConfigs are the operator's auth configs, the first of a toolkit
	// being its default.
	AuthConfigs []authConfigFile `yaml:"auth_configs"`
}

// authConfigFile is one auth config as written in the file.
type authConfigFile struct {
	ID              string   `yaml:"id"`                // ac_…, unique
	Toolkit         string   `yaml:"toolkit"`           // toolkit slug
	Scheme          string   `yaml:"scheme"`            // oauth2, api_key or bearer_token
	ClientID        string   `yaml:"client_id"`         // OAuth app id
	ClientSecret    string   `yaml:"client_secret"`     // OAuth app secret, or…
	ClientSecretEnv string   `yaml:"client_secret_env"` // …the environment variable holding it
	Scopes          []string `yaml:"scopes"`            // overrides the toolkit's default scopes
	AuthorizeURL    string   `yaml:"authorize_url"`     // provider endpoint overrides
	TokenURL        string   `yaml:"token_url"`
	RevokeURL       string   `yaml:"revoke_url"`
}

// readConfigFile parses path strictly: an unknown key is an error naming
// it, and a secret taken from an unset environment variable is an error
// naming the variable.
func readConfigFile(path string) (*fileConfig, []accounts.AuthConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config file (--config or SWITCHBOARD_CONFIG): %w", err)
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("config file %s: %w", path, err)
	}
	var out []accounts.AuthConfig
	for i, f := range fc.AuthConfigs {
		where := fmt.Sprintf("config file %s: auth_configs[%d]", path, i)
		if f.ID == "" || f.Toolkit == "" || f.Scheme == "" {
			return nil, nil, fmt.Errorf("%s: id, toolkit and scheme are required", where)
		}
		secret := f.ClientSecret
		if f.ClientSecretEnv != "" {
			if f.ClientSecret != "" {
				return nil, nil, fmt.Errorf("%s (%s): give client_secret or client_secret_env, not both", where, f.ID)
			}
			v, ok := os.LookupEnv(f.ClientSecretEnv)
			if !ok || v == "" {
				return nil, nil, fmt.Errorf("%s (%s): client_secret_env names %s, which is not set", where, f.ID, f.ClientSecretEnv)
			}
			secret = v
		}
		out = append(out, accounts.AuthConfig{
			ID: f.ID, Toolkit: f.Toolkit, Scheme: f.Scheme,
			ClientID: f.ClientID, ClientSecret: accounts.Secret(secret), Scopes: f.Scopes,
			AuthorizeURL: f.AuthorizeURL, TokenURL: f.TokenURL, RevokeURL: f.RevokeURL,
		})
	}
	return &fc, out, nil
}

// envAuthConfigs reads the shortcut SWITCHBOARD_OAUTH_<TOOLKIT>_CLIENT_ID
// and _CLIENT_SECRET into auth configs with id ac_<toolkit>_oauth2, sorted
// by toolkit. A client id without its secret (or the reverse) is an error.
func envAuthConfigs(environ []string) ([]accounts.AuthConfig, error) {
	ids, secrets := map[string]string{}, map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(k, "SWITCHBOARD_OAUTH_")
		if !ok {
			continue
		}
		if tk, ok := strings.CutSuffix(rest, "_CLIENT_ID"); ok {
			ids[strings.ToLower(tk)] = v
		} else if tk, ok := strings.CutSuffix(rest, "_CLIENT_SECRET"); ok {
			secrets[strings.ToLower(tk)] = v
		}
	}
	var toolkits []string
	for tk := range ids {
		toolkits = append(toolkits, tk)
	}
	for tk := range secrets {
		if _, ok := ids[tk]; !ok {
			return nil, fmt.Errorf("SWITCHBOARD_OAUTH_%s_CLIENT_SECRET is set but SWITCHBOARD_OAUTH_%s_CLIENT_ID is not", strings.ToUpper(tk), strings.ToUpper(tk))
		}
	}
	sort.Strings(toolkits)
	var out []accounts.AuthConfig
	for _, tk := range toolkits {
		if secrets[tk] == "" || ids[tk] == "" {
			return nil, fmt.Errorf("SWITCHBOARD_OAUTH_%s_CLIENT_ID and _CLIENT_SECRET must both be set", strings.ToUpper(tk))
		}
		out = append(out, accounts.AuthConfig{ID: "ac_" + tk + "_oauth2", Toolkit: tk, Scheme: "oauth2", ClientID: ids[tk], ClientSecret: accounts.Secret(secrets[tk])})
	}
	return out, nil
}
