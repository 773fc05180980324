package main

import (
	"context"
	"fmt"
	"os"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// env is a running moto and what to tell programs that use it.
type env struct {
	root string
	moto *localaws.Moto
}

func startEnv(ctx context.Context) (*env, error) {
	root, err := samtemplate.FindRoot()
	if err != nil {
		return nil, err
	}
	moto, err := localaws.StartMoto(ctx, localaws.MotoOptions{Root: root, Log: nil})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "local: moto is up at %s (through the serialising proxy)\n", moto.Endpoint)
	return &env{root: root, moto: moto}, nil
}

func (e *env) stop() { e.moto.Stop() }

// vars are the environment variables that point an AWS SDK at moto.
func (e *env) vars() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + e.moto.Endpoint,
		"AWS_REGION=" + localaws.Region,
		"AWS_DEFAULT_REGION=" + localaws.Region,
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
	}
}
