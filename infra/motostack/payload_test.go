//go:build integration

package motostack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

// invocations counts a function's invocations so far.
func invocations(s *motostack.Stack, fn string) int {
	st := s.Stats()[fn]
	return len(st.ColdStarts) + len(st.Warm)
}

// TestLambdaPayloadLimits checks Lambda's 6 MB limits behind the gateway: an event over
// the limit is refused before the function runs, even when the body alone is under it;
// a response over the limit fails the integration after the function ran; and either
// side just under the limit passes.
func TestLambdaPayloadLimits(t *testing.T) {
	t.Parallel() // a stack of its own
	logs := &mototest.LogBuffer{}
	s := startStack(t, "payload.yaml", motostack.Options{Log: logs, MaxEnvironments: 1})
	send := func(method, path, contentType string, body []byte) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	message := func(body []byte) string {
		var m map[string]string
		_ = json.Unmarshal(body, &m)
		return m["message"]
	}

	t.Run("an event under the limit reaches the function", func(t *testing.T) {
		resp, body := send("POST", "/sized", "text/plain", bytes.Repeat([]byte("a"), 5_000_000))
		if resp.StatusCode != 200 || string(body) != `{"received":5000000}` {
			t.Errorf("%d %.200s", resp.StatusCode, body)
		}
	})

	for _, tt := range []struct {
		name        string
		contentType string
		size        int
	}{
		{"a text body over the limit", "text/plain", 6_300_000},
		// 4.8 MB of binary is 6.4 MB in the event, base64-encoded.
		{"a binary body under the limit whose event is over it", "application/octet-stream", 4_800_000},
	} {
		t.Run(tt.name+" is refused without invoking the function", func(t *testing.T) {
			before := invocations(s, "SizedFunction")
			resp, body := send("POST", "/sized", tt.contentType, bytes.Repeat([]byte{'a'}, tt.size))
			if resp.StatusCode != http.StatusRequestEntityTooLarge || message(body) != "Request Too Long" ||
				resp.Header.Get("X-Amzn-ErrorType") != "BadRequestException" {
				t.Errorf("%d %s %v, want 413 Request Too Long", resp.StatusCode, body, resp.Header)
			}
			if n := invocations(s, "SizedFunction"); n != before {
				t.Errorf("the function ran %d times", n-before)
			}
		})
	}

	t.Run("a response under the limit passes", func(t *testing.T) {
		resp, body := send("GET", "/sized?size=6000000", "", nil)
		if resp.StatusCode != 200 || len(body) != 6_000_000 {
			t.Errorf("%d, %d bytes", resp.StatusCode, len(body))
		}
	})

	t.Run("a response over the limit fails the integration", func(t *testing.T) {
		before := invocations(s, "SizedFunction")
		resp, body := send("GET", "/sized?size=6300000", "", nil)
		if resp.StatusCode != http.StatusBadGateway || message(body) != "Internal server error" {
			t.Errorf("%d %.200s, want 502 Internal server error", resp.StatusCode, body)
		}
		if n := invocations(s, "SizedFunction"); n != before+1 {
			t.Errorf("the function ran %d times, want once", n-before)
		}
		if !strings.Contains(logs.String(), "Lambda Customer Function Error:Response payload size exceeded maximum allowed payload size (6291556 bytes).") {
			t.Error("no integration error in the stack's log")
		}
		// The runtime that failed to post its response is gone; a fresh one answers.
		if resp, body := send("GET", "/sized?size=10", "", nil); resp.StatusCode != 200 || string(body) != "aaaaaaaaaa" {
			t.Errorf("after the failure: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("Invoke refuses an event over the limit", func(t *testing.T) {
		event, _ := json.Marshal(map[string]string{"body": strings.Repeat("a", 6<<20)})
		if _, err := s.Invoke(context.Background(), "SizedFunction", event); !errors.Is(err, motostack.ErrRequestTooLarge) {
			t.Errorf("Invoke: %v, want ErrRequestTooLarge", err)
		}
	})
}
