package motostack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/managedlogin"
)

// Managed login, locally: moto has user pools but no managed login, so for each user
// pool of the template with a domain or an app client with OAuth flows the stack serves
// the managed login emulation (package managedlogin) on a port of its own, as the
// pool's domain is a host of its own on AWS. Its clients are read from the template,
// their URLs resolved for this stack. The domain's URL
// (https://PREFIX.auth.REGION.amazoncognito.com), wherever the template builds it, in a
// function's environment or an output, resolves to the emulation's origin.

// loginServer is the managed login emulation of one user pool.
type loginServer struct {
	pool string // logical id
	url  string
	srv  *managedlogin.Server
}

// startLogins starts the emulation of every user pool that needs one.
func (s *Stack) startLogins() error {
	for _, poolID := range sortedKeys(s.model.Resources) {
		if s.model.Resources[poolID].Type != "AWS::Cognito::UserPool" {
			continue
		}
		if ok, err := s.exists(poolID); err != nil || !ok {
			continue
		}
		cfg, domains, err := s.loginConfig(poolID)
		if err != nil {
			return fmt.Errorf("managed login of %s: %w", poolID, err)
		}
		if len(cfg.Clients) == 0 && len(domains) == 0 {
			continue
		}
		srv, err := managedlogin.New(cfg)
		if err != nil {
			return fmt.Errorf("managed login of %s: %w", poolID, err)
		}
		addr := "127.0.0.1:0"
		if len(s.logins) == 0 && s.opts.LoginAddr != "" {
			addr = s.opts.LoginAddr
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("managed login of %s: listen on %s: %w", poolID, addr, err)
		}
		l := &loginServer{pool: poolID, url: "http://" + ln.Addr().String(), srv: srv}
		for _, d := range domains {
			s.resolver.Served[d] = l.url
		}
		hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, hs)
		s.logins = append(s.logins, l)
		go func() { _ = hs.Serve(ln) }()
	}
	return nil
}

// loginConfig reads a pool's OAuth clients, password policy and domains from the
// template.
func (s *Stack) loginConfig(poolID string) (managedlogin.Config, []string, error) {
	physical := s.resolver.Physical[poolID]
	cfg := managedlogin.Config{
		PoolID: physical, Issuer: "https://cognito-idp." + localaws.Region + ".amazonaws.com/" + physical,
		JWKSURL: s.endpoint + "/" + physical + "/.well-known/jwks.json",
		Cognito: s.aws.cognito, Label: s.opts.StackName, Now: s.opts.Clock,
		Log: s.log.With("source", "managed-login", "pool", poolID),
	}
	poolProps, err := s.props(s.model.Resources[poolID])
	if err != nil {
		return cfg, nil, err
	}
	if pp := passwordPolicyOf(poolProps); pp != nil {
		cfg.PasswordPolicy = managedlogin.PasswordPolicy{
			MinimumLength: int(aws.ToInt32(pp.MinimumLength)), RequireLowercase: pp.RequireLowercase,
			RequireUppercase: pp.RequireUppercase, RequireNumbers: pp.RequireNumbers, RequireSymbols: pp.RequireSymbols,
		}
	}
	var domains []string
	for _, id := range sortedKeys(s.model.Resources) {
		res := s.model.Resources[id]
		if refName(res.Properties["UserPoolId"]) != poolID {
			continue
		}
		if ok, err := s.exists(id); err != nil || !ok {
			continue
		}
		switch res.Type {
		case "AWS::Cognito::UserPoolClient":
			p, err := s.props(res)
			if err != nil {
				return cfg, nil, err
			}
			if !oauthClient(p) {
				continue
			}
			cfg.Clients = append(cfg.Clients, managedlogin.Client{
				ID: s.resolver.Physical[id], Name: id,
				CallbackURLs: strs(p["CallbackURLs"]), LogoutURLs: strs(p["LogoutURLs"]),
				Scopes: strs(p["AllowedOAuthScopes"]), Flows: strs(p["AllowedOAuthFlows"]),
				RefreshTokenValidity: validity(p, "RefreshTokenValidity", "RefreshToken", 24*time.Hour),
				AuthSessionValidity:  validity(p, "AuthSessionValidity", "", time.Minute),
			})
		case "AWS::Cognito::UserPoolDomain":
			p, err := s.props(res)
			if err != nil {
				return cfg, nil, err
			}
			d := str(p["Domain"])
			if _, custom := p["CustomDomainConfig"]; custom {
				domains = append(domains, "https://"+d)
			} else {
				domains = append(domains, "https://"+d+".auth."+localaws.Region+".amazoncognito.com")
			}
		}
	}
	return cfg, domains, nil
}

