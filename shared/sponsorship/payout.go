package sponsorship

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/almerlucke/go-iban/iban"
)

// Payout details say how an approved applicant is paid: the method, the account
// holder, and an IBAN and BIC, a PayPal address or another method's instructions. They
// are the one thing an impostor gains most by changing, so:
//
//   - they are stored only sealed (envelope encryption under a KMS key, see Sealer),
//     opened only for finance, and never put in an event, a log line or an export;
//   - the first details in force, and every change after, block payments until a
//     member of finance who may pay the request marks them verified;
//   - a change after entry is only a proposal until the applicant confirms it through
//     a link mailed to the request's address: whoever holds the status link alone
//     cannot redirect the money. Until then, and until finance verifies, no payment
//     leaves: the old details are about to be replaced, the new ones are unconfirmed.

// PayoutMethod is a way of being paid.
type PayoutMethod string

// Payout methods.
const (
	PayoutBankTransfer PayoutMethod = "bank_transfer"
	PayoutPayPal       PayoutMethod = "paypal"
	PayoutOther        PayoutMethod = "other"
)

// PayoutMethods lists the payout methods, for validation and documents.
var PayoutMethods = []PayoutMethod{PayoutBankTransfer, PayoutPayPal, PayoutOther}

// DefaultPayoutConfirmWithin is how long a change of payout details waits for the
// applicant's confirmation.
const DefaultPayoutConfirmWithin = 48 * time.Hour

// Limits of the details' free text.
const (
	maxInstructions = 500
	maxHolder       = 140
)

// PayoutDetails are the details themselves, as the applicant gives them and as finance
// reads them. They exist in plain text only in memory.
type PayoutDetails struct {
	Method        PayoutMethod `json:"method"`
	AccountHolder string       `json:"accountHolder"`
	IBAN          string       `json:"iban,omitempty"`
	BIC           string       `json:"bic,omitempty"`
	// Email is the PayPal account's address.
	Email string `json:"email,omitempty"`
	// Instructions say how to pay by another method (an ACH routing and account
	// number, a wallet), in the applicant's words.
	Instructions string `json:"instructions,omitempty"`
}

// Payout is what the request records about its payout details, in the clear: nothing
// that would let anyone pay or be paid. Current numbers the details in force (0: none
// given); Pending, a change waiting for the applicant's confirmation.
type Payout struct {
	Current    int
	Method     PayoutMethod
	Hint       string // "IBAN ending 3000": enough for the applicant to recognise them
	EnteredAt  time.Time
	Verified   bool
	VerifiedBy Actor
	VerifiedAt time.Time

	Pending       int
	PendingMethod PayoutMethod
	PendingHint   string
	PendingHash   string // SHA-256 of the confirmation code, hex
	PendingUntil  time.Time
}

// awaiting reports whether a change waits for the applicant's confirmation at now.
func (p *Payout) awaiting(now time.Time) bool {
	return p != nil && p.Pending != 0 && now.Before(p.PendingUntil)
}

// Sealed is data encrypted under a data key that is itself encrypted by a KMS key.
type Sealed struct {
	KeyID      string // the KMS key that encrypted DataKey, as KMS names it
	DataKey    []byte // the data key, encrypted by KMS
	Nonce      []byte
	Ciphertext []byte // AES-256-GCM, authenticated with the context
}

// Sealer encrypts and decrypts small secrets. The context is bound to the ciphertext
// (KMS encryption context and AEAD additional data): a sealed value moved to another
// request or number does not open.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, bound map[string]string) (Sealed, error)
	Open(ctx context.Context, s Sealed, bound map[string]string) ([]byte, error)
}

// SealedPayout is one set of payout details as stored.
type SealedPayout struct {
	RequestID string
	Number    int
	Sealed    Sealed
	CreatedAt time.Time
	// Code is the plain confirmation code of a change, kept only until it is
	// confirmed, for the notification function to put in the link; never in an event.
	Code string
	// ExpiresAt is when an unconfirmed change is forgotten.
	ExpiresAt time.Time
}

