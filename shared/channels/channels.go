// Package channels delivers notifications: e-mail through Amazon SES v2 and chat
// messages through a Slack-compatible incoming webhook.
package channels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
)

// SESAPI is the part of the SES v2 client the e-mail channel uses.
type SESAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Email sends one message per recipient from a verified sender address.
type Email struct {
	SES    SESAPI
	Sender string
}

var _ notify.Sender = Email{}

// Send sends a message with a plain-text and an HTML part.
func (e Email) Send(ctx context.Context, to string, m notify.Message) (string, error) {
	utf8 := aws.String("UTF-8")
	out, err := e.SES.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(e.Sender),
		Destination:      &types.Destination{ToAddresses: []string{to}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(m.Text), Charset: utf8},
				Html: &types.Content{Data: aws.String(m.HTML), Charset: utf8},
			},
		}},
	})
	if err != nil {
		return "", fmt.Errorf("ses: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}

// Webhook posts the text of a message to a Slack-compatible incoming webhook.
type Webhook struct {
	URL    string
	Client *http.Client
}

var _ notify.Sender = Webhook{}

// Send posts {"text": ...}. Errors never carry the webhook's URL, which is a secret.
func (w Webhook) Send(ctx context.Context, _ string, m notify.Message) (string, error) {
	body, _ := json.Marshal(map[string]string{"text": m.Text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return "", errors.New("chat webhook: the configured URL is not usable")
	}
	req.Header.Set("Content-Type", "application/json")
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", fmt.Errorf("chat webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("chat webhook: status %d", resp.StatusCode)
	}
	return resp.Header.Get("X-Slack-Req-Id"), nil
}
