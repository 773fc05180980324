package managedlogin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"
)

// discovery is the OpenID Provider metadata (OpenID Connect Discovery 1.0). On AWS it
// is served at the pool's issuer URL and names the domain's endpoints; here it is served
// at the emulation's origin, with the same issuer.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	base := origin(r)
	scopes := []string{}
	for _, c := range s.cfg.Clients {
		for _, sc := range c.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"issuer":                                s.cfg.Issuer,
		"authorization_endpoint":                base + "/oauth2/authorize",
		"token_endpoint":                        base + "/oauth2/token",
		"userinfo_endpoint":                     base + "/oauth2/userInfo",
		"end_session_endpoint":                  base + "/logout",
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      scopes,
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
	})
}

// jwks passes on the pool's signing keys from moto.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, s.cfg.JWKSURL, nil)
	if err != nil {
		s.oauthError(w, r, http.StatusBadGateway, "server_error", "no key set")
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.oauthError(w, r, http.StatusBadGateway, "server_error", "the user pool's keys are out of reach")
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	s.cors(w, r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

// tokenResponse is the token endpoint's answer (RFC 6749 5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int32  `json:"expires_in"`
}

// token exchanges an authorization code (with its PKCE verifier) or a refresh token
// for tokens. Its errors are RFC 6749's (5.2), as JSON.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	clientID := r.PostForm.Get("client_id")
	if id, secret, ok := r.BasicAuth(); ok {
		if secret != "" || (clientID != "" && clientID != id) {
			s.oauthError(w, r, http.StatusUnauthorized, "invalid_client", "these clients have no secret")
			return
		}
		clientID = id
	}
	client := s.clients[clientID]
	if client == nil {
		s.refuse(r, "token: unknown client", "client_id", clientID)
		s.oauthError(w, r, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, r, client)
	case "refresh_token":
		s.refreshTokens(w, r, client)
	case "":
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		s.oauthError(w, r, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

// exchangeCode redeems an authorization code once: for the client and redirect URI it
// was issued to, before it expires, with the verifier whose S256 digest is the
// authorization's challenge (RFC 7636 4.6).
func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request, client *Client) {
	code, redirect, verifier := r.PostForm.Get("code"), r.PostForm.Get("redirect_uri"), r.PostForm.Get("code_verifier")
	if code == "" || redirect == "" || verifier == "" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", "code, redirect_uri and code_verifier are required")
		return
	}
	s.mu.Lock()
	g := s.codes[code]
	delete(s.codes, code) // single use, whatever happens next
	s.mu.Unlock()
	now := s.cfg.Now()
	var why string
	switch {
	case g == nil:
		why = "the code is unknown or was used already"
	case now.After(g.expires):
		why = "the code has expired"
	case g.req.client.ID != client.ID:
		why = "the code was issued to another client"
	case g.req.redirectURI != redirect:
		why = "redirect_uri is not the one the code was issued for"
	case !verifierMatches(verifier, g.req.challenge):
		why = "code_verifier does not match the code_challenge"
	}
	if why != "" {
		s.refuse(r, why, "client_id", client.ID)
		s.oauthError(w, r, http.StatusBadRequest, "invalid_grant", why)
		return
	}
	if ok, _ := s.enabled(r.Context(), g.sub); !ok {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_grant", "the user may not sign in")
		return
	}
	s.mu.Lock()
	if s.refresh[g.tokens.refresh] == nil { // a resumed session hands out its first token again
		s.refresh[g.tokens.refresh] = &refreshGrant{clientID: client.ID, sub: g.sub, expires: now.Add(client.refreshValidity())}
	}
	s.mu.Unlock()
	resp := tokenResponse{AccessToken: g.tokens.access, RefreshToken: g.tokens.refresh, TokenType: "Bearer", ExpiresIn: g.tokens.expiresIn}
	if slices.Contains(strings.Fields(g.req.scope), "openid") {
		resp.IDToken = g.tokens.id
	}
	s.writeJSON(w, r, http.StatusOK, resp)
}

// verifierMatches checks a PKCE verifier (43 to 128 unreserved characters) against an
// S256 challenge, in constant time.
func verifierMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || strings.ContainsFunc(verifier, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
	}) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// refreshTokens answers a refresh token with new access and ID tokens from moto, for
// the client it was issued to, while it is valid and its user may sign in (moto would
// refresh a disabled user's tokens; Cognito does not).
func (s *Server) refreshTokens(w http.ResponseWriter, r *http.Request, client *Client) {
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", "refresh_token is required")
		return
	}
	s.mu.Lock()
	known := s.refresh[rt]
	s.mu.Unlock()
	switch {
	case known != nil && known.clientID != client.ID:
		s.oauthError(w, r, http.StatusBadRequest, "invalid_grant", "the refresh token was issued to another client")
		return
	case known != nil && s.cfg.Now().After(known.expires):
		s.oauthError(w, r, http.StatusBadRequest, "invalid_grant", "the refresh token has expired")
		return
	}
	out, err := s.cfg.Cognito.AdminInitiateAuth(r.Context(), &cip.AdminInitiateAuthInput{
		UserPoolId: &s.cfg.PoolID, ClientId: &client.ID, AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": rt},
	})
	if err != nil || out.AuthenticationResult == nil {
		s.refuse(r, "refresh refused", "error", errorName(err))
		s.oauthError(w, r, http.StatusBadRequest, "invalid_grant", "the refresh token is not valid")
		return
	}
	t := tokensOf(out.AuthenticationResult)
	claims := jwt.MapClaims{}
	_, _, _ = jwt.NewParser().ParseUnverified(t.access, claims)
	sub, _ := claims["sub"].(string)
	if ok, _ := s.enabled(r.Context(), sub); !ok {
		s.refuse(r, "refresh for a disabled user", "sub", sub)
		s.oauthError(w, r, http.StatusBadRequest, "invalid_grant", "the user may not sign in")
		return
	}
	s.writeJSON(w, r, http.StatusOK, tokenResponse{AccessToken: t.access, IDToken: t.id, TokenType: "Bearer", ExpiresIn: t.expiresIn})
}

// userInfo answers the attributes of the user an access token belongs to.
func (s *Server) userInfo(w http.ResponseWriter, r *http.Request) {
	raw := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(raw, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		s.oauthError(w, r, http.StatusUnauthorized, "invalid_token", "an access token is required")
		return
	}
	out, err := s.cfg.Cognito.GetUser(r.Context(), &cip.GetUserInput{AccessToken: aws.String(strings.TrimSpace(token))})
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		s.oauthError(w, r, http.StatusUnauthorized, "invalid_token", "the access token is not valid")
		return
	}
	info := map[string]string{"username": aws.ToString(out.Username)}
	for _, a := range out.UserAttributes {
		info[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if ok, _ := s.enabled(r.Context(), info["sub"]); !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		s.oauthError(w, r, http.StatusUnauthorized, "invalid_token", "the user may not sign in")
		return
	}
	s.writeJSON(w, r, http.StatusOK, info)
}

// preflight answers CORS preflight requests for the JSON endpoints, from the origins of
// the clients' callback and sign-out URLs.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	if s.cors(w, r) && r.Header.Get("Access-Control-Request-Method") != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "authorization, content-type")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

// cors adds the CORS headers of an allowed origin and reports whether it did.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	o := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	if o == "" || !s.origins[o] {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", o)
	return true
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	s.cors(w, r)
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError writes an OAuth 2.0 error response.
func (s *Server) oauthError(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	s.writeJSON(w, r, status, map[string]string{"error": code, "error_description": description})
}
