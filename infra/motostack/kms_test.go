//go:build integration

package motostack_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"golang.org/x/mod/sumdb/note"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

// ed25519Algorithms are the signing algorithms KMS lists for an ECC_NIST_EDWARDS25519 key.
var ed25519Algorithms = []kmstypes.SigningAlgorithmSpec{kmstypes.SigningAlgorithmSpecEd25519Sha512, kmstypes.SigningAlgorithmSpecEd25519PhSha512}

// checkpointKey returns a KMS client and the template's Ed25519 signing key's id.
func checkpointKey(t *testing.T) (*kms.Client, string) {
	t.Helper()
	id := stack.Physical("CheckpointSigner")
	if id == "" {
		t.Fatal("the template's CheckpointSigner key was not created")
	}
	return kms.NewFromConfig(localaws.Config(stack.Endpoint())), id
}

// ed25519PublicKey reads the key's public key as GetPublicKey gives it: DER
// SubjectPublicKeyInfo.
func ed25519PublicKey(t *testing.T, c *kms.Client, id string) ed25519.PublicKey {
	t.Helper()
	out, err := c.GetPublicKey(context.Background(), &kms.GetPublicKeyInput{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if out.KeySpec != kmstypes.KeySpecEccNistEdwards25519 || out.KeyUsage != kmstypes.KeyUsageTypeSignVerify {
		t.Errorf("GetPublicKey: KeySpec %q, KeyUsage %q", out.KeySpec, out.KeyUsage)
	}
	if !slices.Equal(out.SigningAlgorithms, ed25519Algorithms) {
		t.Errorf("GetPublicKey: SigningAlgorithms %v, want %v", out.SigningAlgorithms, ed25519Algorithms)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := pub.(ed25519.PublicKey)
	if !ok {
		t.Fatalf("public key is a %T, want ed25519.PublicKey", pub)
	}
	return key
}

// sign signs a message through KMS as the product signs a checkpoint: pure Ed25519.
func sign(c *kms.Client, id string, msg []byte) ([]byte, error) {
	out, err := c.Sign(context.Background(), &kms.SignInput{KeyId: &id, Message: msg,
		SigningAlgorithm: kmstypes.SigningAlgorithmSpecEd25519Sha512, MessageType: kmstypes.MessageTypeRaw})
	if err != nil {
		return nil, err
	}
	return out.Signature, nil
}

// errorCode is the AWS error code of err, or "" when it has none.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// TestKMSEd25519KeySigns: the template's ECC_NIST_EDWARDS25519 key signs with pure
// Ed25519 (RFC 8032) as KMS does: Go's crypto/ed25519 verifies its signatures against
// the public key GetPublicKey gives, KMS Verify agrees, and requests KMS refuses for
// this key spec (an Ed25519 key for encryption too) are refused with its errors.
func TestKMSEd25519KeySigns(t *testing.T) {
	ctx := context.Background()
	c, id := checkpointKey(t)
	desc, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if m := desc.KeyMetadata; m.KeySpec != kmstypes.KeySpecEccNistEdwards25519 || m.KeyUsage != kmstypes.KeyUsageTypeSignVerify ||
		!slices.Equal(m.SigningAlgorithms, ed25519Algorithms) {
		t.Errorf("DescribeKey: KeySpec %q, KeyUsage %q, SigningAlgorithms %v", m.KeySpec, m.KeyUsage, m.SigningAlgorithms)
	}
	pub := ed25519PublicKey(t, c, id)
	_, err = c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecEccNistEdwards25519, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if errorCode(err) != "ValidationException" {
		t.Errorf("an Ed25519 key for encryption: %v, want ValidationException", err)
	}

	msg := []byte("example.org/log\n42\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n")
	sig, err := sign(c, id, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, msg, sig) {
		t.Fatalf("a %d-byte signature that crypto/ed25519 does not verify", len(sig))
	}
	tampered := bytes.Replace(msg, []byte("42"), []byte("43"), 1)
	if ed25519.Verify(pub, tampered, sig) {
		t.Error("the signature verifies a tampered message")
	}

	verify := func(m []byte) error {
		_, err := c.Verify(ctx, &kms.VerifyInput{KeyId: &id, Message: m, Signature: sig,
			SigningAlgorithm: kmstypes.SigningAlgorithmSpecEd25519Sha512, MessageType: kmstypes.MessageTypeRaw})
		return err
	}
	if err := verify(msg); err != nil {
		t.Errorf("KMS Verify of the message: %v", err)
	}
	if err := verify(tampered); errorCode(err) != "KMSInvalidSignatureException" {
		t.Errorf("KMS Verify of a tampered message: %v, want KMSInvalidSignatureException", err)
	}

	digest := sha512.Sum512(msg)
	for _, tc := range []struct {
		name     string
		alg      kmstypes.SigningAlgorithmSpec
		typ      kmstypes.MessageType
		msg      []byte
		wantCode string
	}{
		{"an ECDSA algorithm", kmstypes.SigningAlgorithmSpecEcdsaSha256, kmstypes.MessageTypeRaw, msg, "InvalidKeyUsageException"},
		{"pure Ed25519 of a digest", kmstypes.SigningAlgorithmSpecEd25519Sha512, kmstypes.MessageTypeDigest, digest[:], "ValidationException"},
		{"HashEdDSA of a raw message", kmstypes.SigningAlgorithmSpecEd25519PhSha512, kmstypes.MessageTypeRaw, msg, "ValidationException"},
		{"HashEdDSA of a short digest", kmstypes.SigningAlgorithmSpecEd25519PhSha512, kmstypes.MessageTypeDigest, digest[:32], "ValidationException"},
		// KMS signs this; the emulator cannot (no Ed25519ph in Python's cryptography) and says so.
		{"HashEdDSA of a digest", kmstypes.SigningAlgorithmSpecEd25519PhSha512, kmstypes.MessageTypeDigest, digest[:], "UnsupportedOperationException"},
	} {
		_, err := c.Sign(ctx, &kms.SignInput{KeyId: &id, Message: tc.msg, SigningAlgorithm: tc.alg, MessageType: tc.typ})
		if errorCode(err) != tc.wantCode {
			t.Errorf("Sign with %s: %v, want %s", tc.name, err, tc.wantCode)
		}
		_, err = c.Verify(ctx, &kms.VerifyInput{KeyId: &id, Message: tc.msg, Signature: sig, SigningAlgorithm: tc.alg, MessageType: tc.typ})
		if errorCode(err) != tc.wantCode {
			t.Errorf("Verify with %s: %v, want %s", tc.name, err, tc.wantCode)
		}
	}
}

// TestKMSSymmetricKeyStillEncrypts: next to the signing key, the template's symmetric
// key encrypts and decrypts as before, and cannot sign.
func TestKMSSymmetricKeyStillEncrypts(t *testing.T) {
	ctx := context.Background()
	c, id := kms.NewFromConfig(localaws.Config(stack.Endpoint())), stack.Physical("Secrets")
	desc, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	if err != nil || desc.KeyMetadata.KeySpec != kmstypes.KeySpecSymmetricDefault || desc.KeyMetadata.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt {
		t.Fatalf("DescribeKey: %+v, %v", desc, err)
	}
	ec := map[string]string{"payout": "p1"}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("IBAN DE89…"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil || string(dec.Plaintext) != "IBAN DE89…" || aws.ToString(dec.KeyId) != stack.Attribute("Secrets", "Arn") {
		t.Errorf("decrypt: %q from %q, %v", dec.Plaintext, aws.ToString(dec.KeyId), err)
	}
	if _, err := sign(c, id, []byte("x")); err == nil {
		t.Error("a symmetric encryption key signed a message")
	}
}

// kmsNoteSigner is a note.Signer whose private key stays in KMS, as the product's
// checkpoint signer is.
type kmsNoteSigner struct {
	c        *kms.Client
	id, name string
	hash     uint32
}

func (s kmsNoteSigner) Name() string                    { return s.name }
func (s kmsNoteSigner) KeyHash() uint32                 { return s.hash }
func (s kmsNoteSigner) Sign(msg []byte) ([]byte, error) { return sign(s.c, s.id, msg) }

// TestKMSSignsSignedNotes: a C2SP signed note whose signature comes from the KMS key
// opens with golang.org/x/mod/sumdb/note's verifier for the key's public key, and a
// note whose text was changed does not.
func TestKMSSignsSignedNotes(t *testing.T) {
	c, id := checkpointKey(t)
	const name = "log.example.org"
	vkey, err := note.NewEd25519VerifierKey(name, ed25519PublicKey(t, c, id))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: "origin\n1\nhash\n"}, kmsNoteSigner{c: c, id: id, name: name, hash: verifier.KeyHash()})
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		t.Fatalf("open %q: %v", signed, err)
	}
	if n.Text != "origin\n1\nhash\n" || len(n.Sigs) != 1 || n.Sigs[0].Name != name {
		t.Errorf("opened %+v", n)
	}
	forged := bytes.Replace(signed, []byte("\n1\n"), []byte("\n2\n"), 1)
	var verr *note.InvalidSignatureError
	if _, err := note.Open(forged, note.VerifierList(verifier)); !errors.As(err, &verr) {
		t.Errorf("a changed note: %v, want an InvalidSignatureError", err)
	}
}

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
