package managedlogin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Browser drives managed login's pages over HTTP as a person in a browser does: it
// keeps cookies, reads each page's form and sends it back filled in, and stops at a
// redirect that leaves the managed login's origin (to the client's callback). SignIn is
// built on it; tests use it to try what a person could do wrong.
type Browser struct {
	HTTP *http.Client
}

// NewBrowser returns a browser with an empty cookie jar that does not follow redirects
// itself.
func NewBrowser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Page is an answer of the managed login, as the browser read it.
type Page struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   string
	// Title is the page's heading; Message the text of a page without a form.
	Title   string
	Message string
	// Form is the page's form, nil when it has none.
	Form *Form
	// Errors are the messages of the page's error summary.
	Errors []string
	// Secret is the set-up key the authenticator set-up page shows.
	Secret string
	// Redirect is where the answer sends the browser, when that is outside the
	// managed login (not followed).
	Redirect *url.URL
}

// Form is a page's form: where it posts, and the values it holds (hidden fields too).
type Form struct {
	Action string
	Fields url.Values
}

// Open loads a URL, following redirects within its origin, and stops at one that
// leaves it.
func (b *Browser) Open(ctx context.Context, rawURL string) (*Page, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	return b.do(ctx, req)
}

// Submit posts a page's form with the given fields set.
func (b *Browser) Submit(ctx context.Context, p *Page, set map[string]string) (*Page, error) {
	if p.Form == nil {
		return nil, fmt.Errorf("the page %q has no form", p.Title)
	}
	to, err := p.URL.Parse(p.Form.Action)
	if err != nil {
		return nil, err
	}
	values := url.Values{}
	for k, v := range p.Form.Fields {
		values[k] = append([]string(nil), v...)
	}
	for k, v := range set {
		values.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.String(), strings.NewReader(values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(ctx, req)
}

func (b *Browser) do(ctx context.Context, req *http.Request) (*Page, error) {
	for hops := 0; ; hops++ {
		resp, err := b.HTTP.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		p := &Page{URL: req.URL, Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			next, err := req.URL.Parse(loc)
			if err != nil {
				return nil, err
			}
			if next.Scheme != req.URL.Scheme || next.Host != req.URL.Host || hops >= 5 {
				p.Redirect = next
				return p, nil
			}
			if req, err = http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil); err != nil {
				return nil, err
			}
			continue
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			read(p)
		}
		return p, nil
	}
}

// read fills a page's title, message, form, errors and secret from its HTML.
func read(p *Page) {
	doc, err := html.Parse(strings.NewReader(p.Body))
	if err != nil {
		return
	}
	var inSummary, inMain bool
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "main":
				inMain = true
			case "h1":
				p.Title = text(n)
			case "div":
				if attr(n, "role") == "alert" {
					inSummary = true
					defer func() { inSummary = false }()
				}
			case "li":
				if inSummary {
					p.Errors = append(p.Errors, text(n))
				}
			case "p":
				if inMain && p.Form == nil && p.Message == "" && p.Title != "" && attr(n, "class") == "" {
					p.Message = text(n)
				}
			case "form":
				p.Form = &Form{Action: attr(n, "action"), Fields: url.Values{}}
			case "input":
				if p.Form != nil && attr(n, "name") != "" {
					p.Form.Fields.Set(attr(n, "name"), attr(n, "value"))
				}
			case "code":
				if attr(n, "id") == "totp-secret" {
					p.Secret = attr(n, "data-secret")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// PKCE returns a new code verifier and its S256 challenge (RFC 7636 4.1, 4.2).
func PKCE() (verifier, challenge string) {
	verifier = random(32)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthorizeURL is the authorization request of the code flow with PKCE.
func AuthorizeURL(authority, clientID, redirectURI, scope, state, challenge string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"scope": {scope}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	return strings.TrimSuffix(authority, "/") + "/oauth2/authorize?" + q.Encode()
}

// Tokens are the token endpoint's answer.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// TokenError is the token endpoint's refusal: its status and OAuth error code.
type TokenError struct {
	Status      int
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("token endpoint: %d %s: %s", e.Status, e.Code, e.Description)
}

// Exchange redeems an authorization code at the token endpoint.
func Exchange(ctx context.Context, authority, clientID, redirectURI, code, verifier string) (*Tokens, error) {
	return postToken(ctx, authority, url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID},
		"redirect_uri": {redirectURI}, "code": {code}, "code_verifier": {verifier}})
}

// Refresh exchanges a refresh token for new access and ID tokens.
func Refresh(ctx context.Context, authority, clientID, refreshToken string) (*Tokens, error) {
	return postToken(ctx, authority, url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID},
		"refresh_token": {refreshToken}})
}

