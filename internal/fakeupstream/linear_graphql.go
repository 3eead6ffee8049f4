package fakeupstream

import (
	"regexp"
	"slices"
	"strings"
)

// How the fake Linear reads a GraphQL request: the operations it serves,
// their variables and the checks Linear makes on them.

// linOp is a parsed operation: its root field, and the values of its
// arguments and input fields (absent when their variable was not given).
type linOp struct {
	field string
	args  map[string]any
	input map[string]any
}

var (
	linVarDef  = regexp.MustCompile(`\$(\w+)\s*:\s*([\w\[\]!]+)`)
	linVarUse  = regexp.MustCompile(`\$(\w+)`)
	linArgPair = regexp.MustCompile(`(\w+)\s*:\s*\$(\w+)`)
	linRoot    = regexp.MustCompile(`^\s*(\w+)\s*(\(([^()]*)\))?`)
)

// linSchema is the part of Linear's schema the toolkit touches: for each
// root field, the type of each argument and input field.
var linSchema = map[string]map[string]string{
	"viewer": {},
	"teams":  {"first": "Int", "after": "String", "filter": "TeamFilter"},
	"issues": {"filter": "IssueFilter", "first": "Int", "after": "String", "orderBy": "PaginationOrderBy", "includeArchived": "Boolean"},
	"searchIssues": {"term": "String!", "first": "Int", "after": "String", "filter": "IssueFilter", "includeComments": "Boolean",
		"teamId": "String", "includeArchived": "Boolean", "orderBy": "PaginationOrderBy"},
	"issue": {"id": "String!"},
	"issueCreate": {"input.teamId": "String!", "input.title": "String", "input.description": "String", "input.assigneeId": "String",
		"input.priority": "Int", "input.stateId": "String", "input.labelIds": "[String!]", "input.projectId": "String",
		"input.parentId": "String", "input.estimate": "Int", "input.dueDate": "TimelessDate"},
	"issueUpdate": {"id": "String!", "input.title": "String", "input.description": "String", "input.assigneeId": "String",
		"input.priority": "Int", "input.stateId": "String", "input.labelIds": "[String!]", "input.projectId": "String",
		"input.parentId": "String", "input.estimate": "Int", "input.dueDate": "TimelessDate"},
	"commentCreate": {"input.issueId": "String", "input.body": "String"},
}

// linParse validates the document as Linear's server would for these
// operations and resolves its variables.
func linParse(doc string, vars map[string]any) (*linOp, *linError) {
	open := strings.Index(doc, "{")
	if open < 0 || strings.LastIndex(doc, "}") < open {
		return nil, linInvalid("Syntax Error: Expected \"{\".")
	}
	head, rest := doc[:open], doc[open+1:]
	declared := map[string]string{}
	for _, m := range linVarDef.FindAllStringSubmatch(head, -1) {
		declared[m[1]] = m[2]
	}
	used := map[string]bool{}
	for _, m := range linVarUse.FindAllStringSubmatch(rest, -1) {
		used[m[1]] = true
		if _, ok := declared[m[1]]; !ok {
			return nil, linInvalid("Variable \"$%s\" is not defined.", m[1])
		}
	}
	for name, typ := range declared {
		if !used[name] {
			return nil, linInvalid("Variable \"$%s\" is never used.", name)
		}
		if v, ok := vars[name]; strings.HasSuffix(typ, "!") && (!ok || v == nil) {
			return nil, linInvalid("Variable \"$%s\" of required type \"%s\" was not provided.", name, typ)
		}
	}
	m := linRoot.FindStringSubmatch(rest)
	if m == nil {
		return nil, linInvalid("Syntax Error: Expected Name.")
	}
	op := &linOp{field: m[1], args: map[string]any{}, input: map[string]any{}}
	types, known := linSchema[op.field]
	if !known {
		return nil, linInvalid("Cannot query field \"%s\" on type \"Query\".", op.field)
	}
	argText := m[3]
	if strings.Contains(op.field, "Create") || op.field == "issueUpdate" {
		// issueUpdate(id: $id, input: {…}): the parentheses hold an object.
		end := strings.Index(rest, ") {")
		if end < 0 {
			return nil, linInvalid("Syntax Error: Expected \")\".")
		}
		argText = rest[strings.Index(rest, "(")+1 : end]
	}
	inInput := map[string]bool{}
	if i := strings.Index(argText, "input:"); i >= 0 {
		inner := argText[i:]
		for _, p := range linArgPair.FindAllStringSubmatch(inner, -1) {
			inInput[p[1]] = true
		}
	}
	for _, p := range linArgPair.FindAllStringSubmatch(argText, -1) {
		key, name := p[1], p[2]
		pos := key
		if inInput[key] {
			pos = "input." + key
		}
		want, ok := types[pos]
		if !ok {
			if inInput[key] {
				return nil, linInvalid("Field \"%s\" is not defined by type \"%sInput\".", key, strings.ToUpper(op.field[:1])+op.field[1:])
			}
			return nil, linInvalid("Unknown argument \"%s\" on field \"Query.%s\".", key, op.field)
		}
		got := declared[name]
		if strings.TrimSuffix(got, "!") != strings.TrimSuffix(want, "!") || (strings.HasSuffix(want, "!") && !strings.HasSuffix(got, "!")) {
			return nil, linInvalid("Variable \"$%s\" of type \"%s\" used in position expecting type \"%s\".", name, got, want)
		}
		v, given := vars[name]
		if !given {
			continue
		}
		if err := linCheckValue(name, want, v); err != nil {
			return nil, err
		}
		if inInput[key] {
			op.input[key] = v
		} else {
			op.args[key] = v
		}
	}
	for name := range vars {
		if _, ok := declared[name]; !ok {
			return nil, linInvalid("Variable \"$%s\" is not defined by the operation.", name)
		}
	}
	return op, nil
}

// linCheckValue checks a variable's JSON value against its GraphQL type.
func linCheckValue(name, typ string, v any) *linError {
	bad := func() *linError {
		return linInvalid("Variable \"$%s\" got invalid value %v; %s cannot represent it.", name, v, strings.TrimSuffix(typ, "!"))
	}
	if v == nil {
		return nil
	}
	switch strings.TrimSuffix(typ, "!") {
	case "String", "TimelessDate":
		if _, ok := v.(string); !ok {
			return bad()
		}
	case "Int":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return bad()
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return bad()
		}
	case "[String!]":
		list, ok := v.([]any)
		if !ok {
			return bad()
		}
		for _, item := range list {
			if _, ok := item.(string); !ok {
				return bad()
			}
		}
	case "PaginationOrderBy":
		if v != "createdAt" && v != "updatedAt" {
			return linInvalid("Variable \"$%s\" got invalid value %q; Value %q does not exist in \"PaginationOrderBy\" enum.", name, v, v)
		}
	case "IssueFilter", "TeamFilter":
		f, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		for key := range f {
			if !slices.Contains([]string{"team", "assignee", "state", "labels", "project", "priority", "updatedAt", "title", "and", "or"}, key) {
				return linInvalid("Variable \"$%s\" got invalid value; Field \"%s\" is not defined by type \"IssueFilter\".", name, key)
			}
		}
	}
	return nil
}
