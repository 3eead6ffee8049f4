package accounts

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"switchboard/tools"
)

// AuthConfig says how a toolkit is authorized: a scheme plus, for oauth2,
// the OAuth app's settings (added with the OAuth flows).
type AuthConfig struct {
	// ID is "ac_…", unique across the server.
	ID string
	// Toolkit is the slug it authorizes.
	Toolkit string
	// Scheme is "oauth2", "api_key" or "bearer_token".
	Scheme string
	// ClientID and ClientSecret identify the operator's OAuth app (oauth2).
	ClientID     string
	ClientSecret Secret
	// Scopes override the toolkit's default scopes (oauth2); empty keeps them.
	Scopes []string
	// AuthorizeURL, TokenURL and RevokeURL override the provider endpoints of
	// the toolkit (oauth2): for tests, proxies and enterprise installs.
	AuthorizeURL, TokenURL, RevokeURL string
}

// Config holds what a Service is built from. Every field is required unless
// its comment says otherwise.
type Config struct {
	// Store persists everything.
	Store Store
	// Keys seal credentials.
	Keys *KeyRing
	// Catalog is the toolkit catalog.
	Catalog *tools.Catalog
	// Executor makes upstream requests.
	Executor *tools.Executor
	// AuthConfigs are the operator's auth configs; the first of a toolkit is
	// its default. Token schemes (api_key, bearer_token) get a built-in one.
	AuthConfigs []AuthConfig
	// PublicURL is the external base URL of connect links, without a
	// trailing slash.
	PublicURL string
	// LinkTTL is how long a connect link lives; default 10 minutes.
	LinkTTL time.Duration
	// Log is the logger; nil means none.
	Log *zap.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Locker serializes token refreshes per account across processes (the
	// store's lease, when it offers one); nil means this process only.
	Locker Locker
	// SessionTTL is the default lifetime of a session made by the
	// application API; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// MaxSessionTTL is the longest lifetime such a session may ask for; 0
	// means DefaultMaxSessionTTL.
	MaxSessionTTL time.Duration
	// CallbackHosts are the hosts a connect link may send the person's
	// browser back to once it completes (callback_url), besides the public
	// URL's own host: "app.example.com" allows that host on any port,
	// "app.example.com:8443" on that port only.
	CallbackHosts []string
	// OnRefresh, when set, is told of every token refresh attempt: the
	// toolkit and "ok", "invalid_grant" or "error" (metrics).
	OnRefresh func(toolkit, outcome string)
	// MaxSessionsPerUser refuses a user's new session once that many are
	// stored (SESSION_LIMIT), so that a client that keeps initializing
	// cannot fill the store; 0 means no limit. Idle and ended sessions
	// leave with the sweep (Retention). The count is read before the
	// insert, so concurrent creations may pass it by a few.
	MaxSessionsPerUser int
	// Retention is what Sweep deletes; the zero value deletes nothing.
	Retention Retention
}

// Service applies the rules of DESIGN.md to a Store. It is safe for
// concurrent use.
type Service struct {
	store     Store // raw behind the cache of sessions and accounts
	raw       Store
	keys      *KeyRing
	catalog   *tools.Catalog
	exec      *tools.Executor
	configs   []AuthConfig
	baseURL   string
	linkTTL   time.Duration
	log       *zap.Logger
	now       func() time.Time
	events    *broker
	audit     *auditQueue
	pollTick  time.Duration
	locker    Locker
	refreshed func(toolkit, outcome string)
	retention Retention

	sessionDefaultTTL, sessionMaxTTL time.Duration
	maxSessions                      int
	callbackHosts                    []string
}

// NewService returns a Service for cfg.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Catalog == nil || cfg.Executor == nil {
		return nil, errors.New("accounts: Config needs Store, Keys, Catalog and Executor")
	}
	s := &Service{
		store:     newCachedStore(cfg.Store),
		raw:       cfg.Store,
		keys:      cfg.Keys,
		catalog:   cfg.Catalog,
		exec:      cfg.Executor,
		baseURL:   cfg.PublicURL,
		linkTTL:   cfg.LinkTTL,
		log:       cfg.Log,
		now:       cfg.Now,
		events:    newBroker(),
		pollTick:  200 * time.Millisecond,
		locker:    cfg.Locker,
		refreshed: cfg.OnRefresh,
		retention: cfg.Retention,

		sessionDefaultTTL: cfg.SessionTTL,
		sessionMaxTTL:     cfg.MaxSessionTTL,
		callbackHosts:     cfg.CallbackHosts,
		maxSessions:       cfg.MaxSessionsPerUser,
	}
	if s.sessionDefaultTTL <= 0 {
		s.sessionDefaultTTL = DefaultSessionTTL
	}
	if s.sessionMaxTTL <= 0 {
		s.sessionMaxTTL = DefaultMaxSessionTTL
	}
	if s.sessionDefaultTTL > s.sessionMaxTTL {
		return nil, fmt.Errorf("the default session TTL (%s) exceeds the maximum (%s)", s.sessionDefaultTTL, s.sessionMaxTTL)
	}
	if s.refreshed == nil {
		s.refreshed = func(string, string) {}
	}
	if s.locker == nil {
		s.locker = newLocalLocker()
	} else {
		// Waiters of this process queue in memory; only one of them at a
		// time polls the shared lock.
		s.locker = layered{newLocalLocker(), s.locker}
	}
	if s.linkTTL <= 0 {
		s.linkTTL = 10 * time.Minute
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.audit = newAuditQueue(s.store, s.log)
	if s.now == nil {
		s.now = time.Now
	}
	if err := CheckAuthConfigs(s.catalog, cfg.AuthConfigs); err != nil {
		return nil, err
	}
	s.configs = append(s.configs, cfg.AuthConfigs...)
	// Token schemes need no operator setting, so each gets a built-in config
	// (id ac_<toolkit>_<scheme>) after the operator's own, unless the
	// operator wrote one for that toolkit and scheme.
	for _, tk := range s.catalog.Toolkits() {
		for _, sc := range tk.Schemes {
			if sc.Kind != "bearer_token" && sc.Kind != "api_key" {
				continue
			}
			dup := false
			for _, ac := range s.authConfigs(tk.Slug) {
				dup = dup || ac.Scheme == sc.Kind
			}
			if !dup {
				s.configs = append(s.configs, AuthConfig{ID: "ac_" + tk.Slug + "_" + sc.Kind, Toolkit: tk.Slug, Scheme: sc.Kind})
			}
		}
	}
	s.events.connectRemote(cfg.Store, s.log)
	return s, nil
}

