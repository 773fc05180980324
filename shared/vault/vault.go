// Package vault seals small secrets (an applicant's payout details) by envelope
// encryption under a KMS key: KMS makes a fresh AES-256 data key for each secret and
// returns it in plain and encrypted; the secret is encrypted here with AES-256-GCM
// under the plain key, which is then dropped; only the encrypted key is stored beside
// the ciphertext. Opening asks KMS to decrypt the data key, which only roles granted
// kms:Decrypt on the key can, and every call is in CloudTrail.
//
// The encryption context is bound twice: KMS requires the same context to decrypt the
// data key, and GCM authenticates it as additional data, so a sealed value copied to
// another request does not open. The composition is the standard library's AES-GCM and
// two KMS calls; the AWS Encryption SDK, which does the same with a message format of
// its own, has no Go release a Lambda function could use without its Dafny runtime.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// KMSAPI is the part of the KMS client the vault uses.
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, opts ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// KMS seals under one KMS key. A role that only seals (the applicant's function)
// needs kms:GenerateDataKey; one that opens (finance's) needs kms:Decrypt.
type KMS struct {
	Client KMSAPI
	KeyID  string // key id, key ARN or alias
}

var _ sponsorship.Sealer = KMS{}

// ErrOpen is the answer to a sealed value that does not open: tampered, moved to
// another context, or not sealed by this vault.
var ErrOpen = errors.New("sealed value does not open")

// Seal encrypts plaintext under a new data key, bound to the encryption context bound.
func (v KMS) Seal(ctx context.Context, plaintext []byte, bound map[string]string) (sponsorship.Sealed, error) {
	out, err := v.Client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId: aws.String(v.KeyID), KeySpec: types.DataKeySpecAes256, EncryptionContext: bound,
	})
	if err != nil {
		return sponsorship.Sealed{}, fmt.Errorf("generate data key: %w", err)
	}
	defer clear(out.Plaintext)
	aead, err := gcm(out.Plaintext)
	if err != nil {
		return sponsorship.Sealed{}, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return sponsorship.Sealed{}, err
	}
	return sponsorship.Sealed{
		KeyID: aws.ToString(out.KeyId), DataKey: out.CiphertextBlob, Nonce: nonce,
		Ciphertext: aead.Seal(nil, nonce, plaintext, additionalData(bound)),
	}, nil
}

// Open decrypts a sealed value with the encryption context it was sealed with.
func (v KMS) Open(ctx context.Context, s sponsorship.Sealed, bound map[string]string) ([]byte, error) {
	out, err := v.Client.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob: s.DataKey, EncryptionContext: bound, KeyId: aws.String(s.KeyID),
	})
	if err != nil {
		return nil, fmt.Errorf("decrypt data key: %w", err)
	}
	defer clear(out.Plaintext)
	aead, err := gcm(out.Plaintext)
	if err != nil {
		return nil, err
	}
	if len(s.Nonce) != aead.NonceSize() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, s.Nonce, s.Ciphertext, additionalData(bound))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("data key of %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// additionalData is the encryption context as canonical JSON (keys sorted), for GCM.
func additionalData(bound map[string]string) []byte {
	pairs := make([][2]string, 0, len(bound))
	for _, k := range slices.Sorted(maps.Keys(bound)) {
		pairs = append(pairs, [2]string{k, bound[k]})
	}
	b, _ := json.Marshal(pairs)
	return b
}
