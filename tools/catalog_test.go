package tools_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"switchboard/tools"
)

func TestBuiltinGitHub(t *testing.T) {
	c := builtin(t)
	gh := c.Toolkit("github")
	if gh == nil {
		t.Fatal(`Toolkit("github") = nil`)
	}
	t.Run("StaticHeaders", func(t *testing.T) {
		want := map[string]string{"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
		assertDiff(t, "headers", want, gh.Headers)
	})
	t.Run("BearerTokenScheme", func(t *testing.T) {
		s := gh.Scheme(tools.SchemeBearerToken)
		if s == nil || s.Header != "Authorization" || s.Prefix != "Bearer " || s.CredentialLabel != "Personal access token" ||
			!strings.Contains(s.Help, "https://github.com/settings/tokens") || !strings.Contains(s.Help, "repo") {
			t.Errorf("bearer_token scheme = %+v", s)
		}
	})
	t.Run("OAuth2SchemeDeclared", func(t *testing.T) {
		if s := gh.Scheme(tools.SchemeOAuth2); s == nil || s.Prefix != "Bearer " || s.TokenURL == "" {
			t.Errorf("oauth2 scheme = %+v", s)
		}
		if s := gh.Scheme(tools.SchemeAPIKey); s != nil {
			t.Errorf("api_key scheme = %+v, want nil", s)
		}
	})
	t.Run("IdentityIsGetUser", func(t *testing.T) {
		want := &tools.IdentityRequest{Kind: "rest", Method: "GET", Path: "/user", IDField: "id", LabelField: "login"}
		assertDiff(t, "identity", want, gh.Identity)
	})
	t.Run("RequiredTools", func(t *testing.T) {
		for _, name := range []string{"GITHUB_GET_AUTHENTICATED_USER", "GITHUB_LIST_REPOSITORIES", "GITHUB_CREATE_ISSUE",
			"GITHUB_GET_REPOSITORY", "GITHUB_LIST_ISSUES", "GITHUB_GET_ISSUE", "GITHUB_CREATE_ISSUE_COMMENT"} {
			if tl := c.Tool(name); tl == nil || tl.Toolkit != "github" {
				t.Errorf("Tool(%s) = %+v", name, tl)
			}
		}
	})
	t.Run("UnknownNamesAreNil", func(t *testing.T) {
		if c.Tool("GITHUB_NOPE") != nil || c.Toolkit("nope") != nil {
			t.Error("unknown names resolved")
		}
	})
	t.Run("ListTypeExclusionDocumented", func(t *testing.T) {
		if d := c.Tool("GITHUB_LIST_REPOSITORIES").Description; !strings.Contains(d, "type cannot be combined with visibility or") {
			t.Errorf("description does not warn about type: %q", d)
		}
	})
}

// acme is a minimal valid toolkit file that the cases below break.
const acme = `slug: acme
name: Acme
description: A test toolkit.
base_url: https://api.acme.test
schemes:
  - kind: bearer_token
    credential_label: API token
    help: Create one in settings.
tools:
  - name: ACME_GET_THING
    title: Get a thing
    description: Returns a thing.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        id: {type: string, description: The thing id.}
      required: [id]
      additionalProperties: false
    request:
      method: GET
      path: /things/{id}
    result:
      fields: [name]
      text: "{name}"
`

// acmeIDToPath spans acme from the id property to the path that sends it.
var acmeIDToPath = acme[strings.Index(acme, "        id: {type: string") : strings.Index(acme, "path: /things/{id}")+len("path: /things/{id}")]

func TestLoadCatalog(t *testing.T) {
	load := func(files map[string]string) error {
		fsys := fstest.MapFS{}
		for name, data := range files {
			fsys[name] = &fstest.MapFile{Data: []byte(data)}
		}
		_, err := tools.LoadCatalog(fsys)
		return err
	}
	if err := load(map[string]string{"acme.yaml": acme}); err != nil {
		t.Fatalf("valid catalog: %v", err)
	}
	secondTool := acme[strings.Index(acme, "  - name: ACME_GET_THING"):]
	tests := []struct {
		name     string
		old, new string // replaced once in acme
		file     string // default acme.yaml
		want     []string
	}{
		{"DuplicateName", "", secondTool, "", []string{`acme.yaml: tools[1] (ACME_GET_THING).name: "ACME_GET_THING" is defined twice`}},
		{"MissingAnnotation", " idempotent: true,", "", "", []string{"acme.yaml: tools[0] (ACME_GET_THING).annotations.idempotent: missing"}},
		{"BadSchema", "{type: string, description", "{type: strin, description", "", []string{"acme.yaml: tools[0] (ACME_GET_THING).input_schema: does not compile"}},
		{"RefToAFile", "{type: string, description", `{$ref: "file:///etc/hostname", description`, "", []string{"input_schema: does not compile", "self-contained: $ref points inside it (#/$defs/name), not to file:///etc/hostname"}},
		{"UnknownKey", "    request:\n", "    request:\n      methd: GET\n", "", []string{"acme.yaml:", "field methd not found"}},
		{"PlaceholderNotRequired", "required: [id]", "required: []", "", []string{"acme.yaml: tools[0] (ACME_GET_THING).request.path: placeholder {id} must be a required string or integer property"}},
		{"PlaceholderNotAProperty", "/things/{id}", "/things/{id}/{nope}", "", []string{`request.path: "nope" is not a property of input_schema`}},
		{"NameWithoutToolkitPrefix", "name: ACME_GET_THING", "name: OTHER_GET_THING", "", []string{"tools[0] (OTHER_GET_THING).name:", "starting with ACME_"}},
		{"NameNotSnakeCase", "name: ACME_GET_THING", "name: acme_getThing", "", []string{"must be upper snake case TOOLKIT_ACTION"}},
		{"DescriptionOverBudget", "description: Returns a thing.", "description: " + strings.Repeat("x", tools.MaxDescriptionLen+1), "", []string{"description: is 1025 characters; the budget is 1024"}},
		{"EmptyDescription", "description: Returns a thing.", "description: ''", "", []string{"(ACME_GET_THING).description: missing"}},
		{"OpenSchema", "additionalProperties: false", "additionalProperties: true", "", []string{"input_schema.additionalProperties: must be false"}},
		{"PropertyWithoutDescription", "{type: string, description: The thing id.}", "{type: string}", "", []string{"input_schema.properties.id.description: missing"}},
		{"ArgumentNotSent", "        id: {type: string, description: The thing id.}\n", "        id: {type: string, description: The thing id.}\n        q: {type: string, description: Q.}\n", "", []string{`property "q" of input_schema is not sent`}},
		{"UnknownRequestKind", "      method: GET\n", "      kind: soap\n      method: GET\n", "", []string{`request.kind: "soap" is not one of rest, graphql`}},
		{"GraphQLIsPOST", "      method: GET\n", "      kind: graphql\n      method: GET\n", "", []string{`request.method: a graphql request is a POST`}},
		{"ReadOnlyPOSTNotSafe", "method: GET", "method: POST", "", []string{"annotations.read_only: a POST request is read-only only when marked safe: true"}},
		{"GETNotReadOnly", "read_only: true", "read_only: false", "", []string{"annotations.read_only: a GET request only reads, so the tool is read_only"}},
		{"ReadOnlyNotIdempotent", "idempotent: true", "idempotent: false", "", []string{"a read_only tool is idempotent"}},
		{"SafeGET", "      method: GET\n", "      method: GET\n      safe: true\n", "", []string{"request.safe: only a POST is marked safe"}},
		{"UnknownBodyBuilder", "      method: GET\n", "      method: POST\n      safe: true\n      body_builder: nope\n", "", []string{`request.body_builder: "nope" is not a registered body builder`}},
		{"UnknownTransform", "    result:\n", "    result:\n      transform: nope\n", "", []string{`result.transform: "nope" is not a registered transform`}},
		{"WireNameTwice", "path: /things/{id}", "path: /things\n      query: [id, {id2: id}]", "", []string{`request.query: "id" is sent twice (for id and id2)`}},
		{"BadQueryArrays", "base_url: https://api.acme.test\n", "base_url: https://api.acme.test\nquery_arrays: semicolon\n", "", []string{`query_arrays: "semicolon" is not one of comma, repeat`}},
		{"PaginationWithoutMode", "      text: \"{name}\"\n", "      text: \"{name}\"\n      pagination: {default_per_page: 5}\n", "", []string{"result.pagination: set either page_arg (numbered pages) or cursor_arg (cursors)"}},
		{"CursorArgNotString", "      text: \"{name}\"\n", "      text: \"{name}\"\n      pagination: {cursor_arg: nope, next_cursor: next}\n", "", []string{`result.pagination.cursor_arg: "nope" must be a string property`}},
		{"OAuthSettingOnBearer", "    help: Create one in settings.\n", "    help: Create one in settings.\n    client_auth: basic\n", "", []string{"schemes[0]: authorization_url, token_url, scopes and the other OAuth settings belong to oauth2 schemes only"}},
		{"TextNamesUnkeptField", `text: "{name}"`, `text: "{title}"`, "", []string{"result.text: placeholder {title} is not one of fields"}},
		{"ReadOnlyDestructive", "destructive: false", "destructive: true", "", []string{"a read_only tool cannot be destructive"}},
		{"UnknownSchemeKind", "kind: bearer_token", "kind: basic", "", []string{`schemes[0].kind: "basic" is not one of`}},
		{"SlugNotFileName", "", "", "other.yaml", []string{`other.yaml: slug: "acme" does not match the file name`}},
		{"CodeRulesWithoutCodeField", "base_url: https://api.acme.test\n", "base_url: https://api.acme.test\nerrors: {unauthorized: [bad_token]}\n", "", []string{"errors.code_field: missing"}},
		{"CodeInTwoRules", "base_url: https://api.acme.test\n", "base_url: https://api.acme.test\nerrors: {code_field: error, unauthorized: [x], unavailable: [x]}\n", "", []string{`code "x" is also in`}},
		{"RateLimitWaitNotPositive", "base_url: https://api.acme.test\n", "base_url: https://api.acme.test\nerrors: {code_field: error, rate_limited: {slow: 0}}\n", "", []string{"errors.rate_limited.slow: wait 0 must be a positive number of seconds"}},
		{"MissingScopeWithoutNeeded", "base_url: https://api.acme.test\n", "base_url: https://api.acme.test\nerrors: {code_field: error, missing_scope: {codes: [scope]}}\n", "", []string{"errors.missing_scope.needed: missing"}},
		{"ErrorPathNotDotted", "base_url: https://api.acme.test\n", "base_url: https://api.acme.test\nerrors: {code_field: error..code}\n", "", []string{`errors.code_field: "error..code" is not a dotted path`}},
		{"MultiSegmentPlaceholderInteger", acmeIDToPath, strings.NewReplacer("type: string", "type: integer", "{id}", "{id*}").Replace(acmeIDToPath), "",
			[]string{"request.path: placeholder {id*} must be a string property"}},
		{"CutNotPositive", `      text: "{name}"` + "\n", `      text: "{name}"` + "\n      cut: {name: 0}\n", "", []string{"result.cut.name: must keep at least 1 character"}},
		{"ExtraWithoutListPath", `      text: "{name}"` + "\n", `      text: "{name}"` + "\n      extra: [total]\n", "", []string{"result.extra: goes with list_path"}},
		{"ExtraClashes", `      text: "{name}"` + "\n", `      text: "{name}"` + "\n      list_path: items\n      extra: [count]\n", "", []string{`result.extra: "count" clashes with a key of the list result`}},
		{"CredentialInCatalog", "base_url: https://api.acme.test\n", "base_url: https://api.acme.test\nheaders: {Authorization: x}\n", "", []string{"headers.Authorization: credentials come from the account"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := acme + tt.new
			if tt.old != "" {
				if !strings.Contains(acme, tt.old) {
					t.Fatalf("case does not apply: %q not in acme", tt.old)
				}
				data = strings.Replace(acme, tt.old, tt.new, 1)
			}
			file := tt.file
			if file == "" {
				file = "acme.yaml"
			}
			err := load(map[string]string{file: data})
			if err == nil {
				t.Fatal("LoadCatalog succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
	t.Run("EveryProblemReported", func(t *testing.T) {
		data := strings.Replace(strings.Replace(acme, " idempotent: true,", "", 1), "title: Get a thing", "title: ''", 1)
		err := load(map[string]string{"acme.yaml": data})
		if err == nil || !strings.Contains(err.Error(), "annotations.idempotent") || !strings.Contains(err.Error(), "title: missing") {
			t.Errorf("error = %v, want both problems", err)
		}
	})
	t.Run("OptionalMultiSegmentPlaceholder", func(t *testing.T) {
		data := strings.NewReplacer("required: [id]", "required: []", "{id}", "{id*}").Replace(acme)
		if err := load(map[string]string{"acme.yaml": data}); err != nil {
			t.Errorf("an optional {id*} is refused: %v", err)
		}
	})
	t.Run("TransformTextMayNameWhatItAdds", func(t *testing.T) {
		data := strings.Replace(acme, "    result:\n      fields: [name]\n      text: \"{name}\"", "    result:\n      transform: test_shout\n      fields: [name]\n      text: \"{name} {shouted}\"", 1)
		if data == acme {
			t.Fatal("case does not apply")
		}
		if err := load(map[string]string{"acme.yaml": data}); err != nil {
			t.Errorf("text naming a member the transform adds is refused: %v", err)
		}
	})
	t.Run("EmptyCatalog", func(t *testing.T) {
		if err := load(nil); err == nil {
			t.Error("empty catalog loaded")
		}
	})
}

func TestLoadCatalogs(t *testing.T) {
	dir := func(tb testing.TB, files map[string]string) string {
		tb.Helper()
		d := tb.TempDir()
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(d, name), []byte(data), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
		return d
	}
	github := strings.NewReplacer("slug: acme", "slug: github", "ACME_", "GITHUB_")
	t.Run("OperatorToolkitAdded", func(t *testing.T) {
		c, err := tools.BuiltinWith(dir(t, map[string]string{"acme.yaml": acme, "notes.txt": "ignored"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.Toolkit("acme") == nil || c.Tool("ACME_GET_THING") == nil || c.Toolkit("github") == nil || c.Tool("GITHUB_CREATE_ISSUE") == nil {
			t.Errorf("toolkits %v", c.Toolkits())
		}
		if b := builtin(t); b.Toolkit("acme") != nil {
			t.Error("Builtin changed")
		}
	})
	t.Run("NoDirsIsBuiltin", func(t *testing.T) {
		if c, err := tools.BuiltinWith(); err != nil || c != builtin(t) {
			t.Errorf("BuiltinWith() = %p, %v", c, err)
		}
	})
	tests := []struct {
		name string
		dirs func(t *testing.T) []string
		want []string
	}{
		{"ClashWithBuiltin", func(t *testing.T) []string {
			return []string{dir(t, map[string]string{"github.yaml": github.Replace(acme)})}
		}, []string{`github.yaml: slug "github" is already defined by the built-in toolkit file github.yaml`}},
		{"ClashBetweenDirs", func(t *testing.T) []string {
			return []string{dir(t, map[string]string{"acme.yaml": acme}), dir(t, map[string]string{"acme.yaml": acme})}
		}, []string{`acme.yaml: slug "acme" is already defined by `, "acme.yaml; rename one of them"}},
		{"EmptyDir", func(t *testing.T) []string { return []string{dir(t, nil)} }, []string{"toolkits directory holds no *.yaml files"}},
		{"MissingDir", func(t *testing.T) []string { return []string{filepath.Join(t.TempDir(), "nope")} }, []string{"toolkits directory holds no *.yaml files"}},
		{"SameRulesAsBuiltin", func(t *testing.T) []string {
			return []string{dir(t, map[string]string{"acme.yaml": strings.Replace(acme, " idempotent: true,", "", 1)})}
		}, []string{"acme.yaml: tools[0] (ACME_GET_THING).annotations.idempotent: missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dirs := tt.dirs(t)
			_, err := tools.BuiltinWith(dirs...)
			if err == nil {
				t.Fatal("BuiltinWith succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), dirs[len(dirs)-1]) {
				t.Errorf("error %q does not name the operator's file", err)
			}
		})
	}
}
