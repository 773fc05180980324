package motostack

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Browsers' requests to S3 under the bucket's CORS configuration, as S3 applies it: a
// bucket's CorsConfiguration from the template is put on the bucket when the stack
// creates it, and the gate answers preflights and adds the CORS headers itself, since
// moto answers every preflight 200 (with no configuration too), checks neither the
// method nor the headers asked for, and takes an allowed origin as a prefix
// ("https://app.example" would allow "https://app.example.evil"). The rules are the S3
// User Guide's ("Elements of a CORS configuration", "Troubleshooting CORS") and the S3
// API Reference's ("Appendix: OPTIONS object"); the answers, headers and their order are
// those S3 gave when recorded by localstack's tests against AWS
// (tests/aws/services/s3/test_s3_cors.snapshot.json in localstack/localstack):
//
//   - a preflight (OPTIONS) without Origin: 400 BadRequest "Insufficient information.
//     Origin request header needed.";
//   - to a bucket without a configuration: 403 AccessForbidden "CORSResponse: CORS is not
//     enabled for this bucket." (to no bucket: "CORSResponse: Bucket not found"), with
//     Method (the one asked for, else OPTIONS) and ResourceType (OBJECT or BUCKET);
//   - the first rule whose AllowedOrigins match the origin (at most one "*" each), whose
//     AllowedMethods hold the method asked for, and whose AllowedHeaders match every
//     header asked for (without case, "*" wildcards) answers 200 with
//     Access-Control-Allow-Origin (the origin, or "*" for a rule that allows any, which
//     then sends no Access-Control-Allow-Credentials: true), -Allow-Methods (the rule's),
//     -Allow-Headers (those asked for), -Expose-Headers, -Max-Age and Vary; without one,
//     403 AccessForbidden "CORSResponse: This CORS request is not allowed. …";
//   - any other request with an Origin gets the same headers (but -Allow-Headers) when a
//     rule allows its origin and method, and none otherwise: S3 carries out the request
//     either way, and the browser keeps the answer from the page.

// corsVary is the Vary header S3 sends with each CORS answer.
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// corsNotAllowed is S3's message for a preflight no rule allows (its spelling).
const corsNotAllowed = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, " +
	"request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."

// errNoBucket is a CORS lookup for a bucket that does not exist.
var errNoBucket = errors.New("no such bucket")

// bucketCORS reads a bucket's CORS rules from moto: none when it has no configuration,
// errNoBucket when there is no such bucket.
func (g *gate) bucketCORS(ctx context.Context, bucket string) ([]s3types.CORSRule, error) {
	if bucket == "" {
		return nil, errNoBucket
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := g.s3.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &bucket})
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchCORSConfiguration":
		return nil, nil
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchBucket":
		return nil, errNoBucket
	case err != nil:
		return nil, err
	}
	return out.CORSRules, nil
}

// s3Target splits a path-style request's path into its bucket and key.
func s3Target(r *http.Request) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return bucket, key
}

// corsMatch reports whether value fits pattern, which holds at most one "*" standing
// for any run of characters; fold compares without case.
func corsMatch(pattern, value string, fold bool) bool {
	if fold {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	before, after, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == value
	}
	return len(value) >= len(before)+len(after) && strings.HasPrefix(value, before) && strings.HasSuffix(value, after)
}

// corsRule returns the first rule that allows origin to use method with headers (the
// header names a preflight asks for), or nil.
func corsRule(rules []s3types.CORSRule, origin, method string, headers []string) *s3types.CORSRule {
	for i, rule := range rules {
		if !anyMatch(rule.AllowedOrigins, origin, false) || !anyMatch(rule.AllowedMethods, method, false) {
			continue
		}
		allowed := true
		for _, h := range headers {
			allowed = allowed && anyMatch(rule.AllowedHeaders, h, true)
		}
		if allowed {
			return &rules[i]
		}
	}
	return nil
}

func anyMatch(patterns []string, value string, fold bool) bool {
	for _, p := range patterns {
		if corsMatch(p, value, fold) {
			return true
		}
	}
	return false
}

// corsHeaders are the headers S3 answers origin with under rule.
func corsHeaders(rule *s3types.CORSRule, origin string) http.Header {
	h := http.Header{}
	h.Set("Access-Control-Allow-Origin", "*")
	for _, o := range rule.AllowedOrigins {
		if o != "*" && corsMatch(o, origin, false) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			break
		}
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(rule.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	}
	if rule.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(*rule.MaxAgeSeconds)))
	}
	h.Set("Vary", corsVary)
	return h
}

// s3Preflight answers a browser's preflight (OPTIONS) as S3 does, from the bucket's CORS
// rules; nothing reaches moto.
func (g *gate) s3Preflight(w http.ResponseWriter, r *http.Request) {
	bucket, key := s3Target(r)
	origin, method := r.Header.Get("Origin"), r.Header.Get("Access-Control-Request-Method")
	if origin == "" {
		refuse(http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed.").write(w)
		return
	}
	if method == "" {
		method = http.MethodOptions
	}
	resource := "OBJECT"
	if key == "" {
		resource = "BUCKET"
	}
	forbidden := func(message string) {
		g.s.log.Warn("CORS preflight refused", "bucket", bucket, "origin", origin, "method", method, "message", message)
		refuse(http.StatusForbidden, "AccessForbidden", message, [2]string{"Method", method}, [2]string{"ResourceType", resource}).write(w)
	}
	rules, err := g.bucketCORS(r.Context(), bucket)
	switch {
	case errors.Is(err, errNoBucket):
		forbidden("CORSResponse: Bucket not found")
		return
	case err != nil:
		refuse(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.").write(w)
		return
	case len(rules) == 0:
		forbidden("CORSResponse: CORS is not enabled for this bucket.")
		return
	}
	var asked []string
	for _, h := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			asked = append(asked, h)
		}
	}
	rule := corsRule(rules, origin, method, asked)
	if rule == nil {
		forbidden(corsNotAllowed)
		return
	}
	for k, v := range corsHeaders(rule, origin) {
		w.Header()[k] = v
	}
	if len(asked) > 0 {
		w.Header().Set("Access-Control-Allow-Headers", strings.Join(asked, ", "))
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// withS3CORS returns w with the CORS headers S3 would add to the answer to r, a
// request from origin: moto's own are dropped, the bucket's rules decide.
func (g *gate) withS3CORS(w http.ResponseWriter, r *http.Request, origin string) http.ResponseWriter {
	bucket, _ := s3Target(r)
	rules, err := g.bucketCORS(r.Context(), bucket)
	if err != nil && !errors.Is(err, errNoBucket) {
		g.s.log.Warn("CORS configuration unreadable", "bucket", bucket, "error", err.Error())
	}
	var add http.Header
	if rule := corsRule(rules, origin, r.Method, nil); rule != nil {
		add = corsHeaders(rule, origin)
	}
	return &corsWriter{ResponseWriter: w, add: add}
}

// corsWriter replaces the CORS headers of an answer (and moto's Vary: Origin, which S3
// sends only with them) with the gate's as it is sent.
type corsWriter struct {
	http.ResponseWriter
	add  http.Header
	sent bool
}

func (c *corsWriter) WriteHeader(code int) {
	if !c.sent && code >= 200 {
		c.sent = true
		h := c.ResponseWriter.Header()
		for k := range h {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") || strings.EqualFold(k, "Vary") {
				delete(h, k)
			}
		}
		for k, v := range c.add {
			h[k] = v
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *corsWriter) Write(b []byte) (int, error) {
	if !c.sent {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer (the proxy
// flushes through it).
func (c *corsWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
