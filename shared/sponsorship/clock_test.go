package sponsorship

import (
	"strings"
	"testing"
)

// A service without a clock is a wiring mistake: it is refused when built, by name,
// instead of failing at its first request.
func TestServicesRefuseANilClock(t *testing.T) {
	for name, build := range map[string]func(){
		"NewService":        func() { NewService(nil, Config{}, nil) },
		"NewReviewService":  func() { NewReviewService(nil, nil) },
		"NewAdminService":   func() { NewAdminService(nil, nil) },
		"NewStaffService":   func() { NewStaffService(nil, nil, nil) },
		"NewFinanceService": func() { NewFinanceService(nil, nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), name+" needs a clock") {
					t.Errorf("%s with a nil clock: %v", name, r)
				}
			}()
			build()
		}()
	}
}
