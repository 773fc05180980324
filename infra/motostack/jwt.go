package motostack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// jwtAuthorizer checks bearer tokens as an HTTP API's JWT authorizer does: signature
// against the issuer's JWKS, issuer, audience (aud, or client_id for Cognito access
// tokens), expiry and not-before; scopes are checked per route.
type jwtAuthorizer struct {
	name     string
	header   string
	issuer   string
	audience []string
	keys     keyfunc.Keyfunc
}

var cognitoIssuer = regexp.MustCompile(`^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/([A-Za-z0-9_-]+)$`)

func newJWTAuthorizer(ctx context.Context, s *Stack, az *Authorizer) (*jwtAuthorizer, error) {
	issuer, err := s.resolver.String(az.Issuer)
	if err != nil {
		return nil, fmt.Errorf("authorizer %s issuer: %w", az.Name, err)
	}
	a := &jwtAuthorizer{name: az.Name, issuer: issuer, header: "Authorization"}
	if h, ok := strings.CutPrefix(az.IdentitySource, "$request.header."); ok {
		a.header = h
	}
	if az.Audience != nil {
		list, err := s.resolver.Resolve(az.Audience)
		if err != nil {
			return nil, fmt.Errorf("authorizer %s audience: %w", az.Name, err)
		}
		values, ok := list.([]any)
		if !ok {
			return nil, fmt.Errorf("authorizer %s audience: %T, not a list", az.Name, list)
		}
		for _, v := range values {
			if aud := scalarString(v); aud != "" {
				a.audience = append(a.audience, aud)
			}
		}
	}
	// Cognito's keys come from moto; any other issuer is asked for its own.
	jwks := strings.TrimSuffix(issuer, "/") + "/.well-known/jwks.json"
	if m := cognitoIssuer.FindStringSubmatch(issuer); m != nil {
		jwks = s.endpoint + "/" + m[1] + "/.well-known/jwks.json"
	}
	if a.keys, err = keyfunc.NewDefaultCtx(ctx, []string{jwks}); err != nil {
		return nil, fmt.Errorf("authorizer %s: JWKS at %s: %w", az.Name, jwks, err)
	}
	return a, nil
}

// authorize returns the claims and scopes API Gateway would pass on, or the status to
// refuse with: 401 for a missing or bad token, 403 for missing scopes.
func (a *jwtAuthorizer) authorize(r *http.Request, scopes []string) (map[string]string, []string, int) {
	raw := r.Header.Get(a.header)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" {
		return nil, nil, http.StatusUnauthorized
	}
	tok, err := jwt.Parse(raw, a.keys.Keyfunc,
		jwt.WithIssuer(a.issuer),
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}),
		jwt.WithExpirationRequired(),
	)
	if err != nil || !tok.Valid {
		return nil, nil, http.StatusUnauthorized
	}
	claims, _ := tok.Claims.(jwt.MapClaims)
	if !a.audienceMatches(claims) {
		return nil, nil, http.StatusUnauthorized
	}
	granted := strings.Fields(fmt.Sprint(claims["scope"]))
	if claims["scope"] == nil {
		granted = nil
	}
	if len(scopes) > 0 && !slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(granted, s) }) {
		return nil, nil, http.StatusForbidden
	}
	return flattenClaims(claims), granted, 0
}

func (a *jwtAuthorizer) audienceMatches(c jwt.MapClaims) bool {
	if len(a.audience) == 0 {
		return true
	}
	if aud, err := c.GetAudience(); err == nil && len(aud) > 0 {
		return slices.ContainsFunc(aud, func(x string) bool { return slices.Contains(a.audience, x) })
	}
	id, _ := c["client_id"].(string)
	return id != "" && slices.Contains(a.audience, id)
}

// flattenClaims turns claims into the strings API Gateway passes: numbers as integers
// where they are whole, arrays as "[a b c]", objects as JSON.
func flattenClaims(c jwt.MapClaims) map[string]string {
	out := make(map[string]string, len(c))
	for k, v := range c {
		switch t := v.(type) {
		case string:
			out[k] = t
		case float64:
			if t == float64(int64(t)) {
				out[k] = strconv.FormatInt(int64(t), 10)
			} else {
				out[k] = strconv.FormatFloat(t, 'f', -1, 64)
			}
		case bool:
			out[k] = strconv.FormatBool(t)
		case []any:
			out[k] = "[" + strings.Join(strs(t), " ") + "]"
		default:
			b, _ := json.Marshal(t)
			out[k] = string(b)
		}
	}
	return out
}
