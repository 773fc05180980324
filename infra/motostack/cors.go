package motostack

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CORS as API Gateway applies an HTTP API's configuration (API Gateway Developer Guide,
// "Configure CORS for HTTP APIs"): it answers preflight requests itself, adds the
// configured headers to the responses of requests from an allowed origin, and ignores
// any CORS headers the integration returns. An origin is allowed when it is listed, or
// when the list holds "*", "https://*" or "http://*" and the origin fits.

// resolveCORS evaluates an API's CORS configuration against the stack's parameters;
// nil when the API has none.
func resolveCORS(raw any, r *Resolver) (*CORS, error) {
	if raw == nil {
		return nil, nil
	}
	m, err := resolveObject(r, raw)
	if err != nil {
		return nil, fmt.Errorf("CORS configuration: %w", err)
	}
	c := &CORS{AllowMethods: strs(m["allowMethods"]), AllowHeaders: strs(m["allowHeaders"]), ExposeHeaders: strs(m["exposeHeaders"])}
	if _, ok := m["allowOrigins"].([]any); !ok && m["allowOrigins"] != nil {
		return nil, fmt.Errorf("CORS configuration: allowOrigins is %T, not a list", m["allowOrigins"])
	}
	for _, o := range strs(m["allowOrigins"]) {
		if o != "" && !slices.Contains(c.AllowOrigins, o) {
			c.AllowOrigins = append(c.AllowOrigins, o)
		}
	}
	if age, ok := number(m["maxAge"]); ok {
		c.MaxAge = int(age)
	}
	c.AllowCredentials, _ = m["allowCredentials"].(bool)
	return c, nil
}

// preflight answers a CORS preflight request as API Gateway does when the API has a
// CORS configuration, without invoking any function.
func (g *gateway) preflight(w http.ResponseWriter, r *http.Request) bool {
	c := g.cors
	if c == nil || r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	if origin := c.allowedOrigin(r.Header.Get("Origin")); origin != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// corsHeaders adds the CORS headers of a request from an allowed origin.
func (g *gateway) corsHeaders(w http.ResponseWriter, r *http.Request) {
	c := g.cors
	if c == nil || r.Header.Get("Origin") == "" {
		return
	}
	if origin := c.allowedOrigin(r.Header.Get("Origin")); origin != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		if len(c.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		h.Add("Vary", "Origin")
	}
}

// allowedOrigin is the Access-Control-Allow-Origin value for a request's origin, or ""
// when the origin may not call the API.
func (c *CORS) allowedOrigin(origin string) string {
	for _, o := range c.AllowOrigins {
		switch {
		case o == "*" && !c.AllowCredentials:
			return "*"
		case o == "*", strings.EqualFold(o, origin):
			return origin
		case (o == "https://*" || o == "http://*") && len(origin) > len(o)-1 && strings.EqualFold(origin[:len(o)-1], o[:len(o)-1]):
			return origin
		}
	}
	return ""
}

// isCORSHeader reports whether a response header is one API Gateway sets itself and
// takes from no integration when the API has a CORS configuration.
func isCORSHeader(name string) bool {
	return strings.HasPrefix(strings.ToLower(name), "access-control-")
}
