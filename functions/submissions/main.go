// Command submissions is the applicant API's Lambda function: it submits requests,
// shows an applicant their request, lets them edit and resubmit or withdraw it, and
// serves the pages, the OpenAPI document and the staff console's sign-in configuration.
package main

import (
	"context"
	"errors"
	"net/http"
	"os"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		platform.Exit("submissions function cannot start", err)
	}
	platform.StartHTTP(h)
}

// newHandler wires configuration, the DynamoDB store and the service into the HTTP
// handler that Lambda serves.
func newHandler(ctx context.Context, getenv func(string) string) (http.Handler, error) {
	b, err := platform.Setup(ctx, getenv)
	console, cerr := config.LoadConsole(getenv)
	if err := errors.Join(err, cerr); err != nil {
		return nil, err
	}
	return api.NewSubmissions(sponsorship.NewService(b.Store, b.Config.Service), b.Log,
		api.WithConsole(api.NewConsoleConfig(console.AuthBaseURL, console.ClientID, console.PublicBaseURL))), nil
}
