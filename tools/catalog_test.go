package tools_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"switchboard/tools"
)

func builtin(tb testing.TB) *tools.Catalog {
	tb.Helper()
	c, err := tools.Builtin()
	if err != nil {
		tb.Fatalf("Builtin: %v", err)
	}
	return c
}

func TestBuiltinGitHub(t *testing.T) {
	c := builtin(t)
	gh := c.Toolkit("github")
	if gh == nil {
		t.Fatal(`Toolkit("github") = nil`)
	}
	t.Run("StaticHeaders", func(t *testing.T) {
		want := map[string]string{"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
		if diff := cmp.Diff(want, gh.Headers); diff != "" {
			t.Errorf("headers (-want +got):\n%s", diff)
		}
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
		if diff := cmp.Diff(want, gh.Identity); diff != "" {
			t.Errorf("identity (-want +got):\n%s", diff)
		}
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
		{"GraphQLNotYet", "      method: GET\n", "      kind: graphql\n      method: GET\n", "", []string{`request.kind: "graphql" is not supported`}},
		{"TextNamesUnkeptField", `text: "{name}"`, `text: "{title}"`, "", []string{"result.text: placeholder {title} is not one of fields"}},
		{"ReadOnlyDestructive", "destructive: false", "destructive: true", "", []string{"a read_only tool cannot be destructive"}},
		{"UnknownSchemeKind", "kind: bearer_token", "kind: basic", "", []string{`schemes[0].kind: "basic" is not one of`}},
		{"SlugNotFileName", "", "", "other.yaml", []string{`other.yaml: slug: "acme" does not match the file name`}},
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
	t.Run("EmptyCatalog", func(t *testing.T) {
		if err := load(nil); err == nil {
			t.Error("empty catalog loaded")
		}
	})
}
