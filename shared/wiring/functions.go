package wiring

import (
	"context"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
)

// Getenv reads the function's environment: os.Getenv in Lambda, a map in tests.
type Getenv = func(string) string

// Build composes one function's handler from its environment; an error names every
// configuration problem at once.
type Build[H any] func(ctx context.Context, getenv Getenv) (H, error)

// Serve builds a function's handler from the process's environment and hands it to the
// Lambda runtime (a function, or a lambda.Handler, which the runtime calls directly); a
// function that cannot be built exits with its reason (an init error in the function's
// log). It does not return.
func Serve[H any](name string, build Build[H]) {
	h, err := build(context.Background(), os.Getenv)
	if err != nil {
		Exit(name+" function cannot start", err)
	}
	lambda.Start(h)
}

// ServeHTTP is Serve for the API's functions: their http.Handler behind the HTTP API,
// through the adapter of package lambdahttp.
func ServeHTTP(name string, build Build[http.Handler]) {
	Serve(name, func(ctx context.Context, getenv Getenv) (lambda.Handler, error) {
		h, err := build(ctx, getenv)
		if err != nil {
			return nil, err
		}
		return lambdahttp.Handler(h), nil
	})
}
