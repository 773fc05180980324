package channels

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/notify"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
)

// Notifier builds what the notification functions share: the store as reader and
// outbox, SES for e-mail, and the chat webhook when one is configured. It reports every
// configuration problem at once.
func Notifier(ctx context.Context, getenv func(string) string) (*notify.Notifier, platform.Basics, config.Notify, error) {
	b, err := platform.Setup(ctx, getenv)
	nc, nerr := config.LoadNotify(getenv)
	if err := errors.Join(err, nerr); err != nil {
		return nil, platform.Basics{}, config.Notify{}, err
	}
	senders := map[string]notify.Sender{notify.Email: Email{SES: sesv2.NewFromConfig(b.AWS), Sender: nc.Sender}}
	if nc.ChatWebhook != "" {
		senders[notify.Chat] = Webhook{URL: nc.ChatWebhook}
	}
	cfg := notify.Config{BaseURL: nc.BaseURL, Rules: notify.Rules{FinanceEmail: nc.FinanceEmail, AdminsEmail: nc.AdminsEmail}}
	return notify.New(b.Store, b.Store, senders, cfg, b.Log), b, nc, nil
}
