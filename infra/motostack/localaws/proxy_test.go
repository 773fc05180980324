package localaws_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// The proxy lets one call through at a time and counts, per operation, the calls, the
// time upstream and the time calls waited for their turn; Since subtracts two readings.
func TestProxyCountsCallsAndWaiting(t *testing.T) {
	release := make(chan struct{})
	var first sync.Once
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first.Do(func() { <-release }) // the first call holds the proxy until released
		w.Write([]byte("{}"))
	}))
	defer upstream.Close()
	proxy := httptest.NewServer(localaws.NewProxy(upstream.URL))
	defer proxy.Close()
	ctx := context.Background()
	before, err := localaws.ReadStats(ctx, proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	call := func(target string) {
		req, _ := http.NewRequest(http.MethodPost, proxy.URL+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", target)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}
	var wg sync.WaitGroup
	wg.Go(func() { call("DynamoDB_20120810.GetItem") })
	time.Sleep(20 * time.Millisecond) // the first call is upstream now
	for range 3 {
		wg.Go(func() { call("DynamoDB_20120810.GetItem") })
	}
	wg.Go(func() { call("DynamoDB_20120810.Query") })
	time.Sleep(20 * time.Millisecond) // the others wait for their turn
	close(release)
	wg.Wait()

	after, err := localaws.ReadStats(ctx, proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	got := localaws.Since(before, after)
	get, query := got["DynamoDB_20120810.GetItem"], got["DynamoDB_20120810.Query"]
	if get.Calls != 4 || query.Calls != 1 || len(got) != 2 {
		t.Fatalf("counted %+v", got)
	}
	if get.Total <= 0 || get.Queued+query.Queued <= 0 {
		t.Errorf("calls that waited for their turn show no waiting: %+v", got)
	}
	if again := localaws.Since(after, after); len(again) != 0 {
		t.Errorf("nothing happened between two equal readings, yet: %+v", again)
	}
}
