package managedlogin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"
)

// authorize starts an authorization (RFC 6749 4.1.1 with PKCE, RFC 7636). A request
// that names an unknown client or a redirect URI the client has not registered gets a
// page saying so, never a redirect; any other fault goes back to the client as an
// error with its state. A browser signed in to the same client within the hour is sent
// back at once, unless the client asks for prompt=login.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client := s.clients[q.Get("client_id")]
	if client == nil {
		s.refuse(r, "unknown client", "client_id", q.Get("client_id"))
		s.errorPage(w, r, http.StatusBadRequest, "This sign-in link does not work",
			"It names no application that signs in here. Go back to the application and sign in from there.", "")
		return
	}
	redirect := q.Get("redirect_uri")
	if !slices.Contains(client.CallbackURLs, redirect) {
		s.refuse(r, "redirect URI not registered", "client_id", client.ID, "redirect_uri", redirect)
		s.errorPage(w, r, http.StatusBadRequest, "This sign-in link does not work",
			"It would send you back to an address this application has not registered. Go back to the application and sign in from there.", "")
		return
	}
	req := authRequest{client: client, redirectURI: redirect, state: q.Get("state"), scope: q.Get("scope"),
		challenge: q.Get("code_challenge"), prompt: q.Get("prompt")}
	fail := func(code, description string) {
		s.refuse(r, description, "client_id", client.ID)
		s.redirectError(w, r, req, code, description)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
		return
	case !slices.Contains(client.Flows, "code"):
		fail("unauthorized_client", "the client may not use the authorization code flow")
		return
	case req.challenge == "":
		fail("invalid_request", "a public client must send code_challenge (PKCE)")
		return
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case !validChallenge(req.challenge):
		fail("invalid_request", "code_challenge must be a base64url SHA-256 digest")
		return
	case !client.scopesAllowed(req.scope):
		fail("invalid_scope", "a scope the client may not ask for")
		return
	case q.Get("identity_provider") != "" && q.Get("identity_provider") != "COGNITO":
		fail("invalid_request", "only the user pool's own sign-in is emulated locally")
		return
	}
	if req.scope == "" {
		req.scope = strings.Join(client.Scopes, " ")
	}
	if req.prompt != "login" {
		if sess := s.session(r, client); sess != nil {
			if s.resume(w, r, req, sess) {
				return
			}
		}
	}
	if req.prompt == "none" {
		s.redirectError(w, r, req, "login_required", "the user is not signed in")
		return
	}
	now := s.cfg.Now()
	a := &attempt{id: random(18), csrf: s.csrf(w, r), req: req, expires: now.Add(client.authSession()), step: stepPassword}
	s.mu.Lock()
	s.attempts[a.id] = a
	s.mu.Unlock()
	s.render(w, r, a, http.StatusOK, nil)
}

// validChallenge: an S256 challenge is a SHA-256 digest, 43 base64url characters.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	return !strings.ContainsFunc(c, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// resume answers an authorization for a browser still signed in: fresh tokens for the
// same user from the refresh token of the sign-in, if the user may still sign in.
func (s *Server) resume(w http.ResponseWriter, r *http.Request, req authRequest, sess *session) bool {
	ctx := r.Context()
	if ok, _ := s.enabled(ctx, sess.sub); !ok {
		s.dropSession(w, r)
		return false
	}
	out, err := s.cfg.Cognito.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: &s.cfg.PoolID, ClientId: &req.client.ID, AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": sess.refresh},
	})
	if err != nil || out.AuthenticationResult == nil {
		s.dropSession(w, r) // signed out everywhere since, or gone
		return false
	}
	t := tokensOf(out.AuthenticationResult)
	t.refresh = sess.refresh
	s.grant(w, r, req, t, sess.sub)
	return true
}

