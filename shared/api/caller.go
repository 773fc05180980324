package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// staffFrom reads the caller from the claims API Gateway's JWT authorizer verified and
// passed in the request context. Staff routes sit behind that authorizer; a request
// that reaches them without claims was not authenticated, so it gets 401.
func staffFrom(r *http.Request) (sponsorship.Staff, error) {
	gw, ok := lambdahttp.Gateway(r.Context())
	if !ok || gw.Authorizer == nil || gw.Authorizer.JWT == nil || gw.Authorizer.JWT.Claims["sub"] == "" {
		return sponsorship.Staff{}, errNoClaims
	}
	// Only the subject and the groups: names come from the roster, never from claims
	// such as name or email, which a user may be able to change about themselves.
	c := gw.Authorizer.JWT.Claims
	return sponsorship.Staff{ID: c["sub"], Groups: parseGroups(c["cognito:groups"])}, nil
}

// errNoClaims is the 401 of a staff route reached without a verified token.
var errNoClaims = func() *httpError {
	e := newHTTPError(http.StatusUnauthorized, "unauthenticated", "Sign-in required",
		"Send an access token from the staff user pool as: Authorization: Bearer <token>.")
	e.header = http.Header{"Www-Authenticate": {`Bearer realm="staff"`}}
	return e
}()

// parseGroups reads the groups claim as API Gateway passes it: "[reviewers finance]";
// a JSON array of strings or a bare group name are accepted too. Only a list whose first
// element is quoted is read as JSON, so that "[null]" is the group named null.
func parseGroups(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	var list []string
	if strings.HasPrefix(v, `["`) && json.Unmarshal([]byte(v), &list) == nil {
		return list
	}
	return strings.Fields(strings.Trim(v, "[]"))
}

// staffIn resolves the caller and requires one of the groups: 401 without claims, 403
// without the group.
func staffIn(r *http.Request, groups ...string) (sponsorship.Staff, error) {
	s, err := staffFrom(r)
	if err != nil {
		return s, err
	}
	for _, g := range groups {
		if s.In(g) {
			return s, nil
		}
	}
	return s, &sponsorship.ForbiddenError{Reason: "this route is for the " + strings.Join(groups, " or ") + " group"}
}
