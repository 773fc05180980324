// Package seed loads the local stack's demo data (seed.json) through the real store, so
// the sample events in events/ and a developer's first curl have something to read.
package seed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

//go:embed seed.json
var seedJSON []byte

// File is the shape of seed.json.
type File struct {
	Requests  []Request `json:"requests"`
	Companies []Company `json:"companies"`
	Users     []User    `json:"users"`
	Budgets   []Budget  `json:"budgets"`
	Password  string    `json:"password"` // every demo user's password, local only
	// TOTPSeed is the key the demo users' authenticator secrets derive from (see
	// TOTPSecret), local only: the secrets stay the same from one start to the next, so a
	// developer adds them to an authenticator app once.
	TOTPSeed string `json:"totpSeed"`
	// AsOf is when the demo requests were submitted and moved: a fixed time before the
	// sample events in events/, so that those make sense against the demo data (a
	// payment cannot be dated before its approval).
	AsOf time.Time `json:"asOf"`
}

// Budget is a demo budget allocation.
type Budget struct {
	FiscalYear int              `json:"fiscalYear"`
	Category   sponsorship.Kind `json:"category"`
	Currency   string           `json:"currency"`
	Allocated  string           `json:"allocated"`
}

// Company is a demo company of the roster.
type Company struct {
	ID string `json:"id"`
	sponsorship.CompanyInput
}

// User is a demo member of staff: signed in through the local Cognito user pool, and
// on the roster (every member of staff is: names come from there).
type User struct {
	Email     string   `json:"email"`
	Name      string   `json:"name"`
	Role      string   `json:"role"`      // reviewer, finance or admin: what `local token ROLE` finds
	CompanyID string   `json:"companyId"` // a reviewer's affiliation
	Groups    []string `json:"groups"`
	// FixtureID is the subject the sample events in events/ carry for this user; a real
	// sign-in has a subject Cognito chooses.
	FixtureID string `json:"fixtureId"`
}

// Request is a demo request: fixed id and token, its content, and the transitions to
// apply after submission. Demo requests are confirmed (submitted), except one with a
// ConfirmCode: it waits for its address to be confirmed with that code, so that the
// confirmation has a sample to try.
type Request struct {
	ID          string                   `json:"id"`
	Token       string                   `json:"token"`
	ConfirmCode string                   `json:"confirmCode,omitempty"`
	Input       sponsorship.RequestInput `json:"input"`
	Then        []Step                   `json:"then"`
}

// Step is one lifecycle move applied to a demo request.
type Step struct {
	To      sponsorship.Status `json:"to"`
	By      sponsorship.Role   `json:"by"`
	Message string             `json:"message"`
}