// password checks the e-mail address and password with the user pool.
func (s *Server) password(w http.ResponseWriter, r *http.Request) {
	a := s.attemptOf(w, r, stepPassword)
	if a == nil {
		return
	}
	email, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	a.email = email
	var errs []fieldError
	if email == "" {
		errs = append(errs, fieldError{"email", "Enter your e-mail address."})
	}
	if password == "" {
		errs = append(errs, fieldError{"password", "Enter your password."})
	}
	if len(errs) > 0 {
		s.render(w, r, a, http.StatusBadRequest, errs)
		return
	}
	out, err := s.cfg.Cognito.AdminInitiateAuth(r.Context(), &cip.AdminInitiateAuthInput{
		UserPoolId: &s.cfg.PoolID, ClientId: &a.req.client.ID, AuthFlow: ciptypes.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		s.refuse(r, "password refused", "error", errorName(err))
		s.render(w, r, a, http.StatusBadRequest, []fieldError{signInError(err)})
		return
	}
	switch {
	case out.ChallengeName == ciptypes.ChallengeNameTypeNewPasswordRequired:
		a.session, a.step = aws.ToString(out.Session), stepNewPassword
		s.render(w, r, a, http.StatusOK, nil)
	case out.AuthenticationResult != nil:
		s.passwordAccepted(w, r, a, tokensOf(out.AuthenticationResult))
	default:
		s.refuse(r, "unexpected challenge", "challenge", string(out.ChallengeName))
		s.render(w, r, a, http.StatusBadRequest, []fieldError{{"email", "Signing in did not work. Try again, or ask an admin."}})
	}
}

// signInError words a refused password for a person. An unknown address and a wrong
// password read the same, as Cognito's do with PreventUserExistenceErrors.
func signInError(err error) fieldError {
	var notAuth *ciptypes.NotAuthorizedException
	if errors.As(err, &notAuth) && strings.Contains(strings.ToLower(aws.ToString(notAuth.Message)), "disabled") {
		return fieldError{"email", "Your account is disabled. Ask an administrator to enable it again."}
	}
	var reset *ciptypes.PasswordResetRequiredException
	if errors.As(err, &reset) {
		return fieldError{"password", "Your password must be reset. Ask an administrator to send you a new one."}
	}
	return fieldError{"password", "The e-mail address or the password is not right."}
}

// newPassword sets the password an invited user chooses, in place of the temporary
// one they signed in with.
func (s *Server) newPassword(w http.ResponseWriter, r *http.Request) {
	a := s.attemptOf(w, r, stepNewPassword)
	if a == nil {
		return
	}
	password, again := r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
	var errs []fieldError
	switch {
	case password == "":
		errs = append(errs, fieldError{"new_password", "Enter a new password."})
	case again == "":
		errs = append(errs, fieldError{"confirm_password", "Enter the new password again."})
	case password != again:
		errs = append(errs, fieldError{"confirm_password", "The two passwords are not the same."})
	}
	if len(errs) > 0 {
		s.render(w, r, a, http.StatusBadRequest, errs)
		return
	}
	out, err := s.cfg.Cognito.AdminRespondToAuthChallenge(r.Context(), &cip.AdminRespondToAuthChallengeInput{
		UserPoolId: &s.cfg.PoolID, ClientId: &a.req.client.ID, ChallengeName: ciptypes.ChallengeNameTypeNewPasswordRequired,
		Session: &a.session, ChallengeResponses: map[string]string{"USERNAME": a.email, "NEW_PASSWORD": password},
	})
	var weak *ciptypes.InvalidPasswordException
	switch {
	case errors.As(err, &weak):
		s.render(w, r, a, http.StatusBadRequest, []fieldError{{"new_password", "This password is too weak: it needs what the hint under “New password” says."}})
	case err != nil || out.AuthenticationResult == nil:
		s.refuse(r, "new password refused", "error", errorName(err))
		s.errorPage(w, r, http.StatusBadRequest, "Your new password was not saved",
			"This sign-in took too long or was interrupted. Start again with your temporary password.", restartURL(a.req))
	default:
		s.passwordAccepted(w, r, a, tokensOf(out.AuthenticationResult))
	}
}

// passwordAccepted moves a sign-in on to the authenticator: the code of the one the
// user has, or setting one up.
func (s *Server) passwordAccepted(w http.ResponseWriter, r *http.Request, a *attempt, t tokens) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(t.access, claims); err != nil {
		s.errorPage(w, r, http.StatusBadGateway, "Signing in did not work", "The user pool answered with a token that cannot be read.", "")
		return
	}
	sub, _ := claims["sub"].(string)
	s.mu.Lock()
	a.tokens, a.sub = t, sub
	_, has := s.totp[sub]
	if has {
		a.step = stepTOTP
	} else {
		a.step, a.pendingSecret = stepTOTPSetup, newSecret()
	}
	s.mu.Unlock()
	s.render(w, r, a, http.StatusOK, nil)
}

