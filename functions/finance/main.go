// Command finance is finance's Lambda function: payments against approved requests,
// budgets, and reports as CSV, JSON or XLSX (large ones through S3).
package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/exports"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/finance"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		platform.Exit("finance function cannot start", err)
	}
	platform.StartHTTP(h)
}

// newHandler wires configuration, the store, S3 and the services into the handler.
func newHandler(ctx context.Context, getenv func(string) string) (http.Handler, error) {
	b, err := platform.Setup(ctx, getenv)
	rc, rerr := config.LoadReports(getenv)
	if err := errors.Join(err, rerr); err != nil {
		return nil, err
	}
	// Path-style addressing works with S3 and with moto alike.
	client := s3.NewFromConfig(b.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	return api.NewFinance(api.FinanceDeps{
		Payments:    sponsorship.NewFinanceService(b.Store, nil),
		Budgets:     sponsorship.NewAdminService(b.Store, nil),
		Reports:     finance.Builder{Source: b.Store, Calendar: b.Config.Service.Calendar},
		Exporter:    exports.S3{Client: client, Bucket: rc.Bucket, TTL: 15 * time.Minute},
		InlineLimit: rc.InlineLimit,
	}, b.Log), nil
}
