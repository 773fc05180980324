package sponsorship

import (
	"errors"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
)

const today = "2026-11-25"

func conferenceInput() RequestInput {
	return RequestInput{
		Kind:      KindConference,
		Title:     "Sponsor the compiler track at Linux Plumbers",
		Summary:   "A silver sponsorship for the toolchains microconference.",
		Applicant: Applicant{Name: "Ada Lovelace", Email: "ada@example.org", Organization: "Plumbers Conference e.V."},
		Amount:    money.Amount{Currency: "EUR", Value: "5000.00"},
		Conference: &Conference{
			EventName: "Linux Plumbers Conference 2027", EventURL: "https://lpc.events/",
			StartDate: "2027-09-01", EndDate: "2027-09-03", Location: "Prague, CZ", Tier: "silver",
		},
	}
}

func travelInput() RequestInput {
	return RequestInput{
		Kind:      KindTravel,
		Title:     "Travel to present GCC's new register allocator",
		Summary:   "Airfare and three nights of lodging for an accepted talk.",
		Applicant: Applicant{Name: "Grace Hopper", Email: "grace@example.com", Organization: "Independent"},
		Amount:    money.Amount{Currency: "USD", Value: "1850.50"},
		BudgetItems: []BudgetItemInput{
			{Description: "Airfare", Amount: money.Amount{Currency: "USD", Value: "1200.50"}},
			{Description: "Lodging", Amount: money.Amount{Currency: "USD", Value: "650"}},
		},
		Travel: &Travel{
			Traveller: "Grace Hopper", EventName: "FOSDEM 2027", EventURL: "https://fosdem.org/2027/",
			StartDate: "2027-02-06", EndDate: "2027-02-07", TalkTitle: "Allocating registers in linear time",
			Origin: "Boston, US", DepartureDate: "2027-02-05", ReturnDate: "2027-02-08",
		},
	}
}

func projectInput() RequestInput {
	return RequestInput{
		Kind:      KindProject,
		Title:     "A RISC-V vector backend for the Cranelift code generator",
		Summary:   "Three milestones of work on vector instruction selection.",
		Applicant: Applicant{Name: "Linus Example", Email: "linus@example.net", Organization: "Example Labs GmbH"},
		Amount:    money.Amount{Currency: "EUR", Value: "30000"},
		Project: &ProjectInput{
			Name: "Cranelift RVV", RepositoryURL: "https://github.com/example/cranelift-rvv", Licence: "Apache-2.0 WITH LLVM-exception",
			Milestones: []MilestoneInput{
				{Title: "Design", DueDate: "2027-01-31", Amount: money.Amount{Currency: "EUR", Value: "10000"}},
				{Title: "Integer vectors", DueDate: "2027-04-30", Amount: money.Amount{Currency: "EUR", Value: "10000.00"}},
				{Title: "Floating point", DueDate: "2027-06-30", Amount: money.Amount{Currency: "EUR", Value: "10000"}},
			},
		},
	}
}

func TestValidateAcceptsEachKind(t *testing.T) {
	for _, in := range []RequestInput{conferenceInput(), travelInput(), projectInput()} {
		c, err := Validate(in, DefaultRules, today)
		if err != nil {
			t.Fatalf("%s: unexpected error %v", in.Kind, err)
		}
		if c.Kind != in.Kind {
			t.Errorf("kind = %s, want %s", c.Kind, in.Kind)
		}
	}
	c, _ := Validate(projectInput(), DefaultRules, today)
	if c.Amount != (money.Money{Currency: "EUR", Minor: 3_000_000}) || c.Project.Milestones[1].Amount.Minor != 1_000_000 {
		t.Errorf("amounts not held in minor units: %+v", c.Amount)
	}
	if got := c.Input().Amount.Value; got != "30000.00" {
		t.Errorf("canonical amount = %q, want 30000.00", got)
	}
}

// codes returns "field=code" for every field error, sorted, so tests compare the whole set.
func codes(t *testing.T, err error) []string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want *ValidationError", err)
	}
	var out []string
	for _, fe := range ve.Errors {
		if fe.Message == "" {
			t.Errorf("field %s has no message", fe.Field)
		}
		out = append(out, fe.Field+"="+fe.Code)
	}
	sort.Strings(out)
	return out
}

