package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// askToConfirm sends the confirmation link of a request just received. Nothing else
// is sent about an unconfirmed request, and this message carries nothing the applicant
// typed: whoever submits may name any address, and its owner must not receive a
// stranger's words from us. A request confirmed, withdrawn or expired meanwhile gets
// no message.
func (n *Notifier) askToConfirm(ctx context.Context, ev sponsorship.AuditEvent, req *sponsorship.Request) error {
	if req.Status != sponsorship.StatusUnconfirmed || req.Expired(n.now()) {
		n.log.Info("no confirmation link for a request no longer waiting for one", "request", req.ID, "status", req.Status)
		return nil
	}
	code, err := n.reader.ConfirmationCode(ctx, req.ID)
	if errors.Is(err, sponsorship.ErrNotFound) {
		n.log.Info("no confirmation code: the address was confirmed meanwhile", "request", req.ID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read confirmation code of %s: %w", req.ID, err)
	}
	return n.deliver(ctx, eventGroup(ev), Route(ev, req, sponsorship.Directory{}, n.cfg.Rules), func(Notification) View {
		return ConfirmView(req, code, n.cfg.BaseURL)
	})
}

// ConfirmView is the whole of what the confirmation message may show: the reference,
// the link and its deadline. It is built from a blank request, so that no template can
// reach the applicant's name, title or organization, even by mistake.
func ConfirmView(req *sponsorship.Request, code, baseURL string) View {
	link := strings.TrimRight(baseURL, "/") + "/confirm#id=" + url.QueryEscape(req.ID) + "&code=" + url.QueryEscape(code)
	return View{
		Request:    &sponsorship.Request{ID: req.ID, Reference: req.Reference},
		ConfirmURL: link,
		ConfirmBy:  req.ExpiresAt.UTC().Format("2 January 2006, 15:04 MST"),
	}
}

// askToConfirmPayout mails the request's address the link that confirms a change of
// its payout details. The message names the request and the last characters of the
// new account, nothing more; a change confirmed, replaced or lapsed meanwhile gets no
// message.
func (n *Notifier) askToConfirmPayout(ctx context.Context, ev sponsorship.AuditEvent, req *sponsorship.Request) error {
	num, err := strconv.Atoi(ev.Data["details"])
	p := req.Payout
	if err != nil || p == nil || p.Pending != num || !n.now().Before(p.PendingUntil) {
		n.log.Info("no payout confirmation link for a change no longer waiting", "request", req.ID, "version", ev.Version)
		return nil
	}
	rec, err := n.reader.SealedPayout(ctx, req.ID, num)
	if err != nil {
		return fmt.Errorf("read payout change %d of %s: %w", num, req.ID, err)
	}
	if rec.Code == "" {
		return nil
	}
	return n.deliver(ctx, eventGroup(ev), Route(ev, req, sponsorship.Directory{}, n.cfg.Rules), func(note Notification) View {
		v := NewView(note.Name, req, ev, n.cfg.BaseURL)
		v.ConfirmURL = strings.TrimRight(n.cfg.BaseURL, "/") + "/confirm#id=" + url.QueryEscape(req.ID) +
			"&payout=" + url.QueryEscape(rec.Code)
		v.ConfirmBy = p.PendingUntil.UTC().Format("2 January 2006, 15:04 MST")
		return v
	})
}