// sealContext binds details to their request and number.
func sealContext(id string, n int) map[string]string {
	return map[string]string{"request": id, "payout": fmt.Sprint(n)}
}

// PayoutStore is what payout details need from storage.
type PayoutStore interface {
	GetRequest(ctx context.Context, id string) (*Request, error)
	// SealedPayout reads one set of a request's details, or ErrNotFound.
	SealedPayout(ctx context.Context, id string, n int) (*SealedPayout, error)
	// Apply writes the change; PutPayout and ConfirmPayout are written with it.
	Apply(ctx context.Context, c Change) error
	GetIdempotency(ctx context.Context, keyHash string) (*IdempotencyRecord, error)
}

// Payouts keeps payout details: the applicant gives and changes them, the address's
// owner confirms a change, finance reads and verifies them.
type Payouts struct {
	store         PayoutStore
	sealer        Sealer
	clock         Clock
	confirmWithin time.Duration
	keyTTL        time.Duration // how long an Idempotency-Key is remembered
}

// NewPayouts returns Payouts over store, sealing with sealer, reading the time from clock.
func NewPayouts(store PayoutStore, sealer Sealer, clock Clock) *Payouts {
	if store == nil || sealer == nil {
		panic("sponsorship: NewPayouts needs a store and a sealer")
	}
	return &Payouts{store: store, sealer: sealer, clock: mustClock("NewPayouts", clock), confirmWithin: DefaultPayoutConfirmWithin,
		keyTTL: 24 * time.Hour}
}

// PayoutSummary is where a request's payout details stand, without the details.
type PayoutSummary struct {
	Payout Payout
	// Missing says what payment waits for, as EvidenceMissingError names it.
	Missing []string
	// Replayed is true when the answer is that of an earlier call with the same
	// Idempotency-Key.
	Replayed bool
}

// payable lists the statuses in which money may still leave, and so in which payout
// details are given and changed.
func payable(s Status) bool { return s == StatusApproved || s == StatusPartiallyPaid }

// ForApplicant answers the holder of the applicant token with where the details stand.
func (p *Payouts) ForApplicant(ctx context.Context, id, token string) (PayoutSummary, error) {
	req, err := applicantRequest(ctx, p.store, id, token, p.clock.at())
	if err != nil {
		return PayoutSummary{}, err
	}
	return summarize(req, p.clock.at()), nil
}

func summarize(req *Request, now time.Time) PayoutSummary {
	s := PayoutSummary{Missing: payoutMissing(req, now)}
	if req.Payout != nil {
		s.Payout = *req.Payout
		if !s.Payout.awaiting(now) {
			s.Payout.Pending, s.Payout.PendingMethod, s.Payout.PendingHint, s.Payout.PendingUntil = 0, "", "", time.Time{}
		}
		s.Payout.PendingHash = ""
	}
	return s
}

// payoutMissing is what the payout details owe before money leaves: nothing when none
// were given (finance pays an invoice by its own details), else the applicant's
// confirmation of a change and finance's verification.
func payoutMissing(req *Request, now time.Time) []string {
	p := req.Payout
	switch {
	case p == nil:
		return nil
	case p.awaiting(now):
		return []string{"the change of payout details confirmed by the applicant", "payout details verified by finance"}
	case p.Current != 0 && !p.Verified:
		return []string{"payout details verified by finance"}
	}
	return nil
}

