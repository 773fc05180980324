package managedlogin

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP as Cognito's software token MFA and authenticator apps use it (RFC 6238): HMAC-SHA1,
// 30-second steps, 6 digits; a code of the step before or after the current one is
// accepted too, for clocks that drift; a step whose code was accepted once is never
// accepted again (RFC 6238 5.2), so a code seen over someone's shoulder is useless.
const totpPeriod = 30

var codeOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// secretEncoding is how authenticator apps take secrets: base32 without padding.
var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// totpUser is a user's authenticator.
type totpUser struct {
	secret   string
	lastStep int64 // the last step whose code was accepted
}

// newSecret makes a 160-bit secret, the size RFC 4226 recommends.
func newSecret() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return secretEncoding.EncodeToString(b)
}

// codeAt is the code of a secret for the step that holds t.
func codeAt(secret string, t time.Time) string {
	code, err := totp.GenerateCodeCustom(secret, t, codeOpts)
	if err != nil {
		return ""
	}
	return code
}

// matchStep finds the step (the current one, or one either side) whose code is code,
// taking only steps after last.
func matchStep(secret, code string, now time.Time, last int64) (int64, bool) {
	current := now.Unix() / totpPeriod
	for _, d := range []int64{0, -1, 1} {
		step := current + d
		want := codeAt(secret, time.Unix(step*totpPeriod, 0))
		if step > last && want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// enrol keeps a new authenticator's secret if code is one of its codes.
func (s *Server) enrol(sub, secret, code string) bool {
	step, ok := matchStep(secret, code, s.cfg.Now(), 0)
	if !ok {
		return false
	}
	s.mu.Lock()
	s.totp[sub] = &totpUser{secret: secret, lastStep: step}
	s.mu.Unlock()
	return true
}

// verify checks a code of the user's authenticator and uses up its step.
func (s *Server) verify(sub, code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.totp[sub]
	if u == nil {
		return false
	}
	step, ok := matchStep(u.secret, code, s.cfg.Now(), u.lastStep)
	if ok {
		u.lastStep = step
	}
	return ok
}

// subOf finds a user's subject by e-mail address (or username).
func (s *Server) subOf(ctx context.Context, username string) (string, error) {
	out, err := s.cfg.Cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &s.cfg.PoolID, Username: &username})
	var missing *ciptypes.UserNotFoundException
	if errors.As(err, &missing) {
		return "", fmt.Errorf("no user %s in the user pool", username)
	}
	if err != nil {
		return "", fmt.Errorf("find user %s: %w", username, err)
	}
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value), nil
		}
	}
	return aws.ToString(out.Username), nil
}

// SetTOTPSecret gives a user (by e-mail address or username) an authenticator with a
// known secret, as if they had set it up at a sign-in: the local stack's demo staff get
// one a developer can add to an authenticator app.
func (s *Server) SetTOTPSecret(ctx context.Context, username, secret string) error {
	secret = strings.ToUpper(strings.TrimRight(secret, "="))
	if b, err := secretEncoding.DecodeString(secret); err != nil || len(b) < 10 {
		return fmt.Errorf("TOTP secret for %s: not base32 of at least 80 bits", username)
	}
	sub, err := s.subOf(ctx, username)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.totp[sub] = &totpUser{secret: secret}
	s.mu.Unlock()
	return nil
}

// TOTPSecret returns the secret of a user's authenticator; an error when they have none
// yet (they set one up at their first sign-in).
func (s *Server) TOTPSecret(ctx context.Context, username string) (string, error) {
	sub, err := s.subOf(ctx, username)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.totp[sub]
	if u == nil {
		return "", fmt.Errorf("%s has not set up an authenticator yet: it is set up at the first sign-in", username)
	}
	return u.secret, nil
}

// TOTPCode returns a code of a user's authenticator that a sign-in accepts now: the
// current step's, or, when that one was used already, the next step's (which the
// emulation accepts too, as the app would show it a moment later). When both were used
// (a third sign-in within 30 seconds) it waits for the next step, as a person would.
// Tests and `local totp` use it in place of an authenticator app.
func (s *Server) TOTPCode(ctx context.Context, username string) (string, error) {
	sub, err := s.subOf(ctx, username)
	if err != nil {
		return "", err
	}
	for {
		s.mu.Lock()
		u := s.totp[sub]
		if u == nil {
			s.mu.Unlock()
			return "", fmt.Errorf("%s has not set up an authenticator yet: it is set up at the first sign-in", username)
		}
		now := s.cfg.Now()
		current := now.Unix() / totpPeriod
		for _, step := range []int64{current, current + 1} {
			if step > u.lastStep {
				s.mu.Unlock()
				return codeAt(u.secret, time.Unix(step*totpPeriod, 0)), nil
			}
		}
		s.mu.Unlock()
		next := time.Unix((current+1)*totpPeriod, 0).Sub(now)
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("a TOTP code of %s: %w", username, ctx.Err())
		case <-time.After(next):
		}
	}
}

// Code returns the TOTP code of a secret at a time: what an authenticator app shows.
func Code(secret string, at time.Time) string { return codeAt(secret, at) }

// authenticatorKey is what the set-up page shows for a secret: the otpauth URI that
// authenticator apps read (from a link or a QR code), and the QR code as a PNG data URI.
func (s *Server) authenticatorKey(email, secret string) (uri, qr string) {
	raw, err := secretEncoding.DecodeString(secret)
	if err != nil {
		return "", ""
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.Label, AccountName: email, Secret: raw,
		Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", ""
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return key.URL(), ""
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return key.URL(), ""
	}
	return key.URL(), "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}
