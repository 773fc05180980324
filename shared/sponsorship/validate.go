package sponsorship

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/orgname"
)

// Rules are the configurable limits that validation applies.
type Rules struct {
	// CeilingMajor is the largest amount one request may ask for, in whole units of its
	// currency, unless CeilingByCurrency names that currency.
	CeilingMajor int64
	// CeilingByCurrency overrides CeilingMajor per currency (e.g. JPY: 40000000).
	CeilingByCurrency map[string]int64
}

// DefaultRules are the limits used when configuration names none.
var DefaultRules = Rules{CeilingMajor: 250_000, CeilingByCurrency: map[string]int64{"JPY": 40_000_000, "KRW": 350_000_000}}

// Ceiling returns the largest amount a request may ask for in currency.
func (r Rules) Ceiling(currency string) (money.Money, error) {
	units, ok := r.CeilingByCurrency[currency]
	if !ok {
		units = r.CeilingMajor
	}
	return money.Major(currency, units)
}

// Text limits, in characters.
const (
	maxTitle       = 150
	minTitle       = 5
	maxSummary     = 5000
	minSummary     = 20
	maxName        = 200
	maxEmail       = 254
	maxURL         = 2048
	maxShortText   = 200
	maxTier        = 50
	maxBudgetItems = 50
	maxMilestones  = 20
	maxAttendees   = 1_000_000
)

const dateLayout = "2006-01-02"

// Validate checks an applicant's input against every rule and returns the clean content,
// or a *ValidationError listing every problem at once. today (YYYY-MM-DD, in UTC) is
// the date against which "not in the past" is judged.
func Validate(in RequestInput, rules Rules, today string) (Content, error) {
	var v validator
	c := Content{
		Kind:    in.Kind,
		Title:   v.text("title", in.Title, minTitle, maxTitle, oneLine),
		Summary: v.text("summary", in.Summary, minSummary, maxSummary, multiLine),
		Applicant: Applicant{
			Name:         v.text("applicant.name", in.Applicant.Name, 1, maxName, nameText),
			Email:        v.email("applicant.email", in.Applicant.Email),
			Organization: v.text("applicant.organization", in.Applicant.Organization, 1, maxName, nameText),
		},
	}
	if in.Publication != "" && !in.Publication.Valid() {
		v.add("publication", CodeUnknownValue, "Choose named, anonymous or none.")
	}
	if !in.Kind.Valid() {
		if in.Kind == "" {
			v.add("kind", CodeRequired, "Choose the kind of request: conference, travel or project.")
		} else {
			v.add("kind", CodeUnknownValue, "Kind must be one of conference, travel or project.")
		}
	}
	c.Amount = v.positiveAmount("amount", in.Amount, rules)

	v.kindObject("conference", in.Conference != nil, in.Kind == KindConference)
	v.kindObject("travel", in.Travel != nil, in.Kind == KindTravel)
	v.kindObject("project", in.Project != nil, in.Kind == KindProject)
	switch {
	case in.Kind == KindConference && in.Conference != nil:
		c.Conference = v.conference(*in.Conference, today)
	case in.Kind == KindTravel && in.Travel != nil:
		c.Travel = v.travel(*in.Travel, today)
	case in.Kind == KindProject && in.Project != nil:
		c.Project = v.project(*in.Project, c.Amount, rules, today)
	}

	if len(in.BudgetItems) > maxBudgetItems {
		v.add("budgetItems", CodeTooMany, "At most %d budget items.", maxBudgetItems)
	} else if len(in.BudgetItems) > 0 {
		parts := make([]money.Money, 0, len(in.BudgetItems))
		allValid := true
		for i, b := range in.BudgetItems {
			f := fmt.Sprintf("budgetItems[%d]", i)
			item := BudgetItem{Description: v.text(f+".description", b.Description, 1, maxShortText, oneLine)}
			var ok bool
			item.Amount, ok = v.partAmount(f+".amount", b.Amount, c.Amount.Currency, rules)
			allValid = allValid && ok
			c.BudgetItems = append(c.BudgetItems, item)
			parts = append(parts, item.Amount)
		}
		if allValid {
			v.sumMatches("budgetItems", "budget items", parts, c.Amount, "amount")
		}
	}
	return c, v.err()
}

type validator struct{ fieldErrors }

// textKind says which characters a text field may hold.
type textKind int

const (
	// oneLine text: no control characters.
	oneLine textKind = iota
	// multiLine text may also hold line breaks and tabs.
	multiLine
	// nameText (people, organizations, companies) is one line without invisible
	// characters, which could hide one name inside another.
	nameText
)

