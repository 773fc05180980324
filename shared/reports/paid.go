package reports

import (
	"context"
	"slices"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// MaxArchivedRequests is the most requests a fiscal year's evidence archive reaches:
// each costs a read of the request and of its files, and each file is streamed from S3
// within the finance function's 29 seconds. A year beyond it is refused, never cut off.
const MaxArchivedRequests = 300

// PaidRequests lists the requests with payments in a fiscal year, in the order of
// their first payment: whose evidence that year's archive holds. It reads the year's
// payments (at most the payments report's ceiling) and refuses, with a *CeilingError
// naming "archive", a year whose payments reach more than MaxArchivedRequests requests.
func (b Builder) PaidRequests(ctx context.Context, year int) ([]string, error) {
	read := &ceiling{report: "payments", limit: b.ceiling("payments")}
	var ids []string
	err := b.Source.EachPayment(ctx, year, "", "", func(p sponsorship.Payment) error {
		if err := read.items(1); err != nil {
			return err
		}
		if !slices.Contains(ids, p.RequestID) {
			if len(ids) == MaxArchivedRequests {
				return &CeilingError{Report: "archive", Limit: MaxArchivedRequests}
			}
			ids = append(ids, p.RequestID)
		}
		return nil
	})
	return ids, err
}
