package ledger

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"golang.org/x/mod/sumdb/note"
)

// KMS is the part of the KMS client that signs checkpoints.
type KMS interface {
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, opts ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	Sign(ctx context.Context, in *kms.SignInput, opts ...func(*kms.Options)) (*kms.SignOutput, error)
}

// KMSKey is an Ed25519 key in AWS KMS (key spec ECC_NIST_EDWARDS25519) that signs
// checkpoints as a note signer: the private key never leaves KMS, the function's role
// may only ask KMS to sign, and CloudTrail records every signature.
type KMSKey struct {
	client   KMS
	keyID    string
	name     string
	hash     uint32
	verifier string
}

// NewKMSKey reads the key's public half and derives the note verifier key of name.
func NewKMSKey(ctx context.Context, client KMS, keyID, name string) (*KMSKey, error) {
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("read the log's signing key: %w", err)
	}
	if out.KeySpec != kmstypes.KeySpecEccNistEdwards25519 {
		return nil, fmt.Errorf("the log's signing key is %s, not ECC_NIST_EDWARDS25519", out.KeySpec)
	}
	vkey, err := VerifierKey(name, out.PublicKey)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &KMSKey{client: client, keyID: keyID, name: name, hash: v.KeyHash(), verifier: vkey}, nil
}

// Name is the key's name: the log's origin.
func (k *KMSKey) Name() string { return k.name }

// VerifierKey is the key that checks the signatures, in the note format
// name+hash+base64 that the log publishes.
func (k *KMSKey) VerifierKey() string { return k.verifier }

// Signer is the key as a note signer whose KMS calls run under ctx.
func (k *KMSKey) Signer(ctx context.Context) note.Signer { return kmsSigner{k, ctx} }

type kmsSigner struct {
	*KMSKey
	ctx context.Context
}

func (s kmsSigner) Name() string    { return s.name }
func (s kmsSigner) KeyHash() uint32 { return s.hash }

// Sign asks KMS for a pure Ed25519 signature (RFC 8032) of the note's text.
func (s kmsSigner) Sign(msg []byte) ([]byte, error) {
	out, err := s.client.Sign(s.ctx, &kms.SignInput{
		KeyId: aws.String(s.keyID), Message: msg,
		MessageType: kmstypes.MessageTypeRaw, SigningAlgorithm: kmstypes.SigningAlgorithmSpecEd25519Sha512,
	})
	if err != nil {
		return nil, fmt.Errorf("sign with KMS: %w", err)
	}
	return out.Signature, nil
}

// VerifierKey is the note verifier key of name for an Ed25519 public key in DER
// (SubjectPublicKeyInfo), as KMS's GetPublicKey returns it.
func VerifierKey(name string, der []byte) (string, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return "", fmt.Errorf("the log's signing key: %w", err)
	}
	ed, ok := pub.(ed25519.PublicKey)
	if !ok {
		return "", fmt.Errorf("the log's signing key is a %T, not Ed25519", pub)
	}
	return note.NewEd25519VerifierKey(name, ed)
}
