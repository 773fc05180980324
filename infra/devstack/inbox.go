package devstack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
