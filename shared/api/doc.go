// Package api holds the HTTP side of every function: routing, strict JSON decoding,
// RFC 9457 problem responses, the caller's identity (applicant token or the API
// Gateway JWT authorizer's claims), request ids and access logs, and the handlers
// themselves. Each function's main builds one http.Handler from here; Lambda (through
// lambdahttp.Handler), the local stack and the tests all serve that same handler.
package api
