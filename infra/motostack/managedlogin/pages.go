package managedlogin

import (
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

//go:embed pages
var pageFiles embed.FS

var pages = template.Must(template.ParseFS(pageFiles, "pages/pages.html"))

// fieldError is a problem with one field of a form, worded for the person filling it in.
type fieldError struct {
	Field   string
	Message string
}

// pageData is what a page shows.
type pageData struct {
	App, Title, Lead, Step string
	Attempt, CSRF, Email   string
	Errors                 []fieldError
	// The authenticator set-up: the secret, in groups of four for reading aloud or
	// typing, the otpauth URI and its QR code.
	Secret       string
	SecretGroups []string
	URI          template.URL
	QR           template.URL
	PasswordHint string
	Message      string
	Restart      string
}

// ErrorFor is the error of a field, or "".
func (d pageData) ErrorFor(field string) string {
	for _, e := range d.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// Focus reports whether a field is the one to focus: the first with an error, else the
// first of the form.
func (d pageData) Focus(field string) bool {
	if len(d.Errors) > 0 {
		return d.Errors[0].Field == field
	}
	return field == "email" && d.Email == "" || field == "password" && d.Email != "" || field == "new_password"
}

// render shows the page of the step a sign-in is at.
func (s *Server) render(w http.ResponseWriter, r *http.Request, a *attempt, status int, errs []fieldError) {
	d := pageData{App: s.cfg.Label, Step: a.step, Attempt: a.id, CSRF: a.csrf, Email: a.email, Errors: errs}
	switch a.step {
	case stepPassword:
		d.Title = "Sign in"
	case stepNewPassword:
		d.Title, d.PasswordHint = "Choose your password", s.passwordHint()
	case stepTOTPSetup:
		d.Title = "Set up your authenticator app"
		d.Secret = a.pendingSecret
		for rest := a.pendingSecret; rest != ""; {
			n := min(4, len(rest))
			d.SecretGroups, rest = append(d.SecretGroups, rest[:n]), rest[n:]
		}
		uri, qr := s.authenticatorKey(a.email, a.pendingSecret)
		d.URI, d.QR = template.URL(uri), template.URL(qr) // built here from the secret, not from input
	case stepTOTP:
		d.Title = "Enter your code"
	}
	s.page(w, status, d, originOf(a.req.redirectURI))
}

// errorPage explains why a sign-in cannot go on, and how to start again.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, title, message, restart string) {
	s.page(w, status, pageData{App: s.cfg.Label, Title: title, Message: message, Restart: restart}, "")
}

// page writes a page under a Content-Security-Policy as strict as the application's:
// nothing inline, nothing from elsewhere, forms posted only here — and, after the last
// step, redirected to the client's callback, which form-action must allow too.
func (s *Server) page(w http.ResponseWriter, status int, d pageData, redirectOrigin string) {
	formAction := "'self'"
	if redirectOrigin != "" {
		formAction += " " + redirectOrigin
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src data:; form-action "+formAction+
		"; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, "layout", d)
}

// serveStyle serves the pages' style sheet.
func serveStyle(w http.ResponseWriter, r *http.Request) {
	css, _ := pageFiles.ReadFile("pages/login.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(css)
}

// passwordHint says what the pool's password policy asks for.
func (s *Server) passwordHint() string {
	p := s.cfg.PasswordPolicy
	var needs []string
	if p.RequireLowercase {
		needs = append(needs, "a lower-case letter")
	}
	if p.RequireUppercase {
		needs = append(needs, "an upper-case letter")
	}
	if p.RequireNumbers {
		needs = append(needs, "a digit")
	}
	if p.RequireSymbols {
		needs = append(needs, "a symbol")
	}
	hint := "Use at least " + strconv.Itoa(max(p.MinimumLength, 8)) + " characters"
	switch len(needs) {
	case 0:
		return hint + "."
	case 1:
		return hint + ", with " + needs[0] + "."
	}
	return hint + ", with " + strings.Join(needs[:len(needs)-1], ", ") + " and " + needs[len(needs)-1] + "."
}