func postToken(ctx context.Context, authority string, form url.Values) (*Tokens, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(authority, "/")+"/oauth2/token",
		strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		e := &TokenError{Status: resp.StatusCode}
		_ = json.Unmarshal(body, e)
		return nil, e
	}
	var t Tokens
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("token endpoint: %w", err)
	}
	return &t, nil
}

// SignIn is a whole sign-in through managed login, without a browser: the
// authorization with PKCE, the pages a person fills in (password; a new password for an
// invited user; the authenticator, set up when the user has none), and the code
// exchange.
type SignIn struct {
	// Authority is managed login's origin; ClientID, RedirectURI and Scope the client's
	// (Scope defaults to "openid email profile").
	Authority, ClientID, RedirectURI, Scope string
	Email, Password                         string
	// NewPassword is what an invited user chooses when asked to.
	NewPassword string
	// Code returns a code of the user's authenticator, when they have one already.
	Code func(ctx context.Context) (string, error)
	// Now is the time an authenticator set up during the sign-in shows codes for;
	// default time.Now (tests that move managed login's clock move this one too).
	Now func() time.Time
	// Browser signs in; default a new one, without an earlier sign-in.
	Browser *Browser
}

// Result is what a sign-in ends with.
type Result struct {
	Tokens
	// Secret is the authenticator's secret, when the sign-in set one up.
	Secret string
	// Steps are the titles of the pages the sign-in went through.
	Steps []string
}

// Do signs in: Authorize, then the code exchange.
func (p SignIn) Do(ctx context.Context) (*Result, error) {
	code, verifier, res, err := p.Authorize(ctx)
	if err != nil {
		return res, err
	}
	t, err := Exchange(ctx, p.Authority, p.ClientID, p.RedirectURI, code, verifier)
	if err != nil {
		return res, err
	}
	res.Tokens = *t
	return res, nil
}

// Authorize goes through the sign-in up to the client's callback, and returns the
// authorization code it brought back (its state checked) with the PKCE verifier that
// redeems it.
func (p SignIn) Authorize(ctx context.Context) (code, verifier string, res *Result, err error) {
	if p.Browser == nil {
		p.Browser = NewBrowser()
	}
	if p.Scope == "" {
		p.Scope = "openid email profile"
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	verifier, challenge := PKCE()
	state := random(16)
	res = &Result{}
	fail := func(err error) (string, string, *Result, error) { return "", "", res, err }
	page, err := p.Browser.Open(ctx, AuthorizeURL(p.Authority, p.ClientID, p.RedirectURI, p.Scope, state, challenge))
	if err != nil {
		return fail(fmt.Errorf("open the sign-in: %w", err))
	}
	for page.Redirect == nil {
		if len(page.Errors) > 0 {
			return fail(fmt.Errorf("sign-in refused at %q: %s", page.Title, strings.Join(page.Errors, "; ")))
		}
		if page.Form == nil {
			return fail(fmt.Errorf("sign-in stopped at %q (%d): %s", page.Title, page.Status, page.Message))
		}
		if len(res.Steps) > 6 {
			return fail(errors.New("sign-in goes round in circles"))
		}
		res.Steps = append(res.Steps, page.Title)
		fields := map[string]string{}
		switch page.Form.Action {
		case "/login":
			fields["email"], fields["password"] = p.Email, p.Password
		case "/login/new-password":
			if p.NewPassword == "" {
				return fail(fmt.Errorf("%s must choose a new password: set SignIn.NewPassword", p.Email))
			}
			fields["new_password"], fields["confirm_password"] = p.NewPassword, p.NewPassword
		case "/login/totp-setup":
			res.Secret = page.Secret
			fields["code"] = Code(page.Secret, p.Now())
		case "/login/totp":
			if p.Code == nil {
				return fail(fmt.Errorf("%s has an authenticator: set SignIn.Code", p.Email))
			}
			code, err := p.Code(ctx)
			if err != nil {
				return fail(err)
			}
			fields["code"] = code
		default:
			return fail(fmt.Errorf("sign-in page %q posts to %s, which this browser does not know", page.Title, page.Form.Action))
		}
		if page, err = p.Browser.Submit(ctx, page, fields); err != nil {
			return fail(fmt.Errorf("sign-in at %q: %w", res.Steps[len(res.Steps)-1], err))
		}
	}
	q := page.Redirect.Query()
	switch {
	case !strings.HasPrefix(page.Redirect.String(), p.RedirectURI):
		return fail(fmt.Errorf("sign-in sent the browser to %s, not to the client", page.Redirect))
	case q.Get("error") != "":
		return fail(fmt.Errorf("sign-in refused: %s: %s", q.Get("error"), q.Get("error_description")))
	case q.Get("state") != state:
		return fail(fmt.Errorf("sign-in came back with state %q, not %q", q.Get("state"), state))
	}
	return q.Get("code"), verifier, res, nil
}
