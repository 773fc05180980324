//go:build integration

package e2e

// The gateway's protections as template.yaml sets them: throttling per route, so that a
// flood of anonymous calls cannot lock staff out, and CORS for the stack's own origins
// only.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// once makes one request and reads the answer, without the retry on 429 that client.do
// makes: these tests are about the 429s.
func once(method, path, body string, header ...string) (reply, error) {
	req, err := http.NewRequest(method, dev.URL()+path, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// TestAnonymousFloodDoesNotThrottleStaff floods POST /requests from sixteen anonymous
// clients until the route answers 429, and while the flood goes on, finance reads the
// budgets: each of those calls must succeed at once, not be throttled with the flood.
// The flood's bodies are refused by the function, so it stores nothing.
func TestAnonymousFloodDoesNotThrottleStaff(t *testing.T) {
	limit, ok := dev.Throttle("POST /requests")
	if !ok || !limit.Route {
		t.Fatalf("POST /requests has no limits of its own in template.yaml (%+v)", limit)
	}
	tok, err := dev.Token(context.Background(), "finance")
	if err != nil {
		t.Fatal(err)
	}
	var (
		throttled, passed atomic.Int64
		firstThrottle     = make(chan struct{})
		firstOnce         sync.Once
		stop              = make(chan struct{})
		wg                sync.WaitGroup
		mu                sync.Mutex
		problems          []string
	)
	deadline := time.Now().Add(time.Minute) // a bound on the flood, not an expectation
	for range 16 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				select {
				case <-stop:
					return
				default:
				}
				r, err := once("POST", "/requests", `{"kind":"flood"}`, "Content-Type", "application/json")
				switch {
				case err != nil:
					mu.Lock()
					problems = append(problems, err.Error())
					mu.Unlock()
				case r.status == http.StatusTooManyRequests:
					if strings.TrimSpace(string(r.body)) != `{"message":"Too Many Requests"}` {
						mu.Lock()
						problems = append(problems, "429 body "+string(r.body))
						mu.Unlock()
					}
					throttled.Add(1)
					firstOnce.Do(func() { close(firstThrottle) })
				case r.status >= 500:
					mu.Lock()
					problems = append(problems, fmt.Sprintf("flood answered %d: %s", r.status, r.body))
					mu.Unlock()
				default:
					passed.Add(1)
				}
			}
		})
	}
	select {
	case <-firstThrottle:
	case <-time.After(time.Until(deadline)):
	}
	for i := range 5 {
		r, err := once("GET", "/finance/budgets?fiscalYear=2030", "", "Authorization", "Bearer "+tok)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK {
			t.Errorf("finance call %d during the flood: %d %s", i+1, r.status, r.body)
		}
	}
	close(stop)
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	if throttled.Load() == 0 {
		t.Fatalf("the flood of POST /requests was never throttled (%d answered)", passed.Load())
	}
	t.Logf("flood: %d throttled, %d reached the function (burst %d, %.0f a second)", throttled.Load(), passed.Load(), limit.Burst, limit.Rate)
	// Leave the route's bucket full again for the tests that follow.
	time.Sleep(time.Duration(float64(limit.Burst) / limit.Rate * float64(time.Second)))
}

// TestAnonymousRoutesHaveTheirOwnLimits holds template.yaml to its throttling rule:
// every route open to anonymous callers has RouteSettings of its own, and every staff
// route has the stage's defaults (its own bucket with them), so no anonymous route is
// left on the staff's limits.
func TestAnonymousRoutesHaveTheirOwnLimits(t *testing.T) {
	for _, r := range dev.Routes() {
		key, _, _ := strings.Cut(r, " -> ")
		limit, ok := dev.Throttle(key)
		switch open := strings.HasSuffix(r, "(open)"); {
		case !ok:
			t.Errorf("%s has no limits", r)
		case open && !limit.Route:
			t.Errorf("%s is open to anyone but has the staff's default limits (%+v): give it a RouteSettings entry", r, limit)
		case !open && limit.Route:
			t.Errorf("%s is a staff route with limits of its own (%+v)", r, limit)
		}
	}
}

// TestCORSAllowsOnlyTheStacksOrigins: a page on the stack's own origin (PublicBaseUrl's,
// here the local gateway's) or on an origin of CorsAllowedOrigins may call a staff route
// from a browser; a page elsewhere gets no CORS headers, preflight or not, so the
// browser keeps the answer from it.
func TestCORSAllowsOnlyTheStacksOrigins(t *testing.T) {
	tok, err := dev.Token(context.Background(), "finance")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		origin  string
		allowed bool
	}{
		{dev.Parameter("PublicBaseUrl"), true},
		{dev.URL(), true},
		{"https://tracker.example", true},
		{"https://evil.example", false},
		{"https://tracker.example.evil.example", false},
	} {
		t.Run(tt.origin, func(t *testing.T) {
			pre, err := once("OPTIONS", "/finance/budgets", "", "Origin", tt.origin,
				"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization")
			if err != nil {
				t.Fatal(err)
			}
			got, err := once("GET", "/finance/budgets?fiscalYear=2030", "", "Origin", tt.origin, "Authorization", "Bearer "+tok)
			if err != nil {
				t.Fatal(err)
			}
			if got.status != http.StatusOK {
				t.Fatalf("request: %d %s", got.status, got.body)
			}
			if !tt.allowed {
				for _, r := range []reply{pre, got} {
					for k := range r.header {
						if strings.HasPrefix(strings.ToLower(k), "access-control-") {
							t.Errorf("%s answered %s: %v", tt.origin, k, r.header.Values(k))
						}
					}
				}
				return
			}
			if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != tt.origin ||
				!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "authorization") ||
				!strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "GET") {
				t.Errorf("preflight: %d %v", pre.status, pre.header)
			}
			if got.header.Get("Access-Control-Allow-Origin") != tt.origin || !strings.Contains(got.header.Get("Access-Control-Expose-Headers"), "x-request-id") {
				t.Errorf("request: %v", got.header)
			}
		})
	}
}
