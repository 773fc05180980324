package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// ExpireTTL does once what DynamoDB's TTL process does in the background, which moto
// never does: in each named table (every table when none is named) whose TTL is
// enabled, it deletes the items whose TTL attribute is a Number of epoch seconds in the
// past, no more than five years back, and marks their stream records as the service's
// deletions (motoserver.py). It returns how many items each table with TTL enabled lost.
func ExpireTTL(ctx context.Context, endpoint string, tables ...string) (map[string]int, error) {
	q := url.Values{}
	for _, t := range tables {
		q.Add("table", t)
	}
	u := endpoint + "/moto-api/motostack/expire-ttl"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("expire items past their TTL: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("expire items past their TTL: %s", resp.Status)
	}
	var out struct {
		Expired map[string]int `json:"expired"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("expire items past their TTL: %w", err)
	}
	return out.Expired, nil
}
