package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
)

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// requestID is API Gateway's id for the request when there is one (it is also in the
// gateway's own logs), else the Lambda invocation's, else a fresh random one.
func requestID(r *http.Request) string {
	if gw, ok := lambdahttp.Gateway(r.Context()); ok && gw.RequestID != "" {
		return gw.RequestID
	}
	if lc, ok := lambdacontext.FromContext(r.Context()); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// withBasics wraps the routes with what every response needs: a request id in the
// context, the logs and the response header; one JSON access-log line per request
// (method, route pattern, status, duration, never a header or body, so never a token);
// security headers; no caching of API responses; and a problem document instead of a
// crash when a handler panics.
func withBasics(base *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		log := base.With("requestId", id)
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, id), keyLogger, log)
		r = r.WithContext(ctx)

		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if rec.status == 0 {
					writeProblem(rec, r, fmt.Errorf("panic: %v", p))
				} else {
					log.Error("panic after response started", "panic", fmt.Sprint(p))
				}
			}
			log.Info("request", "method", r.Method, "route", r.Pattern, "status", rec.status,
				"durationMs", float64(time.Since(start).Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}
