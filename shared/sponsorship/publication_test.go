package sponsorship

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decidedTravel is an approved travel request of Ada Lovelace of Analytical Engines,
// with the given publication choice.
func decidedTravel(p Publication, status Status) *Request {
	approved := eur(120000)
	return &Request{
		ID: "01KC0000000000000000000009", Reference: "ST-00000-00009", Status: status, FiscalYear: 2027,
		Publication: p, Approved: &approved, DecidedAt: time.Date(2027, 3, 4, 23, 30, 0, 0, time.UTC),
		Content: Content{Kind: KindTravel, Title: "Travel to FOSDEM", Summary: "Lodging near the venue in Brussels.",
			Applicant: Applicant{Name: "Ada Lovelace", Email: "ada@engines.example", Organization: "Analytical Engines"},
			Amount:    eur(150000), Travel: &Travel{Traveller: "Ada Lovelace", EventName: "FOSDEM 2027"}},
	}
}

// publicInput is decidedTravel's decision: Acme approved, Beta rejected, a lone
// member abstained; Gamma's reviewer matched the applicant, Delta's stood aside; two
// payments of which one was reversed.
func publicInput(p Publication, status Status, fields ...Field) PublicInput {
	dir := Directory{
		Companies: []Company{{ID: "acme", Name: "Acme Inc."}, {ID: "beta", Name: "Beta GmbH"}, {ID: "gamma", Name: "Gamma Ltd"}, {ID: "delta", Name: "Delta AG"}},
		Reviewers: []Reviewer{{ID: "a", CompanyID: "acme"}, {ID: "b", CompanyID: "beta"}, {ID: "c", CompanyID: "gamma"}, {ID: "d", CompanyID: "delta"}, {ID: "lone"}},
	}
	in := PublicInput{
		Request: decidedTravel(p, status),
		Tally: Tally{
			Seats: []Seat{{Company: "Acme Inc.", Vote: ChoiceApprove}, {Company: "Beta GmbH", Vote: ChoiceReject},
				{Key: "reviewer:lone", Vote: ChoiceAbstain}},
			Recused: []Recusal{{ReviewerID: "d", Reason: "I reviewed the talk."}, {ReviewerID: "c", Automatic: true, Reason: "conflict of interest: same company"}},
		},
		Directory: dir,
		Payments: []Payment{
			{ID: "p1", Amount: eur(60000)}, {ID: "p2", Amount: eur(10000)}, {ID: "p3", Amount: eur(-10000), Reverses: "p2"},
		},
		Fields: DefaultPublicFields,
	}
	if fields != nil {
		in.Fields = PublicFields{Fields: fields}
	}
	return in
}

