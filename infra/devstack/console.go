package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/managedlogin"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
)

// ConsoleConfig reads the console's sign-in configuration (GET /console/config.json)
// from the running API, as the console does.
func (d *Dev) ConsoleConfig(ctx context.Context) (api.ConsoleConfig, error) {
	var c api.ConsoleConfig
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL()+"/console/config.json", nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, fmt.Errorf("read the console's configuration: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("read the console's configuration: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return c, fmt.Errorf("read the console's configuration: %w", err)
	}
	return c, nil
}

// ConsoleSignIn signs someone in to the console's client through the managed login, as a
// browser would but without one: in gives the person (Email, Password, NewPassword for
// an invited user); the client, its redirect URI and scopes come from the console's
// configuration, and the authenticator's code, unless in.Code says otherwise, from
// TOTPCode.
func (d *Dev) ConsoleSignIn(ctx context.Context, in managedlogin.SignIn) (*managedlogin.Result, error) {
	c, err := d.ConsoleConfig(ctx)
	if err != nil {
		return nil, err
	}
	in.Authority, in.ClientID, in.RedirectURI, in.Scope = c.Authority, c.ClientID, c.RedirectURI, c.Scopes
	if in.Code == nil {
		email := in.Email
		in.Code = func(ctx context.Context) (string, error) { return d.TOTPCode(ctx, email) }
	}
	res, err := in.Do(ctx)
	if err != nil {
		return res, fmt.Errorf("sign %s in to the console: %w", in.Email, err)
	}
	return res, nil
}

// SignInDemo signs a demo user (by role or e-mail address) in to the console with their
// password and a code of their authenticator.
func (d *Dev) SignInDemo(ctx context.Context, who string) (*managedlogin.Result, error) {
	email, err := d.DemoEmail(who)
	if err != nil {
		return nil, err
	}
	return d.ConsoleSignIn(ctx, managedlogin.SignIn{Email: email, Password: d.Seed.Password})
}
