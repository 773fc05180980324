package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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
	var failed []error
	for _, note := range Route(ev, req, sponsorship.Directory{}, n.cfg.Rules) {
		if err := n.deliver(ctx, note, ConfirmView(req, code, n.cfg.BaseURL)); err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
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
