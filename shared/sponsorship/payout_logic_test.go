package sponsorship_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// sealer stands in for KMS in tests about logic: reversible, bound to its context,
// and never the plain text (the KMS sealer is tested against moto in package vault).
type sealer struct{}

func (sealer) Seal(_ context.Context, plain []byte, c map[string]string) (sponsorship.Sealed, error) {
	b := append([]byte(fmt.Sprint(c)+"\x00"), plain...)
	for i := range b {
		b[i] ^= 0x5a
	}
	return sponsorship.Sealed{KeyID: "test", Ciphertext: b}, nil
}

func (sealer) Open(_ context.Context, s sponsorship.Sealed, c map[string]string) ([]byte, error) {
	b := bytes.Clone(s.Ciphertext)
	for i := range b {
		b[i] ^= 0x5a
	}
	bound, plain, ok := bytes.Cut(b, []byte{0})
	if !ok || string(bound) != fmt.Sprint(c) {
		return nil, errors.New("does not open in this context")
	}
	return plain, nil
}

// Payout details used below: a German and a Belgian account (the IBAN registry's
// examples), and a PayPal address.
var (
	bankDE = sponsorship.PayoutDetails{Method: "bank_transfer", AccountHolder: "Ada Lovelace",
		IBAN: "DE89 3704 0044 0532 0130 00", BIC: "COBADEFFXXX"}
	bankBE = sponsorship.PayoutDetails{Method: "bank_transfer", AccountHolder: "Ada Lovelace",
		IBAN: "BE68539007547034", BIC: "GKCCBEBB"}
)