// text trims s and checks its length and characters. No field may hold control
// characters other than the line breaks and tabs of multi-line fields, nor the bidi
// override and isolate controls that make text display in another order than it is
// stored; names may not hold invisible (format or default-ignorable) characters.
func (v *validator) text(field, s string, minLen, maxLen int, kind textKind) string {
	// The maximum counts what was sent, spaces around it included, as the OpenAPI
	// document's maxLength does; the minimum counts what is left once trimmed.
	sent := utf8.RuneCountInString(s)
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && minLen > 0 && sent <= maxLen:
		v.add(field, CodeRequired, "This field is required.")
	case n < minLen && sent <= maxLen:
		v.add(field, CodeTooShort, "Use at least %d characters.", minLen)
	case sent > maxLen:
		v.add(field, CodeTooLong, "Use at most %d characters.", maxLen)
	default:
		v.characters(field, s, kind)
	}
	return s
}

// characters records the first kind of forbidden character s holds.
func (v *validator) characters(field, s string, kind textKind) {
	switch {
	case strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(kind == multiLine && (r == '\n' || r == '\r' || r == '\t'))
	}):
		v.add(field, CodeInvalidFormat, "Remove control characters.")
	case strings.ContainsFunc(s, orgname.BidiControl):
		v.add(field, CodeBidiControl, "Remove the invisible text-direction controls (such as U+202E); they make text read differently from what is stored.")
	case kind == nameText && strings.ContainsFunc(s, orgname.Invisible):
		v.add(field, CodeInvisible, "Remove invisible characters (such as zero-width spaces or soft hyphens) from the name.")
	}
}

// required checks one required free-text field on its own (a reason, a message): the
// clean text, or a *ValidationError whose "required" message is missing.
func required(field, s string, maxLen int, missing string) (string, error) {
	var v validator
	s = v.free(field, s, maxLen)
	if s == "" {
		v.add(field, CodeRequired, "%s", missing)
	}
	return s, v.err()
}

// free checks optional free text of up to maxLen characters (comments, reasons,
// messages): line breaks allowed, no other control characters, no bidi controls.
func (v *validator) free(field, s string, maxLen int) string {
	return v.text(field, s, 0, maxLen, multiLine)
}

func (v *validator) email(field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		v.add(field, CodeRequired, "This field is required.")
		return s
	}
	if strings.ContainsFunc(s, func(r rune) bool { return orgname.Invisible(r) || orgname.BidiControl(r) }) {
		v.add(field, CodeInvisible, "Remove invisible characters from the e-mail address.")
		return s
	}
	addr, err := mail.ParseAddress(s)
	_, domain, _ := strings.Cut(s, "@")
	if err != nil || addr.Address != s || len(s) > maxEmail || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		v.add(field, CodeInvalidEmail, "Enter an e-mail address such as ada@example.org.")
	}
	return s
}

// link checks an http(s) URL with a host and no credentials. An empty optional link is
// allowed.
func (v *validator) link(field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			v.add(field, CodeRequired, "This field is required.")
		}
		return s
	}
	u, err := url.Parse(s)
	switch {
	case len(s) > maxURL:
		v.add(field, CodeTooLong, "Use at most %d characters.", maxURL)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		v.add(field, CodeInvalidURL, "Enter a web address starting with https:// or http://.")
	case u.User != nil:
		v.add(field, CodeInvalidURL, "Leave user names and passwords out of the address.")
	}
	return s
}

// date checks a required YYYY-MM-DD date and returns it, or "" when it is unusable.
func (v *validator) date(field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			v.add(field, CodeRequired, "This field is required.")
		}
		return ""
	}
	if _, err := time.Parse(dateLayout, s); err != nil {
		v.add(field, CodeInvalidDate, "Enter a date as YYYY-MM-DD.")
		return ""
	}
	return s
}

// ordered records a date_order error on laterField when both dates are known and the
// later one comes first. ISO dates compare correctly as strings.
func (v *validator) ordered(earlier, later, laterField, message string) {
	if earlier != "" && later != "" && later < earlier && !v.has(laterField) {
		v.add(laterField, CodeDateOrder, "%s", message)
	}
}

func (v *validator) notPast(field, date, today string) {
	if date != "" && date < today {
		v.add(field, CodeInPast, "This date has passed.")
	}
}