func TestPublicRecordOf(t *testing.T) {
	approved := eur(120000)
	requested := eur(150000)
	seats := []PublicSeat{{Seat: "Acme Inc.", Vote: ChoiceApprove}, {Seat: "Beta GmbH", Vote: ChoiceReject}, {Seat: UnaffiliatedSeat, Vote: ChoiceAbstain}}
	recusals := []PublicRecusal{{Seat: "Delta AG", Category: RecusalDeclared}, {Seat: "Gamma Ltd", Category: RecusalCompanyMatch}}
	paid := &PublicPayments{Count: 1, Total: eur(60000)}
	base := PublicRecord{ID: "01KC0000000000000000000009", Reference: "ST-00000-00009", FiscalYear: 2027}
	with := func(status Status, p Publication, edit func(*PublicRecord)) PublicRecord {
		r := base
		r.Status, r.Publication = status, p
		edit(&r)
		return r
	}
	defaults := func(name, org string, fields ...Field) func(*PublicRecord) {
		return func(r *PublicRecord) {
			r.Fields = fields
			r.Kind, r.Title, r.Applicant, r.Organization = KindTravel, "Travel to FOSDEM", name, org
			r.ApprovedAmount, r.DecidedOn, r.Seats, r.Recusals, r.Payments = &approved, "2027-03-04", seats, recusals, paid
		}
	}
	all := []Field{FieldKind, FieldTitle, FieldApplicantName, FieldOrganization, FieldApprovedAmount, FieldDecisionDate, FieldTally, FieldRecusals, FieldPayments}
	noOrg := slices.DeleteFunc(slices.Clone(all), func(f Field) bool { return f == FieldOrganization })
	tests := []struct {
		name   string
		in     PublicInput
		want   PublicRecord
		wantOK bool
	}{
		{"named, defaults: name and organization", publicInput(PublishNamed, StatusApproved),
			with(StatusApproved, PublishNamed, defaults("Ada Lovelace", "Analytical Engines", all...)), true},
		{"anonymous, defaults: an individual speaker, no organization", publicInput(PublishAnonymous, StatusPaid),
			with(StatusPaid, PublishAnonymous, defaults("an individual speaker", "", noOrg...)), true},
		{"none: nothing", publicInput(PublishNone, StatusApproved), PublicRecord{}, false},
		{"no choice stored: nothing", publicInput("", StatusApproved), PublicRecord{}, false},
		{"an unknown choice: nothing", publicInput("everything", StatusApproved), PublicRecord{}, false},
		{"named but still in review: nothing", publicInput(PublishNamed, StatusSubmitted), PublicRecord{}, false},
		{"named but withdrawn: nothing", publicInput(PublishNamed, StatusWithdrawn), PublicRecord{}, false},
		{"rejected, named: listed, without an approved amount", func() PublicInput {
			in := publicInput(PublishNamed, StatusRejected)
			in.Request.Approved, in.Payments = nil, nil
			return in
		}(), with(StatusRejected, PublishNamed, func(r *PublicRecord) {
			defaults("Ada Lovelace", "Analytical Engines")(r)
			r.Fields = slices.DeleteFunc(slices.Clone(all), func(f Field) bool { return f == FieldApprovedAmount })
			r.ApprovedAmount, r.Payments = nil, &PublicPayments{Total: eur(0)}
		}), true},
		{"admins publish nothing but the totals", publicInput(PublishNamed, StatusApproved, []Field{}...),
			with(StatusApproved, PublishNamed, func(*PublicRecord) {}), true},
		{"admins add the event and the requested amount", publicInput(PublishNamed, StatusApproved, FieldKind, FieldEvent, FieldRequestedAmount),
			with(StatusApproved, PublishNamed, func(r *PublicRecord) {
				r.Fields = []Field{FieldKind, FieldEvent, FieldRequestedAmount}
				r.Kind, r.Event, r.RequestedAmount = KindTravel, "FOSDEM 2027", &requested
			}), true},
		{"settings that name a never-public field publish it not", publicInput(PublishNamed, StatusApproved, FieldEmail, FieldSummary, FieldPayoutDetails, FieldTitle),
			with(StatusApproved, PublishNamed, func(r *PublicRecord) { r.Fields, r.Title = []Field{FieldTitle}, "Travel to FOSDEM" }), true},
		{"anonymous project: an individual", func() PublicInput {
			in := publicInput(PublishAnonymous, StatusApproved, FieldApplicantName)
			in.Request.Kind = KindProject
			return in
		}(), with(StatusApproved, PublishAnonymous, func(r *PublicRecord) { r.Fields, r.Applicant = []Field{FieldApplicantName}, "an individual" }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := PublicRecordOf(tt.in)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := PublicRecordOf(PublicInput{}); ok {
		t.Error("no request: want nothing")
	}
}

// TestNarrowingNeverWidens checks, for every pair of choices and every field of the
// catalogue made public, that a record made under a narrower choice holds nothing the
// wider one does not, and that personal details appear under named alone.
func TestNarrowingNeverWidens(t *testing.T) {
	var every []Field
	for _, s := range FieldCatalogue {
		every = append(every, s.Field)
	}
	for _, from := range Publications {
		for _, to := range Publications {
			wide, wideOK := PublicRecordOf(publicInput(from, StatusApproved, every...))
			narrow, narrowOK := PublicRecordOf(publicInput(to, StatusApproved, every...))
			if !from.Narrows(to) {
				continue
			}
			if narrowOK && !wideOK {
				t.Errorf("%s → %s: the narrower choice publishes, the wider does not", from, to)
			}
			for _, f := range narrow.Fields {
				if !slices.Contains(wide.Fields, f) {
					t.Errorf("%s → %s: %s appears only under the narrower choice", from, to, f)
				}
			}
			if to != PublishNamed && (narrow.Organization != "" || narrow.Applicant == "Ada Lovelace") {
				t.Errorf("%s: the name or organization is published: %+v", to, narrow)
			}
		}
	}
}

func TestNarrows(t *testing.T) {
	want := map[[2]Publication]bool{
		{PublishNamed, PublishNamed}: true, {PublishNamed, PublishAnonymous}: true, {PublishNamed, PublishNone}: true,
		{PublishAnonymous, PublishAnonymous}: true, {PublishAnonymous, PublishNone}: true, {PublishNone, PublishNone}: true,
		{"", PublishNone}: true,
	}
	for _, from := range append(Publications, "", "all") {
		for _, to := range append(Publications, "", "all") {
			if got := from.Narrows(to); got != want[[2]Publication{from, to}] {
				t.Errorf("%q narrows to %q = %v", from, to, got)
			}
		}
	}
}

func TestValidPublicFields(t *testing.T) {
	got, err := validPublicFields(PublicFieldsInput{Fields: []Field{FieldPayments, FieldKind, FieldKind}})
	if err != nil || !slices.Equal(got, []Field{FieldKind, FieldPayments}) {
		t.Errorf("valid fields: got %v, %v; want them in catalogue order, once", got, err)
	}
	_, err = validPublicFields(PublicFieldsInput{Fields: []Field{FieldEmail, "shoeSize", FieldTitle, FieldPayoutDetails, FieldComments, FieldSummary}})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("never-public fields: got %v", err)
	}
	var codes []string
	for _, fe := range ve.Errors {
		codes = append(codes, fe.Field+" "+fe.Code)
	}
	if diff := cmp.Diff([]string{"fields[0] not_allowed", "fields[1] unknown_value", "fields[3] not_allowed", "fields[4] not_allowed", "fields[5] not_allowed"}, codes); diff != "" {
		t.Errorf("every refused field at once (-want +got):\n%s", diff)
	}
	if _, err := validPublicFields(PublicFieldsInput{}); err == nil {
		t.Error("no list: want an error")
	}
	if _, err := validPublicFields(PublicFieldsInput{Fields: slices.Repeat([]Field{FieldKind}, 51)}); err == nil {
		t.Error("51 fields: want an error")
	}
	for _, s := range FieldCatalogue {
		if s.Default && !s.Publishable || !s.Publishable && s.Why == "" || s.Audience == VisibilityPublic {
			t.Errorf("catalogue entry %s is inconsistent", s.Field)
		}
	}
	if DefaultPublicFields.VisibilityOf(FieldTitle) != VisibilityPublic || DefaultPublicFields.VisibilityOf(FieldPayoutDetails) != VisibilityFinance ||
		DefaultPublicFields.VisibilityOf(FieldComments) != VisibilityCommittee {
		t.Error("VisibilityOf disagrees with the catalogue")
	}
}

func TestTheRegisterKeepsOnlyWhatMayBePublic(t *testing.T) {
	named, ok := RegisterEntryOf(publicInput(PublishNamed, StatusApproved))
	if !ok || named.ApplicantName != "Ada Lovelace" || named.Organization != "Analytical Engines" {
		t.Fatalf("named: %+v, %v", named, ok)
	}
	anonymous, ok := RegisterEntryOf(publicInput(PublishAnonymous, StatusRejected))
	if !ok || anonymous.ApplicantName != "" || anonymous.Organization != "" {
		t.Errorf("anonymous: the entry keeps %q of %q, want neither", anonymous.ApplicantName, anonymous.Organization)
	}
	if _, ok := RegisterEntryOf(publicInput(PublishNone, StatusApproved)); ok {
		t.Error("none: an entry, want none")
	}
	if got, ok := named.Narrowed(PublishAnonymous); !ok || got.ApplicantName != "" || got.Organization != "" || got.Publication != PublishAnonymous {
		t.Errorf("narrowed to anonymous: %+v, %v", got, ok)
	}
	if _, ok := named.Narrowed(PublishNone); ok {
		t.Error("narrowed to none: still an entry")
	}
	if _, ok := anonymous.Narrowed(PublishNamed); ok {
		t.Error("anonymous widened to named: an entry, want none")
	}
	// The record made from the stored entry is the one made from the request.
	in := publicInput(PublishNamed, StatusPaid)
	want, _ := PublicRecordOf(in)
	e, _ := RegisterEntryOf(in)
	if diff := cmp.Diff(want, e.Record(in.Fields)); diff != "" {
		t.Errorf("record from the entry (-from the request +from the entry):\n%s", diff)
	}
}
