package managedlogin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// Cognito is what the emulation asks of the user pool's API (moto's): it checks
// passwords, sets new ones and hands out tokens; the emulation adds the pages, the
// OAuth 2.0 protocol and TOTP.
type Cognito interface {
	AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, opts ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
	AdminRespondToAuthChallenge(ctx context.Context, in *cip.AdminRespondToAuthChallengeInput, opts ...func(*cip.Options)) (*cip.AdminRespondToAuthChallengeOutput, error)
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, opts ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	GetUser(ctx context.Context, in *cip.GetUserInput, opts ...func(*cip.Options)) (*cip.GetUserOutput, error)
}

// Client is an app client with OAuth flows, as the template declares it (its URLs
// resolved for the local stack) and with the id the user pool gave it.
type Client struct {
	ID   string
	Name string
	// CallbackURLs are the only redirect URIs an authorization may name (exact match).
	CallbackURLs []string
	// LogoutURLs are the only places /logout sends a browser back to.
	LogoutURLs []string
	// Scopes are the client's AllowedOAuthScopes.
	Scopes []string
	// Flows are its AllowedOAuthFlows; only "code" is served.
	Flows []string
	// RefreshTokenValidity bounds how long a refresh token works; 0 is Cognito's
	// default of 30 days.
	RefreshTokenValidity time.Duration
	// AuthSessionValidity bounds the time between the steps of one sign-in; 0 is
	// Cognito's default of 3 minutes.
	AuthSessionValidity time.Duration
}

// PasswordPolicy is the pool's password policy, which the new-password page explains.
type PasswordPolicy struct {
	MinimumLength    int
	RequireLowercase bool
	RequireUppercase bool
	RequireNumbers   bool
	RequireSymbols   bool
}

// Config configures a Server.
type Config struct {
	// PoolID is the user pool's id.
	PoolID string
	// Issuer is the iss of the pool's tokens (https://cognito-idp.REGION.amazonaws.com/POOL).
	Issuer string
	// JWKSURL is where the pool's signing keys are served (moto's).
	JWKSURL string
	// Clients are the pool's app clients with OAuth flows.
	Clients []Client
	// PasswordPolicy is explained on the new-password page.
	PasswordPolicy PasswordPolicy
	// Cognito is the user pool's API.
	Cognito Cognito
	// Label names the account in authenticator apps (the otpauth issuer); default the pool id.
	Label string
	// Now is the clock of codes, sessions and TOTP; default time.Now.
	Now func() time.Time
	// Log receives what the emulation refused and why; default discards.
	Log *slog.Logger
}

// How long the things the emulation hands out last.
const (
	// codeLifetime: Cognito's authorization codes are good for five minutes.
	codeLifetime = 5 * time.Minute
	// sessionLifetime: managed login remembers a browser's sign-in for an hour.
	sessionLifetime    = time.Hour
	defaultAuthSession = 3 * time.Minute
	defaultRefresh     = 30 * 24 * time.Hour
	// maxWrongCodes ends a sign-in after this many wrong TOTP codes.
	maxWrongCodes = 5
)

// Cookie names: the browser's sign-in session, and the token that binds forms to it.
const (
	sessionCookie = "cognito"
	csrfCookie    = "XSRF-TOKEN"
)

// Server is the managed login of one user pool. It is an http.Handler.
type Server struct {
	cfg     Config
	clients map[string]*Client
	origins map[string]bool // where the JSON endpoints answer CORS
	mux     *http.ServeMux

	mu       sync.Mutex
	attempts map[string]*attempt      // sign-ins under way, by id
	codes    map[string]*grant        // authorization codes not yet exchanged
	sessions map[string]*session      // browsers signed in, by cookie
	refresh  map[string]*refreshGrant // refresh tokens handed out, by token
	totp     map[string]*totpUser     // authenticators, by user (sub)
}

// authRequest is what an authorization asked for.
type authRequest struct {
	client      *Client
	redirectURI string
	state       string
	scope       string
	challenge   string
	prompt      string
}

// tokens are the ones moto issued for a sign-in.
type tokens struct {
	access, id, refresh string
	expiresIn           int32
}