// How far an event's start may be from the day of the request. The start names the
// request's fiscal year, and so the budget and the register's year it counts in: a
// start decades away would open years that nobody budgets for.
const (
	maxYearsStarted = 1  // an event (a multi-day workshop, a sprint) already under way
	maxYearsAhead   = 10 // sponsorships are agreed a few years ahead at most
)

// eventWindow refuses an event's start more than maxYearsStarted before today or more
// than maxYearsAhead after it.
func (v *validator) eventWindow(field, start, today string) {
	d, err1 := time.Parse(dateLayout, start)
	now, err2 := time.Parse(dateLayout, today)
	if start == "" || err1 != nil || err2 != nil {
		return
	}
	switch {
	case d.Before(now.AddDate(-maxYearsStarted, 0, 0)):
		v.add(field, CodeOutOfRange, "The event must have started no more than %d year ago.", maxYearsStarted)
	case d.After(now.AddDate(maxYearsAhead, 0, 0)):
		v.add(field, CodeOutOfRange, "The event must start within %d years.", maxYearsAhead)
	}
}

func (v *validator) kindObject(field string, present, expected bool) {
	switch {
	case expected && !present:
		v.add(field, CodeRequired, "Describe the %s.", field)
	case !expected && present:
		v.add(field, CodeNotAllowed, "Only a %s request has %s details; remove them or change the kind.", field, field)
	}
}

// amount parses a wire amount, recording field errors on field.currency and field.value.
func (v *validator) amount(field string, a money.Amount) (money.Money, bool) {
	currency := strings.TrimSpace(a.Currency)
	ok := true
	if currency == "" {
		v.add(field+".currency", CodeRequired, "Choose a currency.")
		ok = false
	} else if !money.KnownCurrency(currency) {
		v.add(field+".currency", CodeUnknownCurrency, "Use an ISO 4217 currency code such as EUR or USD.")
		ok = false
	}
	value := strings.TrimSpace(a.Value)
	if value == "" {
		v.add(field+".value", CodeRequired, "Enter an amount.")
		return money.Money{}, false
	}
	if !ok {
		if _, err := money.Parse("EUR", value); errors.Is(err, money.ErrSyntax) {
			v.add(field+".value", CodeInvalidAmount, "Enter an amount such as 1500.00, with a dot and no separators.")
		}
		return money.Money{}, false
	}
	m, err := money.Parse(currency, value)
	switch {
	case errors.Is(err, money.ErrPrecision):
		digits, _ := money.MinorUnits(currency)
		v.add(field+".value", CodeInvalidAmount, "%s amounts have at most %d decimal places.", currency, digits)
	case errors.Is(err, money.ErrRange):
		v.add(field+".value", CodeAboveCeiling, "This amount is too large.")
	case err != nil:
		v.add(field+".value", CodeInvalidAmount, "Enter an amount such as 1500.00, with a dot and no separators.")
	}
	return m, err == nil
}

func (v *validator) positiveAmount(field string, a money.Amount, rules Rules) money.Money {
	m, ok := v.amount(field, a)
	if !ok {
		return m
	}
	if m.Minor <= 0 {
		v.add(field+".value", CodeNotPositive, "The amount must be more than zero.")
		return m
	}
	if ceiling, err := rules.Ceiling(m.Currency); err == nil && m.Minor > ceiling.Minor {
		v.add(field+".value", CodeAboveCeiling, "A single request may ask for at most %s.", ceiling)
	}
	return m
}

// partAmount is an amount that is part of the request's total: positive and in the
// request's currency. ok is false when it has a field error.
func (v *validator) partAmount(field string, a money.Amount, currency string, rules Rules) (m money.Money, ok bool) {
	m = v.positiveAmount(field, a, rules)
	if v.has(field) {
		return m, false
	}
	if currency != "" && m.Currency != currency {
		v.add(field+".currency", CodeCurrencyMismatch, "Use the request's currency, %s.", currency)
		return m, false
	}
	return m, true
}

// sumMatches checks that parts add up to total, unless the total is in error; callers
// leave it out when a part is in error.
func (v *validator) sumMatches(field, what string, parts []money.Money, total money.Money, totalField string) {
	if v.has(totalField) || total.Currency == "" {
		return
	}
	sum, err := money.Sum(total.Currency, parts...)
	if err != nil || sum != total {
		v.add(field, CodeSumMismatch, "The %s add up to %s, but the amount asked for is %s.", what, sum, total)
	}
}

