package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// helpError is a request for help: main prints text on stdout and exits 0.
type helpError struct{ text string }

func (e *helpError) Error() string { return "help requested" }

// usageError is a command line that names no command, an unknown one, or a
// flag that does not exist: main exits 2 instead of 1.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// flagEnv names the environment variable of each flag, for every command.
// The flag definitions read the same variables for their defaults;
// TestEveryFlagHasAnEnvironmentVariable pins that the two agree.
var flagEnv = map[string]string{
	"data-dir":                   "SWITCHBOARD_DATA_DIR",
	"public-url":                 "SWITCHBOARD_PUBLIC_URL",
	"link-ttl":                   "SWITCHBOARD_LINK_TTL",
	"log-level":                  "SWITCHBOARD_LOG_LEVEL",
	"config":                     "SWITCHBOARD_CONFIG",
	"toolkits-dir":               "SWITCHBOARD_TOOLKITS_DIR",
	"toolkit-url":                "SWITCHBOARD_TOOLKIT_URLS",
	"addr":                       "SWITCHBOARD_ADDR",
	"allowed-origins":            "SWITCHBOARD_ALLOWED_ORIGINS",
	"max-body-bytes":             "SWITCHBOARD_MAX_BODY_BYTES",
	"user-id":                    "SWITCHBOARD_USER_ID",
	"connected-accounts":         "SWITCHBOARD_CONNECTED_ACCOUNTS",
	"toolkits":                   "SWITCHBOARD_TOOLKITS",
	"require-explicit-selection": "SWITCHBOARD_REQUIRE_EXPLICIT_SELECTION",
	"connect-addr":               "SWITCHBOARD_CONNECT_ADDR",
	"database-url":               "SWITCHBOARD_DATABASE_URL",
	"database-max-conns":         "SWITCHBOARD_DATABASE_MAX_CONNS",
	"session-idle-ttl":           "SWITCHBOARD_SESSION_IDLE_TTL",
	"retention-failed":           "SWITCHBOARD_RETENTION_FAILED",
	"audit-retention":            "SWITCHBOARD_AUDIT_RETENTION",
	"session-ttl":                "SWITCHBOARD_SESSION_TTL",
	"session-max-ttl":            "SWITCHBOARD_SESSION_MAX_TTL",
	"app-name":                   "SWITCHBOARD_APP_NAME",
	"tool-mode":                  "SWITCHBOARD_TOOL_MODE",
	"tool-mode-threshold":        "SWITCHBOARD_TOOL_MODE_THRESHOLD",
	"result-budget":              "SWITCHBOARD_RESULT_BUDGET",
	"max-sessions-per-user":      "SWITCHBOARD_MAX_SESSIONS_PER_USER",
	"callback-hosts":             "SWITCHBOARD_CALLBACK_HOSTS",
}

// envFallback sets each flag of fs that the command line did not give from
// its environment variable, through the flag's own parser: a value the flag
// would refuse (SWITCHBOARD_LINK_TTL=10) is an error naming the variable,
// not silently the default. List flags (--toolkits-dir, --toolkit-url,
// --callback-hosts) read their comma-separated variables themselves.
func envFallback(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		key := flagEnv[f.Name]
		v := os.Getenv(key)
		_, typed := f.Value.(flag.Getter)
		if err != nil || key == "" || v == "" || given[f.Name] || !typed {
			return
		}
		if f.Value.Set(v) != nil {
			kind, _ := flag.UnquoteUsage(f)
			if kind == "" {
				kind = "true or false"
			}
			err = fmt.Errorf("%s=%q is not a valid value for --%s (%s)", key, v, f.Name, kind)
		}
	})
	return err
}

const mainUsage = `Switchboard is a self-hosted MCP server: AI agents act in GitHub, Gmail,
Slack and other services for end users who connect several accounts per
service.

Usage:
  switchboard serve [flags]          MCP over streamable HTTP (http://127.0.0.1:8080/mcp)
  switchboard stdio [flags]          one MCP session over stdin and stdout
  switchboard accounts VERB [flags]  list, disable, enable or delete a user's accounts, or set a policy
  switchboard audit [flags]          the audit trail of toolkit calls, newest first
  switchboard version                print the version and the VCS revision
  switchboard help [COMMAND]         print this, or a command's help

'switchboard COMMAND --help' lists a command's flags with the environment
variable of each (SWITCHBOARD_*); a flag given on the command line wins
over its variable.
`

