package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/seed"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/template"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/config"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/platform"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// tableName is the local table's name; on AWS, CloudFormation names it.
const tableName = "sponsorship-tracker-local"

// runDev starts moto, creates the table the template defines, loads the demo data and
// serves the submissions handler until ctx ends.
func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:3000", "address to serve the API on")
	_ = fs.Parse(args)

	e, err := startEnv(ctx)
	if err != nil {
		return err
	}
	defer e.stop()
	tmpl, err := template.Load(filepath.Join(e.root, "template.yaml"))
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(localaws.Config(e.moto.Endpoint))
	if err := localaws.CreateTable(ctx, db, tmpl, "Table", tableName); err != nil {
		return err
	}
	cfg, err := config.Load(func(k string) string {
		if k == config.EnvTableName {
			return tableName
		}
		return os.Getenv(k)
	})
	if err != nil {
		return err
	}
	store := dynamostore.New(db, tableName)
	if err := seed.Apply(ctx, store, cfg.Service, time.Now()); err != nil {
		return err
	}
	handler := api.NewSubmissions(sponsorship.NewService(store, cfg.Service), platform.Logger(cfg.LogLevel))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	f, _ := seed.Load()
	fmt.Fprintf(os.Stderr, `
Sponsorship Tracker is running.
  API        http://%s
  OpenAPI    http://%s/openapi.yaml
  Table      %s (moto at %s)
  Demo request %s, token %s
Press Ctrl-C to stop.
`, ln.Addr(), ln.Addr(), tableName, e.moto.Endpoint, f.Requests[0].ID, f.Requests[0].Token)
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return ctx.Err()
}
