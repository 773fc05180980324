// Package financefn composes the finance function: see New.
package financefn

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/exports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/reports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/wiring"
)

// New builds finance's API: payments, budgets, reports (large ones through S3 links
// that expire after 15 minutes), the requests' files and their evidence as one ZIP, and the applicants' payout details.
func New(ctx context.Context, getenv wiring.Getenv) (http.Handler, error) {
	b, err := wiring.Setup(ctx, getenv)
	rc, rerr := config.LoadReports(getenv)
	bucket, berr := config.LoadEvidenceBucket(getenv)
	_, kerr := config.LoadPayoutKey(getenv)
	if err := errors.Join(err, rerr, berr, kerr); err != nil {
		return nil, err
	}
	evidence, eerr := wiring.Evidence(b, getenv)
	if eerr != nil {
		return nil, eerr
	}
	payouts, perr := wiring.Payouts(b, getenv)
	if perr != nil {
		return nil, perr
	}
	// Path-style addressing works with S3 and with moto alike.
	client := s3.NewFromConfig(b.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	reportsBucket := exports.S3{Client: client, Bucket: rc.Bucket, TTL: 15 * time.Minute}
	return api.NewFinance(api.FinanceDeps{
		Evidence: evidence,
		Payouts:  payouts,
		Archives: exports.Archive{Evidence: exports.Evidence{Client: client, Bucket: bucket}, Reports: reportsBucket},
		Payments: sponsorship.NewFinanceService(b.Store, time.Now),
		Budgets:  sponsorship.NewAdminService(b.Store, time.Now),
		Reports: reports.Desk{
			Builder:     reports.Builder{Source: b.Store, Calendar: b.Config.Service.Calendar},
			Exporter:    reportsBucket,
			InlineLimit: rc.InlineLimit,
		},
	}, b.Log), nil
}