func (v *validator) conference(in Conference, today string) *Conference {
	c := &Conference{
		EventName: v.text("conference.eventName", in.EventName, 1, maxShortText, oneLine),
		EventURL:  v.link("conference.eventUrl", in.EventURL, true),
		StartDate: v.date("conference.startDate", in.StartDate, true),
		EndDate:   v.date("conference.endDate", in.EndDate, true),
		Location:  v.text("conference.location", in.Location, 1, maxShortText, oneLine),
		Tier:      v.text("conference.tier", in.Tier, 1, maxTier, oneLine),
	}
	if in.ExpectedAttendees < 0 || in.ExpectedAttendees > maxAttendees {
		v.add("conference.expectedAttendees", CodeInvalidFormat, "Enter a number between 0 and %d.", maxAttendees)
	}
	c.ExpectedAttendees = in.ExpectedAttendees
	v.ordered(c.StartDate, c.EndDate, "conference.endDate", "The event cannot end before it starts.")
	v.notPast("conference.endDate", c.EndDate, today)
	v.eventWindow("conference.startDate", c.StartDate, today)
	return c
}

func (v *validator) travel(in Travel, today string) *Travel {
	t := &Travel{
		Traveller:     v.text("travel.traveller", in.Traveller, 1, maxName, nameText),
		EventName:     v.text("travel.eventName", in.EventName, 1, maxShortText, oneLine),
		EventURL:      v.link("travel.eventUrl", in.EventURL, true),
		StartDate:     v.date("travel.startDate", in.StartDate, true),
		EndDate:       v.date("travel.endDate", in.EndDate, true),
		TalkTitle:     v.text("travel.talkTitle", in.TalkTitle, 1, maxShortText, oneLine),
		TalkURL:       v.link("travel.talkUrl", in.TalkURL, false),
		Origin:        v.text("travel.origin", in.Origin, 1, maxShortText, oneLine),
		DepartureDate: v.date("travel.departureDate", in.DepartureDate, false),
		ReturnDate:    v.date("travel.returnDate", in.ReturnDate, false),
	}
	v.ordered(t.StartDate, t.EndDate, "travel.endDate", "The event cannot end before it starts.")
	v.notPast("travel.endDate", t.EndDate, today)
	v.eventWindow("travel.startDate", t.StartDate, today)
	v.ordered(t.DepartureDate, t.ReturnDate, "travel.returnDate", "The return cannot be before the departure.")
	v.ordered(t.DepartureDate, t.EndDate, "travel.departureDate", "Departure must be no later than the event's last day.")
	v.ordered(t.StartDate, t.ReturnDate, "travel.returnDate", "Return must be no earlier than the event's first day.")
	return t
}

func (v *validator) project(in ProjectInput, total money.Money, rules Rules, today string) *Project {
	p := &Project{
		Name:          v.text("project.name", in.Name, 1, maxShortText, oneLine),
		RepositoryURL: v.link("project.repositoryUrl", in.RepositoryURL, true),
		Licence:       strings.TrimSpace(in.Licence),
	}
	if p.Licence == "" {
		v.add("project.licence", CodeRequired, "Name the project's licence as an SPDX identifier, such as Apache-2.0.")
	} else if !slices.Contains(Licences, p.Licence) {
		v.add("project.licence", CodeUnknownValue, "Use an OSI-approved licence's SPDX identifier, such as Apache-2.0, MIT or GPL-2.0-only.")
	}
	switch {
	case len(in.Milestones) == 0:
		v.add("project.milestones", CodeRequired, "Add at least one milestone.")
		return p
	case len(in.Milestones) > maxMilestones:
		v.add("project.milestones", CodeTooMany, "At most %d milestones.", maxMilestones)
		return p
	}
	parts := make([]money.Money, 0, len(in.Milestones))
	previous := ""
	allValid := true
	for i, m := range in.Milestones {
		f := fmt.Sprintf("project.milestones[%d]", i)
		ms := Milestone{
			Title:   v.text(f+".title", m.Title, 1, maxShortText, oneLine),
			DueDate: v.date(f+".dueDate", m.DueDate, true),
		}
		var ok bool
		ms.Amount, ok = v.partAmount(f+".amount", m.Amount, total.Currency, rules)
		allValid = allValid && ok
		v.notPast(f+".dueDate", ms.DueDate, today)
		v.ordered(previous, ms.DueDate, f+".dueDate", "Milestones must be listed in the order they are due.")
		if ms.DueDate != "" {
			previous = ms.DueDate
		}
		p.Milestones = append(p.Milestones, ms)
		parts = append(parts, ms.Amount)
	}
	if allValid {
		v.sumMatches("project.milestones", "milestones", parts, total, "amount")
	}
	return p
}