// TestPayoutDetailsAreChecked: every field error at once, by method; an IBAN is
// checked by its country's length and its check digits, a BIC by its shape and country.
func TestPayoutDetailsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		in   sponsorship.PayoutDetails
		want string
	}{
		{"a German account, spaced", bankDE, "ok"},
		{"a Belgian account with an 8-character BIC", bankBE, "ok"},
		{"one digit wrong", sponsorship.PayoutDetails{Method: "bank_transfer", AccountHolder: "Ada", IBAN: "DE89370400440532013001", BIC: "COBADEFF"},
			"invalid iban:invalid_format"},
		{"too short for its country", sponsorship.PayoutDetails{Method: "bank_transfer", AccountHolder: "Ada", IBAN: "DE8937040044053201300", BIC: "COBADEFF"},
			"invalid iban:invalid_format"},
		// A BIC's country may differ from the IBAN's: Jersey's banks hold GB IBANs.
		{"a Jersey BIC with a British IBAN", sponsorship.PayoutDetails{Method: "bank_transfer", AccountHolder: "Ada", IBAN: "GB29 NWBK 6016 1331 9268 19", BIC: "RBOSJESH"}, "ok"},
		{"a BIC of the wrong shape", sponsorship.PayoutDetails{Method: "bank_transfer", AccountHolder: "Ada", IBAN: bankDE.IBAN, BIC: "COBA-DE"},
			"invalid bic:invalid_format"},
		{"nothing but the method", sponsorship.PayoutDetails{Method: "bank_transfer"},
			"invalid accountHolder:required bic:required iban:required"},
		{"a bank account with a PayPal address", sponsorship.PayoutDetails{Method: "bank_transfer", AccountHolder: "Ada", IBAN: bankDE.IBAN, BIC: bankDE.BIC, Email: "ada@example.org"},
			"invalid email:not_allowed"},
		{"PayPal", sponsorship.PayoutDetails{Method: "paypal", AccountHolder: "Ada", Email: "ada@example.org"}, "ok"},
		{"PayPal without an address, with an IBAN", sponsorship.PayoutDetails{Method: "paypal", AccountHolder: "Ada", IBAN: "x"},
			"invalid email:required iban:not_allowed"},
		{"another method", sponsorship.PayoutDetails{Method: "other", AccountHolder: "Ada", Instructions: "ACH routing 011000015, account 12345678"}, "ok"},
		{"another method without instructions", sponsorship.PayoutDetails{Method: "other", AccountHolder: "Ada"},
			"invalid instructions:required"},
		{"no method", sponsorship.PayoutDetails{AccountHolder: "Ada"}, "invalid method:required"},
		{"an unknown method", sponsorship.PayoutDetails{Method: "crypto", AccountHolder: "Ada"}, "invalid method:unknown_value"},
		{"a holder with a hidden character", sponsorship.PayoutDetails{Method: "paypal", AccountHolder: "Ada\u200bLovelace", Email: "ada@example.org"},
			"invalid accountHolder:invisible_character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sponsorship.ValidatePayout(tt.in)
			if got := kindOf(err); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// gives is the applicant giving payout details.
func gives(d sponsorship.PayoutDetails) act {
	return func(w *world, id string) error {
		_, err := w.payouts.Give(ctx, id, w.tokens[id], "", d)
		return err
	}
}

// verifies is fay verifying the n-th details.
func verifies(n int) act {
	return func(w *world, id string) error {
		_, err := w.payouts.Verify(ctx, id, sponsorship.Actor{Role: sponsorship.RoleFinance, ID: "fay", Name: "Fay"},
			sponsorship.PayoutVerification{Details: n})
		return err
	}
}

// confirmsChange opens the link mailed for the n-th details: the store keeps its code
// until the change is confirmed, the applicant's mailbox for good.
func confirmsChange(n int) act {
	return func(w *world, id string) error {
		mailbox := fmt.Sprintf("%s/payout/%d", id, n)
		if rec, err := w.store.SealedPayout(ctx, id, n); err == nil && rec.Code != "" {
			w.codes[mailbox] = rec.Code
		}
		_, err := w.payouts.Confirm(ctx, id, w.codes[mailbox])
		return err
	}
}

// TestPayoutChangesBlockPaymentUntilVerified walks the rule that keeps money from
// going to details nobody checked: given details and every confirmed change block
// payments until finance verifies them, and a change does nothing until the
// applicant confirms it from the mail.
func TestPayoutChangesBlockPaymentUntilVerified(t *testing.T) {
	const (
		unverified  = "missing payout details verified by finance"
		unconfirmed = "missing the change of payout details confirmed by the applicant; payout details verified by finance"
	)
	pay := pays("fay", "", payment("1000.00"))
	tests := []struct {
		name    string
		given   []act
		act     act
		want    string
		iban    string // the IBAN finance reads afterwards; "" for none
		events  []sponsorship.EventType
		payment string // what a payment of 1000.00 gets afterwards
	}{
		{"no details: finance pays as before", nil, pay, "ok", "", []sponsorship.EventType{"payment_recorded"}, "ok"},
		{"the first details take effect, unverified", nil, gives(bankDE), "ok", "DE89370400440532013000",
			[]sponsorship.EventType{"payout_entered"}, unverified},
		{"a payment before finance verifies them", []act{gives(bankDE)}, pay, unverified, "DE89370400440532013000", nil, unverified},
		{"verified, they may be paid", []act{gives(bankDE)}, verifies(1), "ok", "DE89370400440532013000",
			[]sponsorship.EventType{"payout_verified"}, "ok"},
		{"a change waits for the mailed link", []act{gives(bankDE), verifies(1)}, gives(bankBE), "ok", "DE89370400440532013000",
			[]sponsorship.EventType{"payout_change_requested"}, unconfirmed},
		{"a wrong code confirms nothing", []act{gives(bankDE), verifies(1), gives(bankBE)},
			func(w *world, id string) error { _, err := w.payouts.Confirm(ctx, id, "not-the-code"); return err },
			"not found", "DE89370400440532013000", nil, unconfirmed},
		{"confirmed, the change is in force and unverified", []act{gives(bankDE), verifies(1), gives(bankBE)}, confirmsChange(2),
			"ok", "BE68539007547034", []sponsorship.EventType{"payout_changed"}, unverified},
		{"opening the link again changes nothing", []act{gives(bankDE), verifies(1), gives(bankBE), confirmsChange(2)}, confirmsChange(2),
			"ok", "BE68539007547034", nil, unverified},
		{"finance cannot verify details it has not read", []act{gives(bankDE), verifies(1), gives(bankBE), confirmsChange(2)}, verifies(1),
			"conflict", "BE68539007547034", nil, unverified},
		{"nor a change still waiting", []act{gives(bankDE), verifies(1), gives(bankBE)}, verifies(1),
			"conflict", "DE89370400440532013000", nil, unconfirmed},
		{"the confirmed change verified", []act{gives(bankDE), verifies(1), gives(bankBE), confirmsChange(2)}, verifies(2),
			"ok", "BE68539007547034", []sponsorship.EventType{"payout_verified"}, "ok"},
		{"a second change replaces the first unconfirmed one", []act{gives(bankDE), verifies(1), gives(bankBE)}, gives(bankDE),
			"ok", "DE89370400440532013000", []sponsorship.EventType{"payout_change_requested"}, unconfirmed},
		{"the replaced change's link no longer works", []act{gives(bankDE), verifies(1), gives(bankBE), gives(bankDE)}, confirmsChange(2),
			"not found", "DE89370400440532013000", nil, unconfirmed},
		{"a change not confirmed within two days lapses", []act{gives(bankDE), verifies(1), gives(bankBE),
			func(w *world, _ string) error { w.clock.advance(sponsorship.DefaultPayoutConfirmWithin); return nil }},
			confirmsChange(2), "not found", "DE89370400440532013000", nil, "ok"},
		{"nothing to verify", nil, verifies(1), "invalid details:not_allowed", "", nil, "ok"},
		{"a verification naming no details", []act{gives(bankDE)}, verifies(0), "invalid details:required", "DE89370400440532013000", nil, unverified},
		{"invalid details change nothing", []act{gives(bankDE)}, gives(sponsorship.PayoutDetails{Method: "paypal"}),
			"invalid accountHolder:required email:required", "DE89370400440532013000", nil, unverified},
		{"a wrong token", nil, func(w *world, id string) error {
			_, err := w.payouts.Give(ctx, id, "not-the-token", "", bankDE)
			return err
		}, "not found", "", nil, "ok"},
		{"once paid in full, details no longer change", []act{pays("fay", "", payment("5000.00"))}, gives(bankDE),
			"transition", "", nil, "invalid amount.value:above_ceiling"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.invoiced()
			for _, g := range tt.given {
				w.must(g(w, id))
			}
			before := len(w.history(id))
			if got := kindOf(tt.act(w, id)); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if diff := cmp.Diff(tt.events, since(w.history(id), before)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			read, err := w.payouts.ForFinance(ctx, id)
			w.must(err)
			got := ""
			if read.Details != nil {
				got = read.Details.IBAN
			}
			if got != tt.iban {
				t.Errorf("finance reads IBAN %q, want %q", got, tt.iban)
			}
			if got := kindOf(pay(w, id)); got != tt.payment {
				t.Errorf("then a payment: %s, want %s", got, tt.payment)
			}
		})
	}
}

// TestPayoutDetailsAreNeverStoredOrToldInClear: what the store keeps, what the history
// says and what the applicant is answered hold nothing of the account but its last
// four characters; sealed details moved to another request do not open.
func TestPayoutDetailsAreNeverStoredOrToldInClear(t *testing.T) {
	w := newWorld(t)
	id := w.invoiced()
	w.must(gives(bankDE)(w, id))
	w.must(gives(bankBE)(w, id))
	summary, err := w.payouts.ForApplicant(ctx, id, w.tokens[id])
	w.must(err)
	if got := summary.Payout.Hint + " / " + summary.Payout.PendingHint; got != "IBAN ending 3000 / IBAN ending 7034" {
		t.Errorf("the applicant sees %q", got)
	}
	if summary.Payout.PendingHash != "" {
		t.Error("the applicant's answer holds the confirmation code's hash")
	}
	secrets := []string{"3704004405320130", "53900754", "Ada Lovelace", "COBADEFF", "GKCCBEBB"}
	var said strings.Builder
	d, err := w.store.Dossier(ctx, id)
	w.must(err)
	for _, ev := range d.History {
		fmt.Fprint(&said, ev.Message, ev.Data)
	}
	r := w.request(id)
	fmt.Fprintf(&said, "%+v", *r.Payout)
	for n := 1; n <= 2; n++ {
		rec, err := w.store.SealedPayout(ctx, id, n)
		w.must(err)
		said.Write(rec.Sealed.Ciphertext)
		if _, err := (sealer{}).Open(ctx, rec.Sealed, map[string]string{"request": "another", "payout": fmt.Sprint(n)}); err == nil {
			t.Errorf("details %d open as another request's", n)
		}
	}
	for _, s := range secrets {
		if strings.Contains(said.String(), s) {
			t.Errorf("%q is stored or told in clear", s)
		}
	}
	// The confirmation code lives in the store until it is used, never in an event.
	rec, err := w.store.SealedPayout(ctx, id, 2)
	w.must(err)
	if rec.Code == "" || strings.Contains(said.String(), rec.Code) {
		t.Errorf("the code %q is missing from the store or told in the history", rec.Code)
	}
	w.must(confirmsChange(2)(w, id))
	if rec, _ := w.store.SealedPayout(ctx, id, 2); rec.Code != "" || !rec.ExpiresAt.IsZero() {
		t.Error("a confirmed change keeps its code or its expiry")
	}
	if got := w.request(id).Payout.Hint; got != "IBAN ending 7034" {
		t.Errorf("after the confirmation the details in force are %q", got)
	}
}

// TestPayoutRetriesChangeNothing: the same details sent again under one Idempotency-Key
// (a lost answer, a second click) are answered as they stand and are no change; the
// key with other details, or on another request, is refused; without a key the same
// details again are a change, which the mailbox must confirm.
func TestPayoutRetriesChangeNothing(t *testing.T) {
	const key = "a-key-of-the-status-page-0001"
	give := func(w *world, id, key string, d sponsorship.PayoutDetails) (sponsorship.PayoutSummary, error) {
		return w.payouts.Give(ctx, id, w.tokens[id], key, d)
	}
	w := newWorld(t)
	id := w.invoiced()
	first, err := give(w, id, key, bankDE)
	w.must(err)
	again, err := give(w, id, key, bankDE)
	w.must(err)
	if !again.Replayed || again.Payout.Pending != 0 || again.Payout.Current != first.Payout.Current {
		t.Errorf("a retry: %+v", again)
	}
	if got := w.history(id); slices.Index(got, "payout_entered") != len(got)-1 {
		t.Errorf("history after a retry: %v, want one payout_entered, last", got)
	}
	// Two sends with one key at once: the loser of the race answers as the winner did.
	raced := newWorld(t)
	rid := raced.invoiced()
	raced.racedBy(1, func() {
		if _, err := raced.other().payouts.Give(ctx, rid, raced.tokens[rid], key, bankDE); err != nil {
			t.Errorf("the rival: %v", err)
		}
	})
	if s, err := give(raced, rid, key, bankDE); err != nil || !s.Replayed || s.Payout.Current != 1 || s.Payout.Pending != 0 {
		t.Errorf("the send that lost the race: %+v, %v", s, err)
	}
	if _, err := give(w, id, key, bankBE); kindOf(err) != "key reused" {
		t.Errorf("the key with other details: %s", kindOf(err))
	}
	if _, err := give(w, id, "", bankDE); err != nil {
		t.Fatal(err)
	}
	if p := w.request(id).Payout; p.Pending == 0 {
		t.Error("the same details without a key were no change")
	}
	// The key's record keeps no plain hash of the details: only an HMAC under the key.
	rec, err := w.store.GetIdempotency(ctx, sponsorship.HashSecret("payout\x00"+key))
	w.must(err)
	if rec.Fingerprint == sha256Hex(fmt.Sprint(bankDE)) || len(rec.Fingerprint) != 64 {
		t.Errorf("fingerprint %q", rec.Fingerprint)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
