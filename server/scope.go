package server

import (
	"context"

	"switchboard/accounts"
)

type scopeKey struct{}

// NewContext returns ctx carrying the scope the request acts in. Transports
// resolve it (identity, session, header overrides) before any MCP handling.
func NewContext(ctx context.Context, sc *accounts.Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, sc)
}

// ScopeFromContext returns the request's scope, or nil.
func ScopeFromContext(ctx context.Context) *accounts.Scope {
	sc, _ := ctx.Value(scopeKey{}).(*accounts.Scope)
	return sc
}