// totpSetup checks the first code of a new authenticator and keeps its secret.
func (s *Server) totpSetup(w http.ResponseWriter, r *http.Request) {
	a := s.attemptOf(w, r, stepTOTPSetup)
	if a == nil {
		return
	}
	s.checkCode(w, r, a, func(code string) bool { return s.enrol(a.sub, a.pendingSecret, code) })
}

// totpStep checks a code of the user's authenticator.
func (s *Server) totpStep(w http.ResponseWriter, r *http.Request) {
	a := s.attemptOf(w, r, stepTOTP)
	if a == nil {
		return
	}
	s.checkCode(w, r, a, func(code string) bool { return s.verify(a.sub, code) })
}

// checkCode reads the code field and, when ok accepts it, finishes the sign-in; five
// wrong codes end it.
func (s *Server) checkCode(w http.ResponseWriter, r *http.Request, a *attempt, ok func(string) bool) {
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	if !sixDigits(code) {
		s.render(w, r, a, http.StatusBadRequest, []fieldError{{"code", "Enter the 6-digit code your authenticator app shows."}})
		return
	}
	if !ok(code) {
		s.mu.Lock()
		a.wrongCodes++
		tooMany := a.wrongCodes >= maxWrongCodes
		if tooMany {
			delete(s.attempts, a.id)
		}
		s.mu.Unlock()
		s.refuse(r, "wrong TOTP code", "sub", a.sub)
		if tooMany {
			s.errorPage(w, r, http.StatusBadRequest, "Too many wrong codes",
				"This sign-in has ended after five wrong codes. Check the time on the device of your authenticator app, then start again.", restartURL(a.req))
			return
		}
		s.render(w, r, a, http.StatusBadRequest, []fieldError{{"code", "That code is not right, or it has expired. Enter the code your app shows now."}})
		return
	}
	s.mu.Lock()
	delete(s.attempts, a.id)
	s.mu.Unlock()
	if ok, _ := s.enabled(r.Context(), a.sub); !ok {
		s.errorPage(w, r, http.StatusForbidden, "Your account is disabled",
			"Ask an administrator to enable it again.", "")
		return
	}
	s.startSession(w, r, a)
	s.grant(w, r, a.req, a.tokens, a.sub)
}

func sixDigits(code string) bool {
	return len(code) == 6 && !strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' })
}

