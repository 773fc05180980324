package sponsorship

import (
	"errors"
	"testing"
	"time"
)

// TestLifecycleAllowsExactlyTheDesignedMoves walks every (from, to, role) triple and
// checks it against the moves the design draws; everything else must be refused with a
// TransitionError naming the current status.
func TestLifecycleAllowsExactlyTheDesignedMoves(t *testing.T) {
	allowed := map[[3]string]bool{
		{"", "unconfirmed", "applicant"}:                true,
		{"unconfirmed", "submitted", "applicant"}:       true,
		{"unconfirmed", "withdrawn", "applicant"}:       true,
		{"submitted", "changes_requested", "reviewer"}:  true,
		{"changes_requested", "submitted", "applicant"}: true,
		{"submitted", "approved", "reviewer"}:           true,
		{"submitted", "rejected", "reviewer"}:           true,
		{"submitted", "withdrawn", "applicant"}:         true,
		{"changes_requested", "withdrawn", "applicant"}: true,
		{"approved", "partially_paid", "finance"}:       true,
		{"approved", "paid", "finance"}:                 true,
		{"partially_paid", "partially_paid", "finance"}: true,
		{"partially_paid", "paid", "finance"}:           true,
		{"paid", "partially_paid", "finance"}:           true,
		{"paid", "approved", "finance"}:                 true,
		{"partially_paid", "approved", "finance"}:       true,
		// Closed: paid in full with every report accepted, by the payment or the report
		// that came last; a reversal reopens it.
		{"approved", "closed", "finance"}:       true,
		{"partially_paid", "closed", "finance"}: true,
		{"paid", "closed", "reviewer"}:          true,
		{"paid", "closed", "finance"}:           true,
		{"closed", "partially_paid", "finance"}: true,
		{"closed", "approved", "finance"}:       true,
	}
	froms := append([]Status{""}, Statuses...)
	roles := []Role{RoleApplicant, RoleReviewer, RoleFinance, RoleAdmin}
	for _, from := range froms {
		for _, to := range Statuses {
			for _, by := range roles {
				_, err := CheckTransition(from, to, by)
				want := allowed[[3]string{string(from), string(to), string(by)}]
				if want && err != nil {
					t.Errorf("%s -> %s by %s refused: %v", from, to, by, err)
				}
				var te *TransitionError
				if !want && (!errors.As(err, &te) || te.From != from) {
					t.Errorf("%s -> %s by %s: error = %v, want TransitionError from %q", from, to, by, err, from)
				}
			}
		}
	}
}

// TestReportsMoveAsDesigned walks every (from, to, role) triple of a report's states:
// the applicant submits (again, after changes were asked), reviewers and finance judge,
// nobody else moves a report, and an accepted report is final.
func TestReportsMoveAsDesigned(t *testing.T) {
	allowed := map[[3]string]bool{
		{"due", "submitted", "applicant"}:               true,
		{"changes_requested", "submitted", "applicant"}: true,
		{"submitted", "changes_requested", "reviewer"}:  true,
		{"submitted", "changes_requested", "finance"}:   true,
		{"submitted", "accepted", "reviewer"}:           true,
		{"submitted", "accepted", "finance"}:            true,
	}
	for _, from := range ReportStates {
		for _, to := range ReportStates {
			for _, by := range []Role{RoleApplicant, RoleReviewer, RoleFinance, RoleAdmin} {
				_, err := CheckReportTransition(from, to, by)
				want := allowed[[3]string{string(from), string(to), string(by)}]
				var se *ReportStateError
				switch {
				case want && err != nil:
					t.Errorf("report %s -> %s by %s refused: %v", from, to, by, err)
				case !want && (!errors.As(err, &se) || se.State != from):
					t.Errorf("report %s -> %s by %s: error = %v, want a ReportStateError from %s", from, to, by, err, from)
				}
			}
		}
	}
}

func TestDecided(t *testing.T) {
	for _, s := range Statuses {
		want := s != StatusSubmitted && s != StatusChangesRequested && s != StatusUnconfirmed
		if s.Decided() != want {
			t.Errorf("%s.Decided() = %v", s, !want)
		}
	}
}

func TestFiscalYear(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(dateLayout, s); return d }
	tests := []struct {
		start time.Month
		date  string
		want  int
	}{
		{time.January, "2027-01-01", 2027},
		{time.January, "2027-12-31", 2027},
		{time.July, "2027-06-30", 2027},
		{time.July, "2027-07-01", 2028},
		{time.October, "2026-09-30", 2026},
		{time.October, "2026-10-01", 2027},
	}
	for _, tt := range tests {
		if got := (FiscalCalendar{StartMonth: tt.start}).Year(day(tt.date)); got != tt.want {
			t.Errorf("start %s, %s: FY%d, want FY%d", tt.start, tt.date, got, tt.want)
		}
	}
	cal := FiscalCalendar{StartMonth: time.July}
	conf, _ := Validate(conferenceInput(), DefaultRules, today) // event starts 2027-09-01
	if got := cal.YearOf(conf, day("2026-11-25")); got != 2028 {
		t.Errorf("conference fiscal year = %d, want 2028 (its event's)", got)
	}
	proj, _ := Validate(projectInput(), DefaultRules, today)
	if got := cal.YearOf(proj, day("2026-11-25")); got != 2027 {
		t.Errorf("project fiscal year = %d, want 2027 (its submission's)", got)
	}
}

func TestReferenceAndID(t *testing.T) {
	id := NewID(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if !ValidID(id) {
		t.Fatalf("NewID gave %q, which ValidID refuses", id)
	}
	ref := ReferenceFor(id)
	if len(ref) != len("ST-XXXXX-XXXXX") || ref[:3] != "ST-" || ref[3:8] != id[16:21] || ref[9:] != id[21:] {
		t.Errorf("ReferenceFor(%s) = %s", id, ref)
	}
	for _, bad := range []string{"", "x", "../../etc/passwd", id + "0", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
