//go:build integration

package motostack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

// TestKMSRotationOfAsymmetricKeyIsRefused: as CloudFormation fails a template that
// asks rotation of an asymmetric key (KMS rotates symmetric encryption keys only), the
// stack refuses to start, naming the key.
func TestKMSRotationOfAsymmetricKeyIsRefused(t *testing.T) {
	s, err := motostack.Start(context.Background(), motostack.Options{
		Root: mototest.Root(), Template: filepath.Join(mototest.Root(), "testdata", "kmsrotation.yaml"),
		StackName: "kmsrotation", Addr: "127.0.0.1:0", Endpoint: os.Getenv("AWS_ENDPOINT_URL"), Log: testLog(),
	})
	if err == nil {
		s.Stop()
		t.Fatal("the stack started")
	}
	if !strings.Contains(err.Error(), "RotatingSigner") || !strings.Contains(err.Error(), "EnableKeyRotation") {
		t.Errorf("error %q: want it to name the key and EnableKeyRotation", err)
	}
}
