//go:build integration

// Package e2e tests the Sponsorship Tracker end to end: template.yaml's stack running
// locally (moto, the real function binaries under the Lambda Runtime Interface
// Emulator, the HTTP API gateway with its JWT authorizer), with the demo data loaded,
// driven over HTTP the way clients use it.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
)

var (
	dev  *devstack.Dev
	chat = &devstack.ChatSink{}
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(func() int {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		hook := httptest.NewServer(http.StripPrefix("/hooks/committee", chat))
		defer hook.Close()
		var err error
		dev, err = devstack.Start(context.Background(), devstack.Options{
			Root: testenv.Root(), Addr: "127.0.0.1:0", Log: logOutput(), StackName: "e2e-" + hex.EncodeToString(b),
			// Its own moto: under `make test` the other packages' tests share one proxy,
			// which lets one call through at a time, and the stack's latency would depend
			// on theirs.
			Endpoint: "",
			// PublicBaseUrl is the stack's own origin (localdev's default), where the
			// console and its sign-in callback are; a foundation's site is another
			// origin allowed to call the API.
			Parameters: map[string]string{"ChatWebhookUrl": hook.URL + "/hooks/committee", "ReminderAfterDays": "2",
				"CorsAllowedOrigins": "https://tracker.example", "ReportInlineLimitBytes": "1000"},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "start the local stack:", err)
			return 1
		}
		defer dev.Stop()
		defer stopChromium()
		return m.Run()
	}))
}

// stackLogs holds everything the stack logged: the gateway's access log and every
// function's output, so tests can check what reaches a log (never a token).
var stackLogs testenv.LogBuffer

// logOutput keeps the stack's logs, and shows them too when E2E_LOG is set.
func logOutput() io.Writer {
	if os.Getenv("E2E_LOG") != "" {
		return io.MultiWriter(&stackLogs, os.Stderr)
	}
	return &stackLogs
}

// client calls the local API.
type client struct {
	t     *testing.T
	token string
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
	return m
}

// do sends one request. Like any well-behaved client it waits and tries again when the
// gateway's throttle answers 429 (each route has its own limit, 5 to 10 a second for
// the anonymous ones, and some tests send faster); the function never sees a throttled
// request. A 429 problem document is the API's own refusal (too many unconfirmed
// requests for an address), which a moment's wait does not change: it is returned.
func (c client) do(method, path string, body any, header ...string) reply {
	c.t.Helper()
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequest(method, dev.URL()+path, bytes.NewReader(payload))
		if err != nil {
			c.t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 20 &&
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
			continue
		}
		return reply{status: resp.StatusCode, header: resp.Header, body: b}
	}
}

func anonymous(t *testing.T) client { return client{t: t} }

func as(t *testing.T, token string) client { return client{t: t, token: token} }

// staff signs in a demo user of the given role and returns a client with their token.
func staff(t *testing.T, role string) client {
	t.Helper()
	tok, err := dev.Token(context.Background(), role)
	if err != nil {
		t.Fatal(err)
	}
	return as(t, tok)
}

// motoCalls reads the local moto proxy's call counts and timings by operation.
func motoCalls(t *testing.T) map[string]localaws.CallStats {
	t.Helper()
	resp, err := http.Get(dev.Endpoint() + "/_proxy/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]localaws.CallStats
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// callsSince describes the calls made between two readings, the busiest first.
func callsSince(before, after map[string]localaws.CallStats) string {
	type row struct {
		op string
		localaws.CallStats
	}
	var rows []row
	for op, a := range after {
		b := before[op]
		if d := a.Calls - b.Calls; d > 0 {
			rows = append(rows, row{op, localaws.CallStats{Calls: d, Total: a.Total - b.Total, Slowest: a.Slowest}})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Total > rows[j].Total })
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-45s %5d calls %8v total %8v mean\n", r.op, r.Calls, r.Total.Round(time.Millisecond), (r.Total / time.Duration(r.Calls)).Round(time.Millisecond))
	}
	return b.String()
}

// today is the date a payment made now carries: not before its approval, not in the
// future.
func today() string { return time.Now().UTC().Format("2006-01-02") }
