package tools

import (
	"fmt"
	"sort"
)

// What the catalog's data cannot say is Go code, registered by name next to
// the toolkit that uses it (tools/gmail.go for gmail.yaml) and named by the
// YAML: request.body_builder and result.transform. An unknown name is a load
// error.

// bodyBuilder turns the arguments a request sends nowhere else into members
// of its JSON body (GraphQL variables for a graphql request). An error made
// by badArgument becomes INVALID_ARGUMENTS naming that argument; any other
// error is INTERNAL.
type bodyBuilder func(args map[string]any) (map[string]any, error)

// transform reshapes a decoded upstream response before the result's path
// and fields apply. It must not fail: what it cannot read it leaves out.
type transform func(doc any) any

var (
	bodyBuilders = map[string]bodyBuilder{}
	transforms   = map[string]transform{}
)

// registerBodyBuilder makes b available to catalogs as
// request.body_builder: name. It is called from init functions.
func registerBodyBuilder(name string, b bodyBuilder) {
	if _, dup := bodyBuilders[name]; dup {
		panic("tools: body builder " + name + " registered twice")
	}
	bodyBuilders[name] = b
}

// registerTransform makes f available to catalogs as result.transform: name.
// It is called from init functions.
func registerTransform(name string, f transform) {
	if _, dup := transforms[name]; dup {
		panic("tools: transform " + name + " registered twice")
	}
	transforms[name] = f
}

// argumentError is a builder's verdict that an argument is invalid.
type argumentError struct{ Problem }

func (e *argumentError) Error() string { return e.Path + ": " + e.Reason }

// badArgument reports that the argument name is invalid for reason.
func badArgument(name, format string, args ...any) error {
	return &argumentError{Problem{Path: "/" + escapePointer(name), Reason: fmt.Sprintf(format, args...)}}
}

func registeredNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
