package motostack

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Throttling as API Gateway applies it to an HTTP API, after the API Gateway Developer
// Guide ("Throttling requests to your HTTP API"; "Amazon API Gateway quotas"):
//
//   - each route of a stage has a token bucket of its own: the stage's
//     DefaultRouteSettings give every route its burst and rate, and a RouteSettings
//     entry, keyed by route key ("POST /requests", "$default"), replaces them for the
//     route it names;
//   - every request also draws on the account's bucket in the Region, which all APIs
//     share: 10 000 requests a second with bursts of 5 000.
//
// A RouteSettings entry replaces the defaults as a whole: a limit the entry leaves out
// is not taken from DefaultRouteSettings (Terraform's API Gateway v2 module copies the
// defaults into each entry for that reason), and a route with no limit set anywhere is
// held by the account's bucket alone.
const (
	accountRate  = 10000
	accountBurst = 5000
)

// Throttle is a route's token bucket: Burst requests at once, then Rate a second.
type Throttle struct {
	Burst int
	Rate  float64
	// Route is true when the stage's RouteSettings set the limits for this route, false
	// when they are the stage's DefaultRouteSettings.
	Route bool
}

// routeThrottles resolves an API's stage settings into each route's throttle, by route
// key; a route held by the account's limit alone is missing from the map. A
// RouteSettings key that is not a route of the API is refused: it would leave the
// route it meant on the defaults without a word.
func routeThrottles(api *API, r *Resolver) (map[string]Throttle, error) {
	keys := map[string]bool{}
	for _, rt := range api.Routes {
		keys[rt.Key()] = true
	}
	defaults, err := resolveObject(r, api.DefaultRouteSettings)
	if err != nil {
		return nil, fmt.Errorf("API %s DefaultRouteSettings: %w", api.LogicalID, err)
	}
	perRoute, err := resolveObject(r, api.RouteSettings)
	if err != nil {
		return nil, fmt.Errorf("API %s RouteSettings: %w", api.LogicalID, err)
	}
	var unknown []string
	for key := range perRoute {
		if !keys[key] {
			unknown = append(unknown, fmt.Sprintf("%q", key))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("API %s RouteSettings: %v are not route keys of the API (write them as \"METHOD /path\" or \"$default\")", api.LogicalID, unknown)
	}
	out := map[string]Throttle{}
	for key := range keys {
		settings, own := defaults, false
		if s, ok := perRoute[key]; ok {
			if settings, ok = s.(map[string]any); !ok {
				return nil, fmt.Errorf("API %s RouteSettings %q is not an object", api.LogicalID, key)
			}
			own = true
		}
		t, ok, err := throttleOf(settings)
		if err != nil {
			return nil, fmt.Errorf("API %s route %s: %w", api.LogicalID, key, err)
		}
		if ok {
			t.Route = own
			out[key] = t
		}
	}
	return out, nil
}

// throttleOf reads one route settings object; ok is false when it sets no limit.
func throttleOf(s map[string]any) (t Throttle, ok bool, err error) {
	burst, hasBurst, err := limit(s, "ThrottlingBurstLimit")
	if err != nil {
		return t, false, err
	}
	rate, hasRate, err := limit(s, "ThrottlingRateLimit")
	if err != nil {
		return t, false, err
	}
	if !hasBurst && !hasRate {
		return t, false, nil
	}
	if !hasBurst {
		burst = accountBurst
	}
	if !hasRate {
		rate = accountRate
	}
	return Throttle{Burst: int(burst), Rate: rate}, true, nil
}

func limit(s map[string]any, name string) (float64, bool, error) {
	v, ok := s[name]
	if !ok {
		return 0, false, nil
	}
	n, ok := number(v)
	if !ok || n < 0 {
		return 0, false, fmt.Errorf("%s is %v, not a number of zero or more", name, v)
	}
	return n, true, nil
}

// resolveObject resolves a template value that must be an object; nil stays nil.
func resolveObject(r *Resolver, v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	out, err := r.Resolve(v)
	if err != nil {
		return nil, err
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected an object, got %T", out)
	}
	return m, nil
}

// tokenBucket is one throttle: capacity requests at once, rate a second after.
type tokenBucket struct {
	mu       sync.Mutex
	capacity float64
	rate     float64
	tokens   float64
	last     time.Time
}

func newTokenBucket(burst int, rate float64) *tokenBucket {
	return &tokenBucket{capacity: float64(burst), rate: rate, tokens: float64(burst), last: time.Now()}
}

// take spends a token if one is left.
func (b *tokenBucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
