package memstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Queue lists the requests of one status, oldest or newest submission first, filtered
// by kind and by "waiting on this reviewer", a page at a time: at most the limit
// (sponsorship.DefaultQueueLimit when it is not between 1 and
// sponsorship.MaxQueueLimit), and a cursor when more follow. Provisional requests are
// in no queue. A cursor this store did not hand out for the status is
// sponsorship.ErrBadCursor.
func (s *Store) Queue(_ context.Context, q sponsorship.QueueQuery) (sponsorship.QueuePage, error) {
	limit := q.Limit
	if limit <= 0 || limit > sponsorship.MaxQueueLimit {
		limit = sponsorship.DefaultQueueLimit
	}
	after := ""
	if q.Cursor != "" {
		var err error
		if after, err = decodeCursor(q.Status, q.Cursor); err != nil {
			return sponsorship.QueuePage{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*sponsorship.Request
	for _, p := range s.requests {
		r := p.request
		k := queueKey(r)
		beyond := after == "" || (!q.Newest && k > after) || (q.Newest && k < after)
		if r.Status == q.Status && !r.Provisional() && (q.Kind == "" || r.Kind == q.Kind) && waiting(r, q.WaitingOn) && beyond {
			found = append(found, r)
		}
	}
	slices.SortFunc(found, func(a, b *sponsorship.Request) int { return strings.Compare(queueKey(a), queueKey(b)) })
	if q.Newest {
		slices.Reverse(found)
	}
	var page sponsorship.QueuePage
	for _, r := range found[:min(limit, len(found))] {
		page.Items = append(page.Items, cloneRequest(r))
	}
	if len(found) > limit {
		page.Next = encodeCursor(q.Status, queueKey(found[limit-1]))
	}
	return page, nil
}

// queueKey is where a request stands in its queue: its submission time, to the
// nanosecond in a fixed width so that keys sort as strings, then its id.
func queueKey(r *sponsorship.Request) string {
	return r.SubmittedAt.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + r.ID
}

// waiting reports whether a request waits on a reviewer (nil: on anyone): they have
// neither voted in its current round nor recused themselves, and it is not their
// company's, by name key or e-mail domain.
func waiting(r *sponsorship.Request, w *sponsorship.Waiter) bool {
	if w == nil {
		return true
	}
	if slices.Contains(r.Voters, w.ReviewerID) || slices.Contains(r.Recused, w.ReviewerID) {
		return false
	}
	if k := orgname.Key(r.Applicant.Organization); k != "" && slices.Contains(w.OrgKeys, k) {
		return false
	}
	domain := orgname.EmailDomain(r.Applicant.Email)
	return !slices.ContainsFunc(w.Domains, func(d string) bool { return domain == d || strings.HasSuffix(domain, "."+d) })
}

// cursor is what a queue cursor carries: the status it lists and the key of the last
// request a page returned.
type cursor struct {
	Status sponsorship.Status `json:"s"`
	After  string             `json:"a"`
}

func encodeCursor(status sponsorship.Status, after string) string {
	b, _ := json.Marshal(cursor{Status: status, After: after}) // two strings always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor of a status's queue, refusing anything else.
func decodeCursor(status sponsorship.Status, s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err != nil || len(s) > 1024 || json.Unmarshal(b, &c) != nil || c.Status != status {
		return "", sponsorship.ErrBadCursor
	}
	if _, id, ok := strings.Cut(c.After, "#"); !ok || !sponsorship.ValidID(id) {
		return "", sponsorship.ErrBadCursor
	}
	return c.After, nil
}
