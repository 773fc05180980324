package managedlogin

import (
	"testing"
	"time"
)

// TestCodesAreRFC6238s: the codes are RFC 6238's SHA-1 test vectors (Appendix B, the
// 8-digit values' last six digits, as a 6-digit authenticator shows them).
func TestCodesAreRFC6238s(t *testing.T) {
	secret := secretEncoding.EncodeToString([]byte("12345678901234567890"))
	for unix, want := range map[int64]string{
		59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924", 2000000000: "279037", 20000000000: "353130",
	} {
		if got := Code(secret, time.Unix(unix, 0)); got != want {
			t.Errorf("T=%d: %s, want %s", unix, got, want)
		}
	}
}

// TestCodeWindowAndReplay: the codes of the step before and after are accepted, those
// further off are not, and a step already used is not accepted again.
func TestCodeWindowAndReplay(t *testing.T) {
	secret := newSecret()
	now := time.Unix(1_800_000_000, 0)
	step := now.Unix() / totpPeriod
	for d, ok := range map[int64]bool{-2: false, -1: true, 0: true, 1: true, 2: false} {
		code := Code(secret, time.Unix((step+d)*totpPeriod, 0))
		if got, accepted := matchStep(secret, code, now, 0); accepted != ok || (ok && got != step+d) {
			t.Errorf("step %+d: accepted %v (step %d)", d, accepted, got)
		}
	}
	if _, ok := matchStep(secret, Code(secret, now), now, step); ok {
		t.Error("a used step was accepted again")
	}
	if _, ok := matchStep(secret, Code(secret, now.Add(totpPeriod*time.Second)), now, step); !ok {
		t.Error("the next step was refused after the current one was used")
	}
}