// CheckAuthConfigs returns the error NewService gives for configs with
// catalog, if any: an unknown toolkit or scheme, an oauth2 config without
// its client id or secret, an id used twice. It touches nothing, so a
// program can refuse to start before it creates its store.
func CheckAuthConfigs(catalog *tools.Catalog, configs []AuthConfig) error {
	seen := map[string]bool{}
	for _, ac := range configs {
		tk := catalog.Toolkit(ac.Toolkit)
		if tk == nil {
			return fmt.Errorf("auth config %s: unknown toolkit %q", ac.ID, ac.Toolkit)
		}
		if tk.Scheme(ac.Scheme) == nil {
			return fmt.Errorf("auth config %s: toolkit %s does not offer scheme %q", ac.ID, ac.Toolkit, ac.Scheme)
		}
		if ac.Scheme == "oauth2" && (ac.ClientID == "" || ac.ClientSecret == "") {
			return fmt.Errorf("auth config %s: an oauth2 auth config needs client_id and a client secret", ac.ID)
		}
		if seen[ac.ID] {
			return fmt.Errorf("auth config %s: id used twice", ac.ID)
		}
		seen[ac.ID] = true
	}
	return nil
}

// Catalog returns the toolkit catalog the service serves.
func (s *Service) Catalog() *tools.Catalog { return s.catalog }

// Store returns the store as configured, without the service's cache in
// front of it (see cachedStore): its reads always go to the database.
func (s *Service) Store() Store { return s.raw }

// authConfigs returns the auth configs of toolkit, the default first.
func (s *Service) authConfigs(toolkit string) []AuthConfig {
	var out []AuthConfig
	for _, ac := range s.configs {
		if ac.Toolkit == toolkit {
			out = append(out, ac)
		}
	}
	return out
}

// AuthSchemes returns the schemes configured for toolkit, in config order
// without repeats.
func (s *Service) AuthSchemes(toolkit string) []string {
	var out []string
	for _, ac := range s.authConfigs(toolkit) {
		dup := false
		for _, o := range out {
			dup = dup || o == ac.Scheme
		}
		if !dup {
			out = append(out, ac.Scheme)
		}
	}
	return out
}

// toolkit returns the catalog entry for slug, or TOOLKIT_UNKNOWN naming the
// toolkits there are.
func (s *Service) toolkit(slug string) (*tools.Toolkit, error) {
	if tk := s.catalog.Toolkit(slug); tk != nil {
		return tk, nil
	}
	var names []string
	for _, tk := range s.catalog.Toolkits() {
		names = append(names, tk.Slug)
	}
	return nil, Errorf(CodeToolkitUnknown, "There is no toolkit %s. Known toolkits: %v.", Quote(slug), names)
}

// enabled returns the toolkit if the scope may use it.
func (s *Service) enabled(sc *Scope, slug string) (*tools.Toolkit, error) {
	tk, err := s.toolkit(slug)
	if err != nil {
		return nil, err
	}
	if !sc.Allows(slug) {
		return nil, Errorf(CodeToolkitNotEnabled, "The toolkit %s is not enabled in this session; the session's toolkits are restricted (X-Toolkits or session config).", slug)
	}
	return tk, nil
}