func TestValidateReportsEveryFieldError(t *testing.T) {
	tests := []struct {
		name string
		in   func() RequestInput
		want []string
	}{
		{"empty input", func() RequestInput { return RequestInput{} }, []string{
			"amount.currency=required", "amount.value=required", "applicant.email=required", "applicant.name=required",
			"applicant.organization=required", "kind=required", "summary=required", "title=required"}},
		{"unknown kind and stray details", func() RequestInput {
			in := conferenceInput()
			in.Kind = "party"
			return in
		}, []string{"conference=not_allowed", "kind=unknown_value"}},
		{"details missing for kind", func() RequestInput {
			in := conferenceInput()
			in.Conference = nil
			return in
		}, []string{"conference=required"}},
		{"details of another kind", func() RequestInput {
			in := conferenceInput()
			in.Travel = travelInput().Travel
			return in
		}, []string{"travel=not_allowed"}},
		{"bad conference fields at once", func() RequestInput {
			in := conferenceInput()
			in.Applicant.Email = "ada at example"
			in.Title = "Hi"
			in.Conference.EventURL = "javascript:alert(1)"
			in.Conference.StartDate = "2027-09-05"
			in.Conference.EndDate = "2027-09-03"
			in.Conference.Tier = strings.Repeat("x", 51)
			return in
		}, []string{"applicant.email=invalid_email", "conference.endDate=date_order", "conference.eventUrl=invalid_url",
			"conference.tier=too_long", "title=too_short"}},
		{"past event and bad date", func() RequestInput {
			in := conferenceInput()
			in.Conference.StartDate = "2026-01-01"
			in.Conference.EndDate = "2026-01-02"
			in.Conference.Location = "  "
			return in
		}, []string{"conference.endDate=in_past", "conference.location=required"}},
		{"an event that started over a year ago and one a decade and more away", func() RequestInput {
			in := conferenceInput()
			in.Conference.StartDate = "1900-01-01"
			return in
		}, []string{"conference.startDate=out_of_range"}},
		{"a travel grant for an event over ten years away", func() RequestInput {
			in := travelInput()
			in.Travel.StartDate, in.Travel.EndDate = "2040-02-01", "2040-02-02"
			in.Travel.DepartureDate, in.Travel.ReturnDate = "", ""
			return in
		}, []string{"travel.startDate=out_of_range"}},
		{"unparseable date", func() RequestInput {
			in := conferenceInput()
			in.Conference.StartDate = "2027-02-30"
			return in
		}, []string{"conference.startDate=invalid_date"}},
		{"url with credentials and ftp", func() RequestInput {
			in := travelInput()
			in.Travel.EventURL = "https://user:pw@fosdem.org/"
			in.Travel.TalkURL = "ftp://fosdem.org/talk"
			return in
		}, []string{"travel.eventUrl=invalid_url", "travel.talkUrl=invalid_url"}},
		{"email with display name", func() RequestInput {
			in := travelInput()
			in.Applicant.Email = "Grace <grace@example.com>"
			return in
		}, []string{"applicant.email=invalid_email"}},
		{"travel dates out of order", func() RequestInput {
			in := travelInput()
			in.Travel.DepartureDate = "2027-02-09"
			in.Travel.ReturnDate = "2027-02-04"
			return in
		}, []string{"travel.departureDate=date_order", "travel.returnDate=date_order"}},
		{"unknown currency and bad value", func() RequestInput {
			in := conferenceInput()
			in.Amount = money.Amount{Currency: "EURO", Value: "1,000"}
			return in
		}, []string{"amount.currency=unknown_currency", "amount.value=invalid_amount"}},
		{"too many decimals", func() RequestInput {
			in := conferenceInput()
			in.Amount = money.Amount{Currency: "JPY", Value: "1000.50"}
			return in
		}, []string{"amount.value=invalid_amount"}},
		{"zero amount", func() RequestInput {
			in := conferenceInput()
			in.Amount.Value = "0.00"
			return in
		}, []string{"amount.value=not_positive"}},
		{"negative amount", func() RequestInput {
			in := conferenceInput()
			in.Amount.Value = "-5"
			return in
		}, []string{"amount.value=not_positive"}},
		{"above ceiling", func() RequestInput {
			in := conferenceInput()
			in.Amount.Value = "250000.01"
			return in
		}, []string{"amount.value=above_ceiling"}},
		{"budget items do not add up", func() RequestInput {
			in := travelInput()
			in.BudgetItems[1].Amount.Value = "600"
			return in
		}, []string{"budgetItems=sum_mismatch"}},
		{"budget item in another currency", func() RequestInput {
			in := travelInput()
			in.BudgetItems[0].Amount.Currency = "EUR"
			in.BudgetItems[1].Description = ""
			return in
		}, []string{"budgetItems[0].amount.currency=currency_mismatch", "budgetItems[1].description=required"}},
		{"milestones do not add up and are out of order", func() RequestInput {
			in := projectInput()
			in.Project.Milestones[2].Amount.Value = "9999.99"
			in.Project.Milestones[1].DueDate = "2027-07-01"
			in.Project.Licence = "Proprietary"
			return in
		}, []string{"project.licence=unknown_value", "project.milestones=sum_mismatch", "project.milestones[2].dueDate=date_order"}},
		{"no milestones", func() RequestInput {
			in := projectInput()
			in.Project.Milestones = nil
			in.Project.RepositoryURL = ""
			return in
		}, []string{"project.milestones=required", "project.repositoryUrl=required"}},
		{"control characters", func() RequestInput {
			in := projectInput()
			in.Title = "Backend\x00 work for Cranelift"
			in.Summary = "Line one\nline two\tand a tab, which is fine."
			return in
		}, []string{"title=invalid_format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Validate(tt.in(), DefaultRules, today)
			if diff := cmp.Diff(tt.want, codes(t, err)); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHiddenCharactersAreRefused: text that displays in another order than it is
// stored (bidi overrides and isolates) is refused in every field, and invisible
// characters, which can make one name look like another, in names, organizations and
// e-mail addresses; ordinary text in any script passes.
func TestHiddenCharactersAreRefused(t *testing.T) {
	tests := []struct {
		name string
		edit func(*RequestInput)
		want []string
	}{
		{"right-to-left override in a title", func(in *RequestInput) { in.Title = "Sponsor \u202Ecod.exe\u202C the track" },
			[]string{"title=bidi_control"}},
		{"isolates in a multi-line summary", func(in *RequestInput) { in.Summary = "Line one\nline \u2066two\u2069 of twenty chars" },
			[]string{"summary=bidi_control"}},
		{"every override and isolate control", func(in *RequestInput) {
			in.Conference.Location = "\u202A\u202B\u202C\u202D Prague"
			in.Conference.Tier = "\u2067gold"
			in.Conference.EventName = "\u2068LPC"
		}, []string{"conference.eventName=bidi_control", "conference.location=bidi_control", "conference.tier=bidi_control"}},
		{"zero-width space inside an organization", func(in *RequestInput) { in.Applicant.Organization = "Acme Wid\u200Bgets" },
			[]string{"applicant.organization=invisible_character"}},
		{"soft hyphen, joiner and word joiner in names", func(in *RequestInput) {
			in.Applicant.Name = "Ada Love\u00ADlace"
			in.Applicant.Organization = "Ac\u200Dme\u2060"
		}, []string{"applicant.name=invisible_character", "applicant.organization=invisible_character"}},
		{"variation selector in an organization", func(in *RequestInput) { in.Applicant.Organization = "Acme\uFE0F" },
			[]string{"applicant.organization=invisible_character"}},
		{"invisible character in an e-mail address", func(in *RequestInput) { in.Applicant.Email = "ada\u200B@example.org" },
			[]string{"applicant.email=invisible_character"}},
		{"a joiner in a title is an emoji's business", func(in *RequestInput) { in.Title = "Sponsor the 👩\u200D💻 track" }, nil},
		{"other scripts and marks are text", func(in *RequestInput) {
			in.Applicant.Name = "Zoë Ωmega-Ünal 李娜"
			in.Applicant.Organization = "Общество «Пример»"
			in.Title = "مؤتمر البرمجيات الحرة 2027"
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := conferenceInput()
			tt.edit(&in)
			_, err := Validate(in, DefaultRules, today)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, codes(t, err)); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCeilingIsConfigurablePerCurrency(t *testing.T) {
	rules := Rules{CeilingMajor: 1000, CeilingByCurrency: map[string]int64{"JPY": 150000}}
	in := conferenceInput()
	in.Amount = money.Amount{Currency: "EUR", Value: "1000.01"}
	if _, err := Validate(in, rules, today); !strings.Contains(err.Error(), "above_ceiling") {
		t.Errorf("EUR above ceiling: %v", err)
	}
	in.Amount = money.Amount{Currency: "JPY", Value: "150000"}
	if _, err := Validate(in, rules, today); err != nil {
		t.Errorf("JPY at its own ceiling: %v", err)
	}
}

func TestValidateTrims(t *testing.T) {
	in := conferenceInput()
	in.Title = "  Sponsor the compiler track  "
	c, err := Validate(in, DefaultRules, today)
	if err != nil || c.Title != "Sponsor the compiler track" {
		t.Errorf("title = %q, %v", c.Title, err)
	}
}

// TestTextLongerThanItsMaximumIsRefusedWhateverItsSpaces: the maximum counts what was
// sent, as the OpenAPI document's maxLength does, so text padded with spaces or tabs
// past it is refused even when what is left once trimmed would fit.
func TestTextLongerThanItsMaximumIsRefusedWhateverItsSpaces(t *testing.T) {
	for _, tt := range []struct {
		text string
		want string
	}{
		{"Sponsor the compiler track" + strings.Repeat(" ", maxTitle-26), ""},
		{"Sponsor the compiler track" + strings.Repeat("\t", maxTitle-25), "title:too_long"},
		{strings.Repeat(" ", maxTitle+1), "title:too_long"},
	} {
		in := conferenceInput()
		in.Title = tt.text
		_, err := Validate(in, DefaultRules, today)
		got := ""
		var ve *ValidationError
		if errors.As(err, &ve) {
			got = ve.Errors[0].Field + ":" + ve.Errors[0].Code
		}
		if got != tt.want {
			t.Errorf("a title of %d characters: %q, want %q (%v)", len(tt.text), got, tt.want, err)
		}
	}
}

// FuzzValidate feeds arbitrary text into every field of each kind of request, with and
// without budget items, and checks what validation promises: it never panics; it
// refuses with a *ValidationError whose every field error names a field of the input by
// its JSON path, with a known code and a message; and what it accepts keeps its rules
// and validates again to the same content.
func FuzzValidate(f *testing.F) {
	f.Add("conference", uint8(1), "Title of a request", "ada@example.org", "EUR", "10.00", "2027-01-01", "2027-01-02", "https://x.org")
	f.Add("project", uint8(4|8), "\x00", "a@b", "JPY", "1.5", "2027-02-30", "", "javascript:x")
	f.Add("travel", uint8(2), "Travel", "x@y.z", "KWD", "-1.234", "2027-13-01", "2027-01-01", "http://[::1]:80/")
	f.Add("project", uint8(4|16), "A project of ours", "dev@example.com", "USD", "250000.00", "2027-01-01", "2027-03-01", "https://github.com/x/y")
	f.Add("travel", uint8(2|8), "  Trip to a summit  ", "me@example.co.uk", "KRW", "350000000", "2027-05-01", "2027-05-03", "https://summit.example/")
	f.Add("party", uint8(7), "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, kind string, shape uint8, text, email, currency, value, start, end, link string) {
		in := fuzzInput(Kind(kind), shape, text, email, money.Amount{Currency: currency, Value: value}, start, end, link)
		c, err := Validate(in, DefaultRules, today)
		if err != nil {
			checkFieldErrors(t, in, err)
			return
		}
		checkAccepted(t, in, c)
		again, err := Validate(c.Input(), DefaultRules, today)
		if err != nil {
			t.Fatalf("accepted content fails validation again: %v", err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("validating accepted content changes it (-first +again):\n%s", diff)
		}
	})
}

// fuzzInput builds a request from fuzzed values. shape chooses the details present
// (1 conference, 2 travel, 4 project), whether a budget item breaks the amount down
// (8), and a known licence (16) instead of the text; a project has one milestone of the
// whole amount, due at the end.
func fuzzInput(kind Kind, shape uint8, text, email string, amount money.Amount, start, end, link string) RequestInput {
	in := RequestInput{
		Kind: kind, Title: text, Summary: strings.Repeat(text, 4),
		Applicant: Applicant{Name: text, Email: email, Organization: text}, Amount: amount,
	}
	if shape&1 != 0 {
		in.Conference = &Conference{EventName: text, EventURL: link, StartDate: start, EndDate: end, Location: text, Tier: text, ExpectedAttendees: len(text) - 2}
	}
	if shape&2 != 0 {
		in.Travel = &Travel{Traveller: text, EventName: text, EventURL: link, StartDate: start, EndDate: end, TalkTitle: text,
			TalkURL: link, Origin: text, DepartureDate: start, ReturnDate: end}
	}
	if shape&4 != 0 {
		in.Project = &ProjectInput{Name: text, RepositoryURL: link, Licence: strings.TrimSpace(text),
			Milestones: []MilestoneInput{{Title: text, DueDate: end, Amount: amount}}}
		if shape&16 != 0 {
			in.Project.Licence = "MIT"
		}
	}
	if shape&8 != 0 {
		in.BudgetItems = []BudgetItemInput{{Description: text, Amount: amount}}
	}
	return in
}

// fieldCodes are the codes validation uses.
var fieldCodes = []string{CodeRequired, CodeTooShort, CodeTooLong, CodeTooMany, CodeInvalidFormat, CodeInvalidURL,
	CodeInvalidEmail, CodeInvalidDate, CodeDateOrder, CodeInPast, CodeOutOfRange, CodeUnknownValue, CodeUnknownCurrency,
	CodeInvalidAmount, CodeNotPositive, CodeAboveCeiling, CodeCurrencyMismatch, CodeSumMismatch, CodeNotAllowed, CodeInvisible, CodeBidiControl}

// checkFieldErrors checks a refusal: a *ValidationError listing at least one problem,
// each on a field of in, with a known code and a message, none twice.
func checkFieldErrors(t *testing.T, in RequestInput, err error) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) == 0 {
		t.Fatalf("error = %#v, want a *ValidationError with field errors", err)
	}
	seen := map[FieldError]bool{}
	for _, fe := range ve.Errors {
		if !inputPath(in, fe.Field) || !slices.Contains(fieldCodes, fe.Code) || fe.Message == "" || seen[fe] {
			t.Fatalf("field error %+v: want a JSON path of the input, a known code and a message, once", fe)
		}
		seen[fe] = true
	}
}

// inputPath reports whether path names a field of in by its JSON path, such as
// "travel.eventUrl" or "budgetItems[0].amount.value"; list indices must be in range.
func inputPath(in RequestInput, path string) bool {
	v := reflect.ValueOf(in)
	for part := range strings.SplitSeq(path, ".") {
		name, index, _ := strings.Cut(part, "[")
		if v.Kind() == reflect.Pointer && v.IsNil() {
			v = reflect.New(v.Type().Elem()) // absent details: their fields are still fields
		}
		v = reflect.Indirect(v)
		if v.Kind() != reflect.Struct {
			return false
		}
		field := -1
		for i := range v.NumField() {
			if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); tag == name {
				field = i
			}
		}
		if field < 0 {
			return false
		}
		v = v.Field(field)
		if index != "" {
			i, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
			if err != nil || index != strconv.Itoa(i)+"]" || v.Kind() != reflect.Slice || i < 0 || i >= v.Len() {
				return false
			}
			v = v.Index(i)
		}
	}
	return true
}

// checkAccepted checks what accepted content promises: the kind's details and no
// others, trimmed text within limits, a positive amount within the ceiling, and parts
// that add up to it.
func checkAccepted(t *testing.T, in RequestInput, c Content) {
	t.Helper()
	if c.Kind != in.Kind || !c.Kind.Valid() ||
		(c.Conference != nil) != (c.Kind == KindConference) || (c.Travel != nil) != (c.Kind == KindTravel) || (c.Project != nil) != (c.Kind == KindProject) {
		t.Fatalf("accepted %s request with details %v %v %v", c.Kind, c.Conference != nil, c.Travel != nil, c.Project != nil)
	}
	if n := utf8.RuneCountInString(c.Title); c.Title != strings.TrimSpace(in.Title) || n < minTitle || n > maxTitle {
		t.Fatalf("accepted title %q", c.Title)
	}
	ceiling, err := DefaultRules.Ceiling(c.Amount.Currency)
	if err != nil || c.Amount.Minor <= 0 || c.Amount.Minor > ceiling.Minor || c.Amount.Currency != strings.TrimSpace(in.Amount.Currency) {
		t.Fatalf("accepted amount %v (ceiling %v, %v)", c.Amount, ceiling, err)
	}
	var items, milestones []money.Money
	for _, b := range c.BudgetItems {
		items = append(items, b.Amount)
	}
	if c.Project != nil {
		for _, m := range c.Project.Milestones {
			milestones = append(milestones, m.Amount)
		}
	}
	for _, parts := range [][]money.Money{items, milestones} {
		if sum, err := money.Sum(c.Amount.Currency, parts...); len(parts) > 0 && (err != nil || sum != c.Amount) {
			t.Fatalf("accepted parts %v adding up to %v, %v; amount %v", parts, sum, err, c.Amount)
		}
	}
	if c.Project != nil && len(milestones) == 0 {
		t.Fatal("accepted a project without milestones")
	}
}
