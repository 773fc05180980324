package motostack

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The stage's route settings become one throttle per route, as API Gateway applies them:
// a RouteSettings entry replaces the defaults for its route as a whole, values may come
// from parameters, and a key that is not a route is refused.
func TestRouteThrottles(t *testing.T) {
	api := &API{LogicalID: "Api", Routes: []*Route{
		{Method: "POST", Path: "/requests"}, {Method: "GET", Path: "/requests/{id}"},
		{Method: "GET", Path: "/review/requests"}, {Method: "ANY", Path: "$default"}, {Method: "GET", Path: "/metrics-only"},
	}}
	model := &Model{Parameters: map[string]map[string]any{"SubmitRate": {"Type": "Number", "Default": 10.0}}}
	tests := []struct {
		name               string
		defaults, perRoute any
		want               map[string]Throttle
		err                string
	}{
		{
			name:     "defaults for every route, entries replace them",
			defaults: map[string]any{"ThrottlingBurstLimit": 100.0, "ThrottlingRateLimit": 50.0},
			perRoute: map[string]any{
				"POST /requests":    map[string]any{"ThrottlingBurstLimit": 20.0, "ThrottlingRateLimit": map[string]any{"Ref": "SubmitRate"}},
				"$default":          map[string]any{"ThrottlingBurstLimit": 10.0},
				"GET /metrics-only": map[string]any{"DetailedMetricsEnabled": true},
			},
			want: map[string]Throttle{
				"POST /requests":       {Burst: 20, Rate: 10, Route: true},
				"$default":             {Burst: 10, Rate: accountRate, Route: true},
				"GET /requests/{id}":   {Burst: 100, Rate: 50},
				"GET /review/requests": {Burst: 100, Rate: 50},
			},
		},
		{
			name:     "no defaults: only the named routes have limits",
			perRoute: map[string]any{"POST /requests": map[string]any{"ThrottlingBurstLimit": 0.0, "ThrottlingRateLimit": 0.0}},
			want:     map[string]Throttle{"POST /requests": {Burst: 0, Rate: 0, Route: true}},
		},
		{
			name:     "a key that is not a route",
			defaults: map[string]any{"ThrottlingBurstLimit": 100.0, "ThrottlingRateLimit": 50.0},
			perRoute: map[string]any{"POST /request": map[string]any{"ThrottlingBurstLimit": 1.0}},
			err:      `"POST /request"`,
		},
		{
			name:     "a limit that is not a number",
			defaults: map[string]any{"ThrottlingBurstLimit": "lots"},
			err:      "ThrottlingBurstLimit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newResolver(model, "test", nil)
			if err != nil {
				t.Fatal(err)
			}
			api.DefaultRouteSettings, api.RouteSettings = tt.defaults, tt.perRoute
			got, err := routeThrottles(api, r)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("throttles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAllowedOrigin(t *testing.T) {
	tests := []struct {
		origins     []string
		credentials bool
		origin      string
		want        string
	}{
		{[]string{"https://app.example.org"}, false, "https://app.example.org", "https://app.example.org"},
		{[]string{"https://app.example.org"}, false, "https://APP.example.org", "https://APP.example.org"},
		{[]string{"https://app.example.org"}, false, "https://app.example.org.evil.example", ""},
		{[]string{"https://app.example.org"}, false, "http://app.example.org", ""},
		{[]string{"https://app.example.org"}, false, "null", ""},
		{[]string{"*"}, false, "https://evil.example", "*"},
		{[]string{"*"}, true, "https://evil.example", "https://evil.example"},
		{[]string{"https://*"}, false, "https://any.example", "https://any.example"},
		{[]string{"https://*"}, false, "http://any.example", ""},
		{[]string{"http://*"}, false, "http://127.0.0.1:3000", "http://127.0.0.1:3000"},
	}
	for _, tt := range tests {
		c := &CORS{AllowOrigins: tt.origins, AllowCredentials: tt.credentials}
		if got := c.allowedOrigin(tt.origin); got != tt.want {
			t.Errorf("origins %v, credentials %v: %q gets %q, want %q", tt.origins, tt.credentials, tt.origin, got, tt.want)
		}
	}
}
