package localdev

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// ChatSink stands in for the committee's chat webhook locally: it keeps every message
// posted to it as {"text": ...}.
type ChatSink struct {
	mu       sync.Mutex
	messages []string
}

// ServeHTTP receives one webhook call.
func (c *ChatSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct {
		Text string `json:"text"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&m) != nil {
		http.Error(w, `POST {"text": ...}`, http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.messages = append(c.messages, m.Text)
	c.mu.Unlock()
	fmt.Fprintln(w, "ok")
}

// Messages returns what the chat received, oldest first.
func (c *ChatSink) Messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.messages...)
}

// Mail is a message SES sent, as moto keeps it.
type Mail struct {
	ID           string              `json:"id"`
	Source       string              `json:"source"`
	Subject      string              `json:"subject"`
	Body         string              `json:"body"`
	Destinations map[string][]string `json:"destinations"`
}

// To lists the message's To addresses.
func (m Mail) To() string { return strings.Join(m.Destinations["ToAddresses"], ",") }

// SentMail reads every message moto's SES has sent.
func SentMail(ctx context.Context, endpoint string) ([]Mail, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/moto-api/data.json", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read moto's data: %w", err)
	}
	defer resp.Body.Close()
	var data struct {
		SES struct {
			Message []Mail `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		return nil, fmt.Errorf("read moto's data: %w", err)
	}
	return data.SES.Message, nil
}