// Give records the applicant's payout details. The first details take effect at once
// (finance verifies them before paying); a change waits for confirmation through a link
// mailed to the request's address, and replaces any change still waiting. The code of
// that link goes only into the sealed record, for the mail: never into the answer,
// which reaches whoever holds the status link.
//
// With an Idempotency-Key a retry (a lost answer, a second click) changes nothing and
// answers with where the details stand: without it, the same details sent twice would
// be a change, and block payments until confirmed and verified again. The key's record
// holds its hash and an HMAC of the details under the key itself, never a plain hash of
// an account number, which could be guessed back offline.
func (p *Payouts) Give(ctx context.Context, id, token, idempotencyKey string, in PayoutDetails) (PayoutSummary, error) {
	var keyHash, fingerprint string
	for attempt := 1; ; attempt++ {
		now := p.clock.at()
		req, err := applicantRequest(ctx, p.store, id, token, now)
		if err != nil {
			return PayoutSummary{}, err
		}
		details, err := ValidatePayout(in)
		if idempotencyKey != "" && keyHash == "" {
			keyHash, fingerprint = HashSecret("payout\x00"+idempotencyKey), payoutFingerprint(idempotencyKey, id, details)
		}
		// Every round looks: after losing a race to the same key, the winner's record
		// is there to answer with.
		if keyHash != "" {
			if replay, done, rerr := p.replay(ctx, req, keyHash, fingerprint, now); done {
				return replay, rerr
			}
		}
		if !payable(req.Status) {
			return PayoutSummary{}, &TransitionError{From: req.Status, Action: "give payout details"}
		}
		if err != nil {
			return PayoutSummary{}, err
		}
		c, err := p.give(ctx, req, details, now)
		if err != nil {
			return PayoutSummary{}, err
		}
		if keyHash != "" {
			c.Idempotency = &IdempotencyRecord{KeyHash: keyHash, Fingerprint: fingerprint, RequestID: id,
				Reference: fmt.Sprint(c.PutPayout.Number), SubmittedAt: now, ExpiresAt: now.Add(p.keyTTL)}
		}
		err = p.store.Apply(ctx, c)
		var conflict *ConflictError
		switch {
		case errors.As(err, &conflict) && attempt < maxUpdateAttempts:
			continue
		case errors.Is(err, ErrDuplicate) && keyHash != "" && attempt < maxUpdateAttempts:
			continue // the same key won a race: the next round replays its answer
		case err != nil:
			return PayoutSummary{}, fmt.Errorf("payout details of %s: %w", id, err)
		}
		return summarize(c.Request, now), nil
	}
}

// replay answers a Give whose Idempotency-Key was seen: with where the details stand
// now, or ErrIdempotencyKeyReused for other details or another request. done is false
// when the key is new (or expired).
func (p *Payouts) replay(ctx context.Context, req *Request, keyHash, fingerprint string, now time.Time) (PayoutSummary, bool, error) {
	rec, err := p.store.GetIdempotency(ctx, keyHash)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && !rec.ExpiresAt.After(now)):
		return PayoutSummary{}, false, nil
	case err != nil:
		return PayoutSummary{}, true, err
	case rec.RequestID != req.ID || !hmac.Equal([]byte(rec.Fingerprint), []byte(fingerprint)):
		return PayoutSummary{}, true, ErrIdempotencyKeyReused
	}
	s := summarize(req, now)
	s.Replayed = true
	return s, true, nil
}

