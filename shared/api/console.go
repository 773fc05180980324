package api

import (
	"net/http"
	"strings"
)

// ConsoleConfig is what GET /console/config.json tells the staff console: where it signs
// staff in (Cognito managed login, the authorization code flow with PKCE), as which
// public app client, where the sign-in comes back to and the sign-out goes, and with
// which scopes.
type ConsoleConfig struct {
	Authority   string `json:"authority"`
	ClientID    string `json:"clientId"`
	RedirectURI string `json:"redirectUri"`
	LogoutURI   string `json:"logoutUri"`
	Scopes      string `json:"scopes"`
}

// ConsoleScopes are the scopes the console asks for, as its app client allows them.
const ConsoleScopes = "openid email profile"

// NewConsoleConfig builds the console's configuration from the managed login's origin,
// the console's client id and the stack's public base URL: the console lives at
// publicBaseURL/console/, which is its callback and sign-out URL too.
func NewConsoleConfig(authBaseURL, clientID, publicBaseURL string) ConsoleConfig {
	console := strings.TrimRight(publicBaseURL, "/") + "/console/"
	return ConsoleConfig{Authority: strings.TrimRight(authBaseURL, "/"), ClientID: clientID,
		RedirectURI: console, LogoutURI: console, Scopes: ConsoleScopes}
}

// SubmissionsOption configures NewSubmissions.
type SubmissionsOption func(*submissions)

// WithConsole makes the submissions function answer GET /console/config.json with c.
func WithConsole(c ConsoleConfig) SubmissionsOption {
	return func(s *submissions) { s.console = &c }
}

// consoleConfig answers the console's configuration; public, as the sign-in page is.
func (s *submissions) consoleConfig(w http.ResponseWriter, r *http.Request) error {
	if s.console == nil {
		return newHTTPError(http.StatusNotFound, "not-found", "Not found", "This deployment has no staff console.")
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, s.console)
	return nil
}

// consolePage serves the staff console. Its Content-Security-Policy is the pages' with
// one addition: the console may call the managed login's token endpoint (another
// origin, the user pool's domain) to trade its code and refresh its tokens.
func (s *submissions) consolePage(w http.ResponseWriter, r *http.Request) error {
	if s.console == nil {
		return newHTTPError(http.StatusNotFound, "not-found", "Not found", "This deployment has no staff console.")
	}
	return writePage(w, "console", connecting(s.console.Authority))
}

// consoleHome sends /console to /console/, the address the sign-in returns to. The
// Location is relative, so behind a custom domain whose API mapping adds a base path
// (PublicBaseUrl https://example.org/tracker) the browser stays under that path.
func consoleHome(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Location", "console/")
	w.WriteHeader(http.StatusFound)
	return nil
}