// oauthClient reports whether a client's resolved properties let it use OAuth flows
// (AllowedOAuthFlowsUserPoolClient, which a parameter may have made a string).
func oauthClient(p map[string]any) bool {
	switch v := p["AllowedOAuthFlowsUserPoolClient"].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// validity reads a client's token or session validity: a number in the unit
// TokenValidityUnits names for it (Cognito's default unit when unitKey is "" or unset).
func validity(p map[string]any, key, unitKey string, defaultUnit time.Duration) time.Duration {
	n, ok := number(p[key])
	if !ok {
		return 0
	}
	unit := defaultUnit
	if units := mapOf(p["TokenValidityUnits"]); unitKey != "" && units != nil {
		switch str(units[unitKey]) {
		case "seconds":
			unit = time.Second
		case "minutes":
			unit = time.Minute
		case "hours":
			unit = time.Hour
		case "days":
			unit = 24 * time.Hour
		}
	}
	return time.Duration(n * float64(unit))
}

// passwordPolicyOf reads a pool's password policy from its resolved properties; nil
// when it sets none.
func passwordPolicyOf(p map[string]any) *ciptypes.PasswordPolicyType {
	pp := mapOf(mapOf(p["Policies"])["PasswordPolicy"])
	if pp == nil {
		return nil
	}
	flag := func(k string) bool {
		b, _ := pp[k].(bool)
		return b || strings.EqualFold(str(pp[k]), "true")
	}
	out := &ciptypes.PasswordPolicyType{RequireLowercase: flag("RequireLowercase"), RequireUppercase: flag("RequireUppercase"),
		RequireNumbers: flag("RequireNumbers"), RequireSymbols: flag("RequireSymbols")}
	if n, ok := number(pp["MinimumLength"]); ok {
		out.MinimumLength = aws.Int32(int32(n))
	}
	return out
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// LoginURL is the origin of the managed login emulation of the template's user pool,
// "" when the pool has no domain and no client with OAuth flows.
func (s *Stack) LoginURL() string {
	if l, err := s.login(); err == nil {
		return l.url
	}
	return ""
}

// login is the emulation of the template's user pool.
func (s *Stack) login() (*loginServer, error) {
	pool, _, err := s.UserPool()
	if err != nil {
		return nil, err
	}
	for _, l := range s.logins {
		if l.pool == pool {
			return l, nil
		}
	}
	return nil, errors.New("the template's user pool has no managed login (no domain, no client with OAuth flows)")
}

// SetTOTPSecret gives a user of the template's user pool an authenticator with a known
// secret (base32), as if they had set it up at a sign-in.
func (s *Stack) SetTOTPSecret(ctx context.Context, email, secret string) error {
	l, err := s.login()
	if err != nil {
		return err
	}
	return l.srv.SetTOTPSecret(ctx, email, secret)
}

// TOTPSecret returns the secret of a user's authenticator.
func (s *Stack) TOTPSecret(ctx context.Context, email string) (string, error) {
	l, err := s.login()
	if err != nil {
		return "", err
	}
	return l.srv.TOTPSecret(ctx, email)
}

// TOTPCode returns a code of a user's authenticator that the managed login accepts now
// (see managedlogin.Server.TOTPCode): what tests and `local totp` use in place of an
// authenticator app.
func (s *Stack) TOTPCode(ctx context.Context, email string) (string, error) {
	l, err := s.login()
	if err != nil {
		return "", err
	}
	return l.srv.TOTPCode(ctx, email)
}