// commandIntro opens the help of each command.
var commandIntro = map[string]string{
	"serve": `Usage: switchboard serve [flags]

Serves MCP over streamable HTTP at /mcp, with the connect pages, the OAuth
callback, /healthz, /readyz and /metrics, until SIGINT or SIGTERM. Without
SWITCHBOARD_API_KEYS it accepts unauthenticated requests, and only on a
loopback address (dev mode). Logs go to stderr: JSON, or text on a terminal.
`,
	"stdio": `Usage: switchboard stdio [flags]

Serves one MCP session for one user over stdin and stdout, and the connect
pages on a loopback listener while the process runs. Logs go to stderr.
`,
	"accounts list": `Usage: switchboard accounts list --user-id USER [--toolkit TOOLKIT] [flags]

Lists the user's accounts, most recent first, one a line: id, toolkit,
alias, label, status, connected at.
`,
	"accounts disable": `Usage: switchboard accounts disable --user-id USER --toolkit TOOLKIT --account ACCOUNT [flags]

Turns the account INACTIVE: no session chooses or uses it until it is
enabled again.
`,
	"accounts enable": `Usage: switchboard accounts enable --user-id USER --toolkit TOOLKIT --account ACCOUNT [flags]

Turns a disabled account ACTIVE again.
`,
	"accounts delete": `Usage: switchboard accounts delete --user-id USER --toolkit TOOLKIT --account ACCOUNT [flags]

Deletes the account and revokes its OAuth grant where the provider has a
revocation endpoint (the OAuth app comes from --config or
SWITCHBOARD_OAUTH_*).
`,
	"accounts policy": `Usage: switchboard accounts policy --user-id USER --toolkit TOOLKIT --account ACCOUNT [--access …] [--allow-tools …] [--deny-tools …] [--confirm …] [--reset] [flags]

Shows the account's policy, or changes the parts the flags name and shows
the result: what agents may do with the account. A tool --deny-tools names
never runs, even when --allow-tools names it too; with --allow-tools only
the tools it names run; --access read_only runs only read-only tools;
--confirm asks the person before writes (or destructive calls) run. Tools
are names or patterns ending in * (GITHUB_LIST_*), comma-separated; an
empty list clears it. --reset returns to the default first. Running
sessions follow the change from their next call.
`,
	"audit": `Usage: switchboard audit [--user-id USER] [--account ID] [--since 24h|TIME] [--limit N] [flags]

Prints the audit trail of toolkit calls, newest first, one a line: time,
user, session, path, tool, account (id and label), how it was chosen,
outcome, upstream status, latency. Arguments and results are never
recorded. Entries older than --audit-retention are deleted by the server.
`,
}

const accountsUsage = `Usage: switchboard accounts VERB --user-id USER [flags]

Acts on the store of an existing data dir (the one serve or stdio uses),
for one user:
  list     the user's accounts: id, toolkit, alias, label, status, connected at
  disable  turn an account INACTIVE: never chosen, never used
  enable   turn a disabled account ACTIVE again
  delete   delete an account, revoking its OAuth grant where the provider can
  policy   show or change what agents may do with an account

'switchboard accounts VERB --help' lists a verb's flags.
`

const (
	envAPIKeys = `  SWITCHBOARD_API_KEYS
      comma-separated operator API keys (Authorization: Bearer or X-Api-Key);
      without any, serve runs in dev mode, on a loopback address only
`
	envSecretKeys = `  SWITCHBOARD_SECRET_KEYS
      id:base64,… AES-256 keys sealing credentials; the first encrypts, all
      decrypt. Unset: a key is generated once into <data-dir>/secret.key
`
	envOAuth = `  SWITCHBOARD_OAUTH_<TOOLKIT>_CLIENT_ID, SWITCHBOARD_OAUTH_<TOOLKIT>_CLIENT_SECRET
      an OAuth app for a toolkit (auth config ac_<toolkit>_oauth2), besides
      the config file's auth_configs
`
)

// commandUsage is the help of cmd ("serve", "stdio", "accounts list", …):
// its intro, every flag of fs with its environment variable, and the
// variables that have no flag.
func commandUsage(cmd string, fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(commandIntro[cmd])
	b.WriteString("\nFlags (env: the variable read when the flag is not given):\n")
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  --%s", f.Name)
		if kind != "" {
			fmt.Fprintf(&b, " %s", kind)
		}
		fmt.Fprintf(&b, "\n      %s", usage)
		switch {
		case f.DefValue == "" || f.DefValue == "false":
		case kind == "string":
			fmt.Fprintf(&b, " (default %q)", f.DefValue)
		default:
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		if key := flagEnv[f.Name]; key != "" {
			fmt.Fprintf(&b, "\n      env %s", key)
		}
		b.WriteString("\n")
	})
	b.WriteString("\nEnvironment only:\n")
	if cmd == "serve" {
		b.WriteString(envAPIKeys)
	}
	b.WriteString(envSecretKeys)
	b.WriteString(envOAuth)
	return b.String()
}
