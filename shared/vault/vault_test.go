//go:build integration

package vault_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/testkit/testenv"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/vault"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestSealedOpensOnlyAsSealed: what the vault seals under moto's KMS opens to the same
// bytes with the same context, and not with another request's or number's context,
// nor once its ciphertext, nonce or data key is altered or moved from another record;
// the plaintext is nowhere in what is stored.
func TestSealedOpensOnlyAsSealed(t *testing.T) {
	ctx := context.Background()
	v := vault.KMS{Client: kms.NewFromConfig(testenv.AWSConfig(t)), KeyID: testenv.KMSKey(t)}
	plain := []byte(`{"method":"bank_transfer","iban":"DE89370400440532013000"}`)
	here := map[string]string{"request": "r1", "payout": "1"}
	s, err := v.Seal(ctx, plain, here)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s.Ciphertext, []byte("DE89")) || bytes.Contains(s.DataKey, []byte("DE89")) || s.KeyID == "" {
		t.Fatalf("sealed: %+v", s)
	}
	got, err := v.Open(ctx, s, here)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: %q, %v", got, err)
	}
	other, err := v.Seal(ctx, []byte("another record"), map[string]string{"request": "r2", "payout": "1"})
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte) []byte { c := bytes.Clone(b); c[len(c)/2] ^= 1; return c }
	for name, c := range map[string]struct {
		s       sponsorship.Sealed
		context map[string]string
	}{
		"another request's context": {s, map[string]string{"request": "r2", "payout": "1"}},
		"another number's context":  {s, map[string]string{"request": "r1", "payout": "2"}},
		"a context with more in it": {s, map[string]string{"request": "r1", "payout": "1", "x": "y"}},
		"a flipped ciphertext bit":  {sponsorship.Sealed{KeyID: s.KeyID, DataKey: s.DataKey, Nonce: s.Nonce, Ciphertext: flip(s.Ciphertext)}, here},
		"another nonce":             {sponsorship.Sealed{KeyID: s.KeyID, DataKey: s.DataKey, Nonce: flip(s.Nonce), Ciphertext: s.Ciphertext}, here},
		"a short nonce":             {sponsorship.Sealed{KeyID: s.KeyID, DataKey: s.DataKey, Nonce: s.Nonce[:4], Ciphertext: s.Ciphertext}, here},
		"another record's data key": {sponsorship.Sealed{KeyID: s.KeyID, DataKey: other.DataKey, Nonce: s.Nonce, Ciphertext: s.Ciphertext}, here},
		"a data key altered":        {sponsorship.Sealed{KeyID: s.KeyID, DataKey: flip(s.DataKey), Nonce: s.Nonce, Ciphertext: s.Ciphertext}, here},
	} {
		if got, err := v.Open(ctx, c.s, c.context); err == nil {
			t.Errorf("%s opens: %q", name, got)
		} else if name == "a flipped ciphertext bit" && !errors.Is(err, vault.ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", name, err)
		}
	}
}
