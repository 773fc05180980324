package motostack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// maxPayload is API Gateway's request body limit for HTTP APIs.
const maxPayload = 10 << 20

// maxIntegration is the longest an HTTP API waits for an integration.
const maxIntegration = 30 * time.Second

// gateway serves one HTTP API as API Gateway does.
type gateway struct {
	s         *Stack
	api       *API
	routes    []*compiledRoute
	auth      map[string]*jwtAuthorizer
	cors      *CORS
	throttles map[string]Throttle // by route key
	account   *tokenBucket        // the account's limit, shared by every API; nil without throttling
	log       *slog.Logger
}

type compiledRoute struct {
	*Route
	segs   []string
	static int
	greedy bool
	bucket *tokenBucket // nil when only the account's limit holds the route
}

func newGateway(ctx context.Context, s *Stack, api *API, account *tokenBucket) (*gateway, error) {
	g := &gateway{s: s, api: api, auth: map[string]*jwtAuthorizer{}, account: account, log: s.log.With("api", api.LogicalID)}
	var err error
	if g.cors, err = resolveCORS(api.CORS, s.resolver); err != nil {
		return nil, fmt.Errorf("API %s: %w", api.LogicalID, err)
	}
	if g.throttles, err = routeThrottles(api, s.resolver); err != nil {
		return nil, err
	}
	for name, az := range api.Authorizers {
		a, err := newJWTAuthorizer(ctx, s, az)
		if err != nil {
			return nil, err
		}
		g.auth[name] = a
	}
	for _, r := range api.Routes {
		if _, ok := s.model.Functions[r.Function]; !ok {
			return nil, fmt.Errorf("route %s: no function %s", r.Key(), r.Function)
		}
		if r.Authorizer != "" && g.auth[r.Authorizer] == nil {
			return nil, fmt.Errorf("route %s: no authorizer %s", r.Key(), r.Authorizer)
		}
		cr := &compiledRoute{Route: r}
		if r.Path != "$default" && r.Path != "/" {
			cr.segs = strings.Split(strings.Trim(r.Path, "/"), "/")
			for _, seg := range cr.segs {
				switch {
				case strings.HasSuffix(seg, "+}"):
					cr.greedy = true
				case !strings.HasPrefix(seg, "{"):
					cr.static++
				}
			}
		}
		if t, ok := g.throttles[r.Key()]; ok && account != nil {
			cr.bucket = newTokenBucket(t.Burst, t.Rate)
		}
		g.routes = append(g.routes, cr)
	}
	return g, nil
}

// match finds the most specific route for a method and path, and its path parameters.
func (g *gateway) match(method, escapedPath string) (*compiledRoute, map[string]string) {
	parts := strings.Split(strings.Trim(escapedPath, "/"), "/")
	var best *compiledRoute
	var bestParams map[string]string
	for _, r := range g.routes {
		if r.Path == "$default" || (r.Method != method && r.Method != "ANY") {
			continue
		}
		params, ok := r.bind(parts)
		if !ok {
			continue
		}
		if best == nil || r.static > best.static || (r.static == best.static && best.greedy && !r.greedy) ||
			(r.static == best.static && r.greedy == best.greedy && best.Method == "ANY" && r.Method != "ANY") {
			best, bestParams = r, params
		}
	}
	if best == nil {
		for _, r := range g.routes {
			if r.Path == "$default" {
				return r, nil
			}
		}
	}
	return best, bestParams
}