// grant issues a single-use authorization code for the tokens and sends the browser
// back to the client with it and the state.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, req authRequest, t tokens, sub string) {
	code := random(24)
	s.mu.Lock()
	s.codes[code] = &grant{req: req, tokens: t, sub: sub, expires: s.cfg.Now().Add(codeLifetime)}
	s.mu.Unlock()
	to, _ := url.Parse(req.redirectURI)
	q := to.Query()
	q.Set("code", code)
	if req.state != "" {
		q.Set("state", req.state)
	}
	to.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// redirectError sends an authorization's error back to its client (RFC 6749 4.1.2.1).
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req authRequest, code, description string) {
	to, _ := url.Parse(req.redirectURI)
	q := to.Query()
	q.Set("error", code)
	q.Set("error_description", description)
	if req.state != "" {
		q.Set("state", req.state)
	}
	to.RawQuery = q.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// restartURL is the authorization a sign-in served, to start it again from its first page.
func restartURL(req authRequest) string {
	q := url.Values{"response_type": {"code"}, "client_id": {req.client.ID}, "redirect_uri": {req.redirectURI},
		"scope": {req.scope}, "code_challenge": {req.challenge}, "code_challenge_method": {"S256"}}
	if req.state != "" {
		q.Set("state", req.state)
	}
	return "/oauth2/authorize?" + q.Encode()
}

// attemptOf finds the sign-in a form belongs to, checking that the form came from this
// browser (its XSRF-TOKEN cookie) and is the step the sign-in is at; else it answers.
func (s *Server) attemptOf(w http.ResponseWriter, r *http.Request, step string) *attempt {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	id := r.PostFormValue("attempt")
	s.mu.Lock()
	a := s.attempts[id]
	s.mu.Unlock()
	cookie, _ := r.Cookie(csrfCookie)
	switch {
	case a == nil:
		s.refuse(r, "no such sign-in, or it expired")
		s.errorPage(w, r, http.StatusBadRequest, "This sign-in page has expired",
			"Go back to the application and sign in again.", "")
		return nil
	case cookie == nil || cookie.Value != a.csrf || r.PostFormValue("_csrf") != a.csrf:
		s.refuse(r, "form from another browser (XSRF token)")
		s.errorPage(w, r, http.StatusForbidden, "This form came from another browser",
			"Sign in from the application's own page in this browser.", restartURL(a.req))
		return nil
	case a.step != step:
		s.render(w, r, a, http.StatusConflict, nil) // a form sent twice: show where the sign-in is
		return nil
	}
	return a
}

// csrf returns the browser's XSRF token, setting one when it has none.
func (s *Server) csrf(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 22 {
		return c.Value
	}
	v := random(18)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return v
}

// startSession remembers the browser's sign-in for an hour.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, a *attempt) {
	id := random(24)
	now := s.cfg.Now()
	s.mu.Lock()
	s.sessions[id] = &session{sub: a.sub, email: a.email, clientID: a.req.client.ID, refresh: a.tokens.refresh, expires: now.Add(sessionLifetime)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		MaxAge: int(sessionLifetime.Seconds())})
}

// session returns the browser's sign-in for a client, if it has one.
func (s *Server) session(r *http.Request, client *Client) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[c.Value]
	if sess == nil || sess.clientID != client.ID {
		return nil
	}
	return sess
}

func (s *Server) dropSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// logout ends the browser's sign-in and sends it to the client's sign-out URL; with
// redirect_uri and response_type instead, to a new sign-in.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client := s.clients[q.Get("client_id")]
	if client == nil {
		s.refuse(r, "logout: unknown client", "client_id", q.Get("client_id"))
		s.errorPage(w, r, http.StatusBadRequest, "This sign-out link does not work",
			"It names no application that signs in here.", "")
		return
	}
	if to := q.Get("logout_uri"); to != "" {
		if !slices.Contains(client.LogoutURLs, to) {
			s.refuse(r, "logout URI not registered", "logout_uri", to)
			s.errorPage(w, r, http.StatusBadRequest, "This sign-out link does not work",
				"It would send you to an address this application has not registered for signing out.", "")
			return
		}
		s.dropSession(w, r)
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	if q.Get("redirect_uri") != "" && q.Get("response_type") != "" {
		s.dropSession(w, r)
		q.Del("logout_uri")
		http.Redirect(w, r, "/oauth2/authorize?"+q.Encode(), http.StatusFound)
		return
	}
	s.errorPage(w, r, http.StatusBadRequest, "This sign-out link does not work",
		"It says neither where to go after signing out (logout_uri) nor where to sign in again (redirect_uri).", "")
}

// enabled reports whether a user (by sub) exists and may sign in.
func (s *Server) enabled(ctx context.Context, sub string) (bool, error) {
	out, err := s.cfg.Cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &s.cfg.PoolID, Username: &sub})
	if err != nil {
		return false, err
	}
	return out.Enabled, nil
}

func tokensOf(res *ciptypes.AuthenticationResultType) tokens {
	return tokens{access: aws.ToString(res.AccessToken), id: aws.ToString(res.IdToken),
		refresh: aws.ToString(res.RefreshToken), expiresIn: res.ExpiresIn}
}

// refuse logs why the emulation refused something: the developer's first clue.
func (s *Server) refuse(r *http.Request, why string, attrs ...any) {
	s.cfg.Log.Info("managed login refused", append([]any{"path", r.URL.Path, "reason", why}, attrs...)...)
}

// errorName is the name of an API error, for the log.
func errorName(err error) string {
	if err == nil {
		return ""
	}
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return err.Error()
}