// Load parses the embedded seed.json strictly.
func Load() (*File, error) {
	var f struct {
		Comment string `json:"comment"`
		File
	}
	dec := json.NewDecoder(bytes.NewReader(seedJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("seed.json: %w", err)
	}
	return &f.File, nil
}

// Apply writes every demo request into store as of the file's AsOf, but for those still
// waiting for their address to be confirmed: they arrive now, or their link would have
// expired. Requests already there are left alone, so Apply can run on every start.
// Budgets come first (ApplyStaff): an approved demo request commits its amount.
func Apply(ctx context.Context, store sponsorship.Store, cfg sponsorship.Config, now time.Time) error {
	f, err := Load()
	if err != nil {
		return err
	}
	for _, d := range f.Requests {
		at := f.AsOf.UTC()
		if d.ConfirmCode != "" {
			at = now.UTC()
		}
		if err := apply(ctx, store, cfg, at, d); err != nil {
			return fmt.Errorf("seed %s: %w", d.ID, err)
		}
	}
	return nil
}

func apply(ctx context.Context, store sponsorship.Store, cfg sponsorship.Config, now time.Time, d Request) error {
	if !sponsorship.ValidID(d.ID) {
		return fmt.Errorf("id %q is not a ULID", d.ID)
	}
	content, err := sponsorship.Validate(d.Input, sponsorship.DefaultRules, now.Format("2006-01-02"))
	if err != nil {
		return err
	}
	req := &sponsorship.Request{
		ID: d.ID, Reference: sponsorship.ReferenceFor(d.ID), Status: sponsorship.StatusSubmitted, Version: 1, Round: 1,
		FiscalYear: cfg.Calendar.YearOf(content, now), Content: content,
		TokenHash: sponsorship.HashSecret(d.Token), SubmittedAt: now, UpdatedAt: now,
		Paid: money.Money{Currency: content.Amount.Currency}, Publication: d.Input.Publication.Or(sponsorship.PublishNone),
	}
	ev := sponsorship.AuditEvent{RequestID: d.ID, Version: 1, Type: sponsorship.EventSubmitted, At: now,
		ToStatus: sponsorship.StatusSubmitted, Actor: sponsorship.Actor{Role: sponsorship.RoleApplicant, Name: content.Applicant.Name}}
	if d.ConfirmCode != "" {
		req.Status, req.ExpiresAt, req.ConfirmHash = sponsorship.StatusUnconfirmed, now.Add(sponsorship.DefaultConfirmWithin), sponsorship.HashSecret(d.ConfirmCode)
		ev.Type, ev.ToStatus = sponsorship.EventReceived, sponsorship.StatusUnconfirmed
		err = store.CreateProvisional(ctx, req, ev, nil, sponsorship.PendingFor(d.ConfirmCode, content.Applicant.Email, now, sponsorship.DefaultUnconfirmedPerDay))
	} else {
		err = store.CreateRequest(ctx, req, ev, nil)
	}
	if errors.Is(err, sponsorship.ErrDuplicate) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, step := range d.Then {
		t, err := sponsorship.CheckTransition(req.Status, step.To, step.By)
		if err != nil {
			return err
		}
		next := *req
		next.Status, next.Version, next.UpdatedAt = step.To, req.Version+1, now
		ev := sponsorship.AuditEvent{RequestID: d.ID, Version: next.Version, Type: t.Event, At: now,
			FromStatus: req.Status, ToStatus: step.To, Message: step.Message,
			Actor: sponsorship.Actor{Role: step.By, ID: "seed", Name: "Demo " + string(step.By)}}
		c := sponsorship.Change{Request: &next, Events: []sponsorship.AuditEvent{ev}}
		if step.To == sponsorship.StatusApproved {
			// As the committee would: the whole amount, committed to the budget.
			approved := next.Amount
			next.Approved, next.DecidedAt = &approved, now
			c.Commit = &sponsorship.Commitment{FiscalYear: next.FiscalYear, Category: next.Kind, Amount: approved}
		}
		if step.To == sponsorship.StatusApproved || step.To == sponsorship.StatusRejected {
			// In the public register, and in the verifiable log's public record, as the
			// committee's decision would put it: the demo has no seats, so its tally is
			// empty.
			next.DecidedAt = now
			c.Register = sponsorship.RegisterDecision(&next, sponsorship.Tally{}, sponsorship.Directory{}, nil)
			c.Events[0].Data = sponsorship.DecisionData(sponsorship.Tally{Amount: next.Approved}, &next)
		}
		if err := store.Apply(ctx, c); err != nil {
			return err
		}
		req = &next
	}
	return nil
}

// ApplyStaff adds the demo companies and puts the demo staff on the roster, under the
// subjects ids gives for their e-mails (Cognito's, or the fixture ids), and allocates
// the demo budgets, through the admin service as an admin would. Existing entries are
// left alone.
func ApplyStaff(ctx context.Context, store sponsorship.AdminStore, ids map[string]string, now time.Time) error {
	return applyStaff(ctx, store, ids, "", now)
}

// ApplySampleEventStaff puts the demo staff on the roster a second time, under the
// fixture subjects the sample events carry, so that `local invoke` with those events
// finds its caller on a stack where the staff also sign in as themselves. Each second
// entry's name says what it is, so that a reviewer does not appear twice under one name
// in the console (in a recusal list, say); it shares its company, so its seat.
func ApplySampleEventStaff(ctx context.Context, store sponsorship.AdminStore, now time.Time) error {
	f, err := Load()
	if err != nil {
		return err
	}
	return applyStaff(ctx, store, f.FixtureIDs(), " (sample events)", now)
}

func applyStaff(ctx context.Context, store sponsorship.AdminStore, ids map[string]string, nameSuffix string, now time.Time) error {
	f, err := Load()
	if err != nil {
		return err
	}
	svc := sponsorship.NewAdminService(store, func() time.Time { return now })
	seeder := sponsorship.Staff{ID: "seed", Groups: []string{sponsorship.GroupAdmins}}
	dir, err := store.Directory(ctx)
	if err != nil {
		return err
	}
	for _, c := range f.Companies {
		if _, ok := dir.Company(c.ID); ok {
			continue
		}
		if _, err := svc.PutCompany(ctx, seeder, c.ID, c.CompanyInput); err != nil {
			return fmt.Errorf("seed company %s: %w", c.ID, err)
		}
	}
	for _, u := range f.Users {
		id := ids[u.Email]
		if _, ok := dir.Member(id); id == "" || ok {
			continue
		}
		in := sponsorship.ReviewerInput{Name: u.Name + nameSuffix, Email: u.Email, CompanyID: u.CompanyID, Roles: []sponsorship.Role{}}
		for _, g := range u.Groups {
			in.Roles = append(in.Roles, map[string]sponsorship.Role{sponsorship.GroupReviewers: sponsorship.RoleReviewer,
				sponsorship.GroupFinance: sponsorship.RoleFinance, sponsorship.GroupAdmins: sponsorship.RoleAdmin}[g])
		}
		if _, _, err := svc.PutReviewer(ctx, seeder, id, in); err != nil {
			return fmt.Errorf("seed roster %s: %w", u.Email, err)
		}
	}
	budgets, err := store.Budgets(ctx, 0)
	if err != nil {
		return err
	}
	for _, b := range f.Budgets {
		exists := slices.ContainsFunc(budgets, func(x sponsorship.Budget) bool {
			return x.FiscalYear == b.FiscalYear && x.Category == b.Category && x.Currency == b.Currency
		})
		if exists {
			continue
		}
		if _, err := svc.SetAllocation(ctx, seeder, b.FiscalYear, b.Category, b.Currency, sponsorship.AllocationInput{Allocated: b.Allocated}); err != nil {
			return fmt.Errorf("seed budget %d %s %s: %w", b.FiscalYear, b.Category, b.Currency, err)
		}
	}
	return nil
}

// FixtureIDs maps each demo user's e-mail to the subject the sample events carry.
func (f *File) FixtureIDs() map[string]string {
	ids := map[string]string{}
	for _, u := range f.Users {
		ids[u.Email] = u.FixtureID
	}
	return ids
}

// TOTPSecret is a demo user's authenticator secret: the first 160 bits of
// HMAC-SHA256(TOTPSeed, the lower-case e-mail address), in base32 without padding as
// authenticator apps take it.
func (f *File) TOTPSecret(email string) string {
	mac := hmac.New(sha256.New, []byte(f.TOTPSeed))
	mac.Write([]byte(strings.ToLower(email)))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(mac.Sum(nil)[:20])
}