// payoutFingerprint is an HMAC of a request's details under the Idempotency-Key that
// sent them.
func payoutFingerprint(key, id string, d PayoutDetails) string {
	b, _ := json.Marshal(struct {
		ID string
		D  PayoutDetails
	}{id, d})
	m := hmac.New(sha256.New, []byte(key))
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

func (p *Payouts) give(ctx context.Context, req *Request, details PayoutDetails, now time.Time) (Change, error) {
	prev := Payout{}
	if req.Payout != nil {
		prev = *req.Payout
	}
	n := max(prev.Current, prev.Pending) + 1
	plain, err := json.Marshal(details)
	if err != nil {
		return Change{}, err
	}
	sealed, err := p.sealer.Seal(ctx, plain, sealContext(req.ID, n))
	if err != nil {
		return Change{}, fmt.Errorf("seal payout details of %s: %w", req.ID, err)
	}
	next := *req
	next.Version, next.UpdatedAt = req.Version+1, now
	rec := &SealedPayout{RequestID: req.ID, Number: n, Sealed: sealed, CreatedAt: now}
	ev := AuditEvent{RequestID: req.ID, Version: next.Version, At: now, FromStatus: req.Status, ToStatus: req.Status,
		Actor: Actor{Role: RoleApplicant, Name: req.Applicant.Name}, Data: map[string]string{"method": string(details.Method)}}
	np := prev
	if prev.Current == 0 {
		// The first details: in force at once, unverified.
		np.Current, np.Method, np.Hint, np.EnteredAt = n, details.Method, hintOf(details), now
		np.Verified, np.VerifiedBy, np.VerifiedAt = false, Actor{}, time.Time{}
		ev.Type = EventPayoutEntered
		ev.Data["details"] = fmt.Sprint(n)
	} else {
		code := newToken()
		np.Pending, np.PendingMethod, np.PendingHint = n, details.Method, hintOf(details)
		np.PendingHash, np.PendingUntil = HashSecret(code), now.Add(p.confirmWithin)
		rec.Code, rec.ExpiresAt = code, np.PendingUntil
		ev.Type = EventPayoutChangeRequested
		ev.Data["confirmBy"] = np.PendingUntil.Format(time.RFC3339)
		ev.Data["details"] = fmt.Sprint(n)
	}
	next.Payout = &np
	return Change{Request: &next, Events: []AuditEvent{ev}, PutPayout: rec}, nil
}

// PayoutConfirmed is the answer to a confirmation link: nothing of the details.
type PayoutConfirmed struct {
	ID        string
	Reference string
	Already   bool // the change had been confirmed before
}

// Confirm confirms a change of payout details with the code mailed to the request's
// address: the new details take effect, unverified, and finance is told. A wrong code,
// an unknown id and a lapsed change all give ErrNotFound; opening the link of the
// change now in force again is a success that changes nothing.
func (p *Payouts) Confirm(ctx context.Context, id, code string) (PayoutConfirmed, error) {
	if !ValidID(id) || code == "" || len(code) > maxConfirmCode {
		return PayoutConfirmed{}, ErrNotFound
	}
	for attempt := 1; ; attempt++ {
		now := p.clock.at()
		req, err := p.store.GetRequest(ctx, id)
		if err != nil {
			return PayoutConfirmed{}, fmt.Errorf("load request %s: %w", id, err)
		}
		pay := req.Payout
		if pay == nil || pay.PendingHash == "" || !tokenMatches(code, pay.PendingHash) {
			return PayoutConfirmed{}, ErrNotFound
		}
		answer := PayoutConfirmed{ID: req.ID, Reference: req.Reference}
		if pay.Pending == 0 {
			answer.Already = true // the hash stays with the details it put in force
			return answer, nil
		}
		if !pay.awaiting(now) || !payable(req.Status) {
			return PayoutConfirmed{}, ErrNotFound
		}
		np := *pay
		np.Current, np.Method, np.Hint, np.EnteredAt = pay.Pending, pay.PendingMethod, pay.PendingHint, now
		np.Verified, np.VerifiedBy, np.VerifiedAt = false, Actor{}, time.Time{}
		np.Pending, np.PendingMethod, np.PendingHint, np.PendingUntil = 0, "", "", time.Time{}
		next := *req
		next.Version, next.UpdatedAt, next.Payout = req.Version+1, now, &np
		ev := AuditEvent{RequestID: id, Version: next.Version, Type: EventPayoutChanged, At: now,
			FromStatus: req.Status, ToStatus: req.Status, Actor: Actor{Role: RoleApplicant, Name: req.Applicant.Name},
			Data: map[string]string{"method": string(np.Method), "details": fmt.Sprint(np.Current)}}
		err = p.store.Apply(ctx, Change{Request: &next, Events: []AuditEvent{ev}, ConfirmPayout: np.Current})
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < maxUpdateAttempts {
			continue
		}
		if err != nil {
			return PayoutConfirmed{}, fmt.Errorf("confirm payout change of %s: %w", id, err)
		}
		return answer, nil
	}
}

// PayoutForFinance is what finance reads: the details in force, opened, and where
// they stand.
type PayoutForFinance struct {
	PayoutSummary
	Details *PayoutDetails // nil when none were given
}

// ForFinance opens the details in force for finance. The caller admits who reads
// (FinanceService.AdmitJudge: finance, and separate from the request).
func (p *Payouts) ForFinance(ctx context.Context, id string) (PayoutForFinance, error) {
	if !ValidID(id) {
		return PayoutForFinance{}, ErrNotFound
	}
	req, err := p.store.GetRequest(ctx, id)
	if err != nil {
		return PayoutForFinance{}, fmt.Errorf("load request %s: %w", id, err)
	}
	if req.Provisional() {
		return PayoutForFinance{}, ErrNotFound
	}
	out := PayoutForFinance{PayoutSummary: summarize(req, p.clock.at())}
	if req.Payout == nil || req.Payout.Current == 0 {
		return out, nil
	}
	n := req.Payout.Current
	rec, err := p.store.SealedPayout(ctx, id, n)
	if errors.Is(err, ErrNotFound) {
		// The request names details the store does not hold: a fault, not an absence.
		return PayoutForFinance{}, fmt.Errorf("payout details %d of %s are missing", n, id)
	}
	if err != nil {
		return PayoutForFinance{}, fmt.Errorf("payout details %d of %s: %w", n, id, err)
	}
	plain, err := p.sealer.Open(ctx, rec.Sealed, sealContext(id, n))
	if err != nil {
		return PayoutForFinance{}, fmt.Errorf("open payout details %d of %s: %w", n, id, err)
	}
	var d PayoutDetails
	if err := json.Unmarshal(plain, &d); err != nil {
		return PayoutForFinance{}, fmt.Errorf("payout details %d of %s: %w", n, id, err)
	}
	out.Details = &d
	return out, nil
}

// PayoutVerification is finance's mark: the number of the details checked, so that a
// change confirmed meanwhile is not verified unseen.
type PayoutVerification struct {
	Details int `json:"details"`
}

// Verify marks the details in force verified by by (admitted by the caller, as for
// ForFinance). Details other than those in force, or a change waiting for its
// confirmation, give a *ConflictError: finance reads again.
func (p *Payouts) Verify(ctx context.Context, id string, by Actor, in PayoutVerification) (PayoutSummary, error) {
	if !ValidID(id) {
		return PayoutSummary{}, ErrNotFound
	}
	if in.Details < 1 {
		return PayoutSummary{}, &ValidationError{Errors: []FieldError{{Field: "details", Code: CodeRequired,
			Message: "Name the number of the details you checked, as read (details, from 1)."}}}
	}
	for attempt := 1; ; attempt++ {
		now := p.clock.at()
		req, err := p.store.GetRequest(ctx, id)
		if err != nil {
			return PayoutSummary{}, fmt.Errorf("load request %s: %w", id, err)
		}
		if req.Provisional() {
			return PayoutSummary{}, ErrNotFound
		}
		pay := req.Payout
		switch {
		case pay == nil || pay.Current == 0:
			return PayoutSummary{}, &ValidationError{Errors: []FieldError{{Field: "details", Code: CodeNotAllowed,
				Message: "The applicant has given no payout details to verify."}}}
		case in.Details != pay.Current || pay.awaiting(now):
			return PayoutSummary{}, &ConflictError{ID: id, CurrentStatus: req.Status, CurrentVersion: req.Version}
		case pay.Verified:
			return summarize(req, now), nil
		}
		np := *pay
		np.Verified, np.VerifiedBy, np.VerifiedAt = true, by, now
		next := *req
		next.Version, next.UpdatedAt, next.Payout = req.Version+1, now, &np
		ev := AuditEvent{RequestID: id, Version: next.Version, Type: EventPayoutVerified, At: now,
			FromStatus: req.Status, ToStatus: req.Status, Actor: by, Internal: true,
			Data: map[string]string{"method": string(np.Method), "details": fmt.Sprint(np.Current)}}
		err = p.store.Apply(ctx, Change{Request: &next, Events: []AuditEvent{ev}})
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < maxUpdateAttempts {
			continue
		}
		if err != nil {
			return PayoutSummary{}, fmt.Errorf("verify payout details of %s: %w", id, err)
		}
		return summarize(&next, now), nil
	}
}

// bicPattern is the shape of a business identifier code (ISO 9362): four letters of
// the institution, the ISO 3166 country, two characters of location, and an optional
// branch of three.
var bicPattern = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// ValidatePayout checks payout details and returns them clean, or every field error
// at once. IBANs are checked by their country's length and format and their check
// digits (ISO 13616, through go-iban's table of the IBAN registry).
func ValidatePayout(in PayoutDetails) (PayoutDetails, error) {
	var v validator
	out := PayoutDetails{Method: in.Method}
	out.AccountHolder = v.text("accountHolder", in.AccountHolder, 1, maxHolder, nameText)
	compact := func(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }
	unused := func(field, value string) {
		if strings.TrimSpace(value) != "" {
			v.add(field, CodeNotAllowed, "This field does not belong to the chosen method.")
		}
	}
	switch in.Method {
	case PayoutBankTransfer:
		out.IBAN, out.BIC = compact(in.IBAN), compact(in.BIC)
		switch _, err := iban.NewIBAN(out.IBAN); {
		case out.IBAN == "":
			v.add("iban", CodeRequired, "Give the IBAN of the account to pay.")
		case err != nil:
			v.add("iban", CodeInvalidFormat, "This is not a valid IBAN: check the country code, the length and every digit.")
		}
		switch {
		case out.BIC == "":
			v.add("bic", CodeRequired, "Give the bank's BIC (SWIFT code), 8 or 11 characters.")
		case !bicPattern.MatchString(out.BIC):
			v.add("bic", CodeInvalidFormat, "A BIC has 8 or 11 letters and digits, such as DEUTDEFF or DEUTDEFF500.")
		}
		unused("email", in.Email)
		unused("instructions", in.Instructions)
	case PayoutPayPal:
		out.Email = v.email("email", in.Email)
		unused("iban", in.IBAN)
		unused("bic", in.BIC)
		unused("instructions", in.Instructions)
	case PayoutOther:
		out.Instructions = v.text("instructions", in.Instructions, 10, maxInstructions, multiLine)
		unused("iban", in.IBAN)
		unused("bic", in.BIC)
		unused("email", in.Email)
	case "":
		v.add("method", CodeRequired, "Choose how you want to be paid.")
	default:
		v.add("method", CodeUnknownValue, "Choose bank_transfer, paypal or other.")
	}
	return out, v.err()
}

// hintOf is what the applicant and the history may see of details: the method and the
// last four characters of the account, never the whole of it.
func hintOf(d PayoutDetails) string {
	last := func(s string) string {
		if len(s) <= 4 {
			return strings.Repeat("•", len(s))
		}
		return s[len(s)-4:]
	}
	switch d.Method {
	case PayoutBankTransfer:
		return "IBAN ending " + last(d.IBAN)
	case PayoutPayPal:
		local, domain, _ := strings.Cut(d.Email, "@")
		if local == "" {
			return "PayPal"
		}
		return "PayPal " + string([]rune(local)[:1]) + "…@" + domain
	}
	return "Other method"
}