func (r *compiledRoute) bind(parts []string) (map[string]string, bool) {
	if r.Path == "/" {
		return nil, len(parts) == 1 && parts[0] == ""
	}
	params := map[string]string{}
	for i, seg := range r.segs {
		if strings.HasSuffix(seg, "+}") {
			if i >= len(parts) {
				return nil, false
			}
			v, err := url.PathUnescape(strings.Join(parts[i:], "/"))
			if err != nil {
				return nil, false
			}
			params[seg[1:len(seg)-2]] = v
			return params, true
		}
		if i >= len(parts) || parts[i] == "" {
			return nil, false
		}
		if strings.HasPrefix(seg, "{") {
			v, err := url.PathUnescape(parts[i])
			if err != nil {
				return nil, false
			}
			params[seg[1:len(seg)-1]] = v
		} else if seg != parts[i] {
			return nil, false
		}
	}
	return params, len(parts) == len(r.segs)
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newGatewayRequestID()
	w.Header().Set("Apigw-Requestid", id)
	status, routeKey, cold := g.serve(w, r, id)
	g.log.Info("request", "requestId", id, "method", r.Method, "path", r.URL.Path, "routeKey", routeKey,
		"status", status, "latencyMs", time.Since(start).Milliseconds(), "cold", cold)
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request, id string) (status int, routeKey string, cold bool) {
	fail := func(code int, msg string) (int, string, bool) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"message":%q}`+"\n", msg)
		return code, routeKey, cold
	}
	if g.preflight(w, r) {
		return http.StatusNoContent, "OPTIONS (CORS)", false
	}
	g.corsHeaders(w, r)
	// The account's bucket first, then the route's own: a flood of one route empties
	// that route's bucket and leaves the others theirs.
	if g.account != nil && !g.account.take() {
		return fail(http.StatusTooManyRequests, "Too Many Requests")
	}
	route, params := g.match(r.Method, r.URL.EscapedPath())
	if route == nil {
		return fail(http.StatusNotFound, "Not Found")
	}
	routeKey = route.Key()
	if route.bucket != nil && !route.bucket.take() {
		return fail(http.StatusTooManyRequests, "Too Many Requests")
	}
	if r.ContentLength > maxPayload {
		return fail(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		return fail(http.StatusBadRequest, "Bad Request")
	}
	if len(body) > maxPayload {
		return fail(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	}
	var auth *events.APIGatewayV2HTTPRequestContextAuthorizerDescription
	if route.Authorizer != "" {
		claims, scopes, code := g.auth[route.Authorizer].authorize(r, route.Scopes)
		switch code {
		case http.StatusUnauthorized:
			w.Header().Set("Www-Authenticate", `Bearer realm="`+g.api.LogicalID+`", error="invalid_token"`)
			return fail(code, "Unauthorized")
		case http.StatusForbidden:
			return fail(code, "Forbidden")
		}
		auth = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes},
		}
	}
	ev := g.event(r, id, route, params, body, auth)
	payload, err := json.Marshal(ev)
	if err != nil {
		return fail(http.StatusInternalServerError, "Internal Server Error")
	}
	ctx, cancel := context.WithTimeout(r.Context(), maxIntegration)
	defer cancel()
	res, err := g.s.Invoke(ctx, route.Function, payload)
	// Lambda's 6 MB payload limits, answered as API Gateway was seen to answer them (REST
	// APIs; nothing more precise was found for HTTP APIs): an event over the limit is
	// refused with 413 {"message": "Request Too Long"} and x-amzn-ErrorType
	// BadRequestException (source: https://github.com/koki-develop/lgtm-generator/issues/10,
	// an observation on another project's API); a response
	// over it fails the integration with 502 {"message": "Internal server error"}, the
	// access log saying "Lambda Customer Function Error:Response payload size exceeded
	// maximum allowed payload size (6291556 bytes)." (source: access logs quoted at
	// https://github.com/DataBiosphere/azul/issues/8192 and /8258).
	switch {
	case errors.Is(err, ErrRequestTooLarge):
		w.Header().Set("X-Amzn-Errortype", "BadRequestException")
		return fail(http.StatusRequestEntityTooLarge, "Request Too Long")
	case errors.Is(err, context.DeadlineExceeded) || (res != nil && res.TimedOut):
		return fail(http.StatusGatewayTimeout, "Gateway Timeout")
	case err != nil:
		g.log.Error("integration failed", "requestId", id, "function", route.Function, "error", err.Error())
		return fail(http.StatusInternalServerError, "Internal Server Error")
	case res.FunctionError != "" && oversized(res.Payload):
		g.log.Error("integration failed", "requestId", id, "function", route.Function,
			"error", "Lambda Customer Function Error:Response payload size exceeded maximum allowed payload size (6291556 bytes).")
		return fail(http.StatusBadGateway, "Internal server error")
	case res.FunctionError != "":
		return fail(http.StatusInternalServerError, "Internal Server Error")
	}
	cold = res.Cold
	code, err := writeLambdaResponse(w, res.Payload, g.cors != nil)
	if err != nil {
		return fail(http.StatusInternalServerError, "Internal Server Error")
	}
	return code, routeKey, cold
}

// oversized reports whether a function error is Lambda's refusal of a response over
// its payload limit.
func oversized(payload []byte) bool {
	var e struct {
		ErrorType string `json:"errorType"`
	}
	return json.Unmarshal(payload, &e) == nil && e.ErrorType == "Function.ResponseSizeTooLarge"
}

// event builds the payload format 2.0 event API Gateway sends.
func (g *gateway) event(r *http.Request, id string, route *compiledRoute, params map[string]string, body []byte,
	auth *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) events.APIGatewayV2HTTPRequest {
	now := time.Now()
	headers := map[string]string{}
	var cookies []string
	for k, v := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			for _, c := range v {
				for _, part := range strings.Split(c, ";") {
					if part = strings.TrimSpace(part); part != "" {
						cookies = append(cookies, part)
					}
				}
			}
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	headers["host"] = r.Host
	var query map[string]string
	if r.URL.RawQuery != "" {
		query = map[string]string{}
		for k, v := range r.URL.Query() {
			query[k] = strings.Join(v, ",")
		}
	}
	if len(params) == 0 {
		params = nil
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route.Key(), RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route.Key(), AccountID: accountID, Stage: "$default", RequestID: id, APIID: "local",
			DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0],
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: sourceIP, UserAgent: r.UserAgent(),
			},
			Authorizer: auth,
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// isText reports whether API Gateway passes a body of this type as text (else base64).
func isText(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") ||
		slices.Contains([]string{"application/json", "application/xml", "application/javascript",
			"application/x-www-form-urlencoded", "application/yaml", "application/graphql"}, mt)
}

// writeLambdaResponse writes a function's payload format 2.0 response. A payload
// without a statusCode is, as on API Gateway, a 200 JSON body. With dropCORS (the API
// has a CORS configuration) the function's CORS headers are ignored, as API Gateway
// ignores them.
func writeLambdaResponse(w http.ResponseWriter, payload []byte, dropCORS bool) (int, error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
		return http.StatusOK, nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return 0, err
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return 0, err
		}
	}
	for k, v := range resp.Headers {
		if !dropCORS || !isCORSHeader(k) {
			w.Header().Set(k, v)
		}
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			if !dropCORS || !isCORSHeader(k) {
				w.Header().Add(k, v)
			}
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	if w.Header().Get("Content-Type") == "" && len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return resp.StatusCode, nil
}

// newGatewayRequestID makes an id shaped like API Gateway's ("Ab1CdEfGhIjKlMn=").
func newGatewayRequestID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:14] + "="
}