// attempt is a sign-in under way: the authorization it serves and how far it got.
type attempt struct {
	id, csrf      string
	req           authRequest
	expires       time.Time
	step          string
	email         string
	sub           string
	session       string // Cognito's, for the new-password challenge
	tokens        tokens
	pendingSecret string // the TOTP secret being set up
	wrongCodes    int
}

// The steps of a sign-in, each a page with a form.
const (
	stepPassword    = "password"
	stepNewPassword = "new-password"
	stepTOTPSetup   = "totp-setup"
	stepTOTP        = "totp"
)

// grant is an authorization code waiting for its exchange.
type grant struct {
	req     authRequest
	tokens  tokens
	sub     string
	expires time.Time
}

// session is a browser that signed in, so that the next authorization of the same
// client within the hour needs no password.
type session struct {
	sub, email, clientID, refresh string
	expires                       time.Time
}

// refreshGrant is what the emulation knows of a refresh token it handed out.
type refreshGrant struct {
	clientID, sub string
	expires       time.Time
}

// New returns the managed login of a user pool.
func New(cfg Config) (*Server, error) {
	if cfg.Cognito == nil || cfg.PoolID == "" {
		return nil, errors.New("managed login: a user pool and its API are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Label == "" {
		cfg.Label = cfg.PoolID
	}
	s := &Server{
		cfg: cfg, clients: map[string]*Client{}, origins: map[string]bool{},
		attempts: map[string]*attempt{}, codes: map[string]*grant{}, sessions: map[string]*session{},
		refresh: map[string]*refreshGrant{}, totp: map[string]*totpUser{},
	}
	for i := range cfg.Clients {
		c := &cfg.Clients[i]
		if c.ID == "" {
			return nil, fmt.Errorf("managed login: client %q has no id", c.Name)
		}
		s.clients[c.ID] = c
		for _, u := range slices.Concat(c.CallbackURLs, c.LogoutURLs) {
			if o := originOf(u); o != "" {
				s.origins[o] = true
			}
		}
	}
	s.mux = http.NewServeMux()
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	m.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	m.HandleFunc("GET /oauth2/authorize", s.authorize)
	m.HandleFunc("GET /login", s.authorize) // managed login's own address for the same request
	m.HandleFunc("POST /login", s.password)
	m.HandleFunc("POST /login/new-password", s.newPassword)
	m.HandleFunc("POST /login/totp-setup", s.totpSetup)
	m.HandleFunc("POST /login/totp", s.totpStep)
	m.HandleFunc("GET /logout", s.logout)
	m.HandleFunc("POST /oauth2/token", s.token)
	m.HandleFunc("GET /oauth2/userInfo", s.userInfo)
	m.HandleFunc("POST /oauth2/userInfo", s.userInfo)
	m.HandleFunc("OPTIONS /", s.preflight)
	m.HandleFunc("GET /login.css", serveStyle)
}

// ServeHTTP serves the endpoints and pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.expire()
	s.mux.ServeHTTP(w, r)
}

// expire forgets what has lapsed. Refresh tokens stay known, so that an expired one is
// refused rather than taken for one the emulation never saw.
func (s *Server) expire() {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, a := range s.attempts {
		if now.After(a.expires) {
			delete(s.attempts, k)
		}
	}
	for k, g := range s.codes {
		if now.After(g.expires) {
			delete(s.codes, k)
		}
	}
	for k, v := range s.sessions {
		if now.After(v.expires) {
			delete(s.sessions, k)
		}
	}
}

// origin is the scheme and host a request reached the emulation at.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// originOf returns the scheme://host[:port] of an http(s) URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// random returns n random bytes, base64url-encoded.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// scopesAllowed reports whether every scope of a space-separated list is the client's.
func (c *Client) scopesAllowed(scope string) bool {
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(c.Scopes, sc) {
			return false
		}
	}
	return true
}

func (c *Client) authSession() time.Duration {
	if c.AuthSessionValidity > 0 {
		return c.AuthSessionValidity
	}
	return defaultAuthSession
}

func (c *Client) refreshValidity() time.Duration {
	if c.RefreshTokenValidity > 0 {
		return c.RefreshTokenValidity
	}
	return defaultRefresh
}
