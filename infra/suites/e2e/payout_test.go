//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// payoutLink is the link of the mail that confirms a change of payout details.
var payoutLink = regexp.MustCompile(`https?://[^"<\s]*/confirm#id=([^&"<\s]+)&(?:amp;)?payout=([^"&<\s]+)`)

// payoutConfirmation waits for the mail asking to confirm a change of payout details,
// as the request's address receives it, and returns its recipient and code.
func payoutConfirmation(t *testing.T, ref string) (to, code string) {
	t.Helper()
	m, parts := linkMail(t, ref, "Confirm the change of your payout details", payoutLink)
	return m.To(), parts[1]
}

// A conference's payout details, given after approval, are paid only once finance
// has verified them; a change mid-way blocks payment until the request's address
// confirms it and finance verifies the new details. The details are never stored,
// mailed, logged or told to the applicant in clear, and only finance opens them.
func TestPayoutChangeBlocksPaymentUntilVerified(t *testing.T) {
	const ibanDE, ibanBE = "DE89370400440532013000", "BE68539007547034"
	budgets(t, "SEK", []int{2033}, "conference")
	body := conferenceOf("e2e-payout@northwind.example", "SEK", "5000.00", "2033-03-01")
	id, token := approveAs(t, body)
	applicant, fin := as(t, token), staff(t, "finance")
	ref := applicant.do("GET", "/requests/"+id, nil).json(t)["reference"].(string)
	evidence(t, id, token, "invoice", -1, -1)
	path := "/requests/" + id + "/payout"

	// The first details: in force at once, unverified; payments wait for finance.
	r := applicant.do("PUT", path, map[string]any{"method": "bank_transfer", "accountHolder": "Northwind e.V.",
		"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"})
	if r.status != 200 || r.json(t)["hint"] != "IBAN ending 3000" {
		t.Fatalf("first details: %d %s", r.status, r.body)
	}
	if got := refusedFor(t, fin.do("POST", "/finance/requests/"+id+"/payments", payOf("SEK", "1000.00"))); got != "payout details verified by finance" {
		t.Errorf("payment before verification: missing %q", got)
	}
	read := fin.do("GET", "/finance/requests/"+id+"/payout", nil)
	details, _ := read.json(t)["accountDetails"].(map[string]any)
	if read.status != 200 || details["iban"] != ibanDE || read.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("finance reads: %d %v %s", read.status, read.header, read.body)
	}
	if r := staff(t, "admin").do("GET", "/finance/requests/"+id+"/payout", nil); r.status != 403 {
		t.Errorf("an admin reads the details: %d", r.status)
	}
	_, _, other := submitConfirmed(t, application("travel", "e2e-payout-other@northwind.example"))
	if r := as(t, other).do("GET", path, nil); r.status != 404 {
		t.Errorf("another applicant's token: %d", r.status)
	}
	if r := fin.do("POST", "/finance/requests/"+id+"/payout/verify", map[string]any{"details": 1}); r.status != 200 || r.json(t)["verified"] != true {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	if r := fin.do("POST", "/finance/requests/"+id+"/payments", payOf("SEK", "1000.00")); r.status != 201 {
		t.Fatalf("payment to verified details: %d %s", r.status, r.body)
	}

	// A change mid-way: a proposal until the request's address confirms it.
	r = applicant.do("PUT", path, map[string]any{"method": "bank_transfer", "accountHolder": "Northwind e.V.",
		"iban": ibanBE, "bic": "GKCCBEBB"})
	if r.status != 202 || r.json(t)["change"] == nil {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	const both = "the change of payout details confirmed by the applicant; payout details verified by finance"
	if got := refusedFor(t, fin.do("POST", "/finance/requests/"+id+"/payments", payOf("SEK", "1000.00"))); got != both {
		t.Errorf("payment during the change: missing %q", got)
	}
	to, code := payoutConfirmation(t, ref)
	if to != "e2e-payout@northwind.example" {
		t.Errorf("the confirmation went to %q, not the request's address", to)
	}
	if r := anonymous(t).do("POST", path+"/confirm", map[string]any{"code": code + "x"}); r.status != 404 {
		t.Errorf("a wrong code: %d", r.status)
	}
	if r := anonymous(t).do("POST", path+"/confirm", map[string]any{"code": code}); r.status != 200 || r.json(t)["alreadyConfirmed"] != false {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if r := anonymous(t).do("POST", path+"/confirm", map[string]any{"code": code}); r.status != 200 || r.json(t)["alreadyConfirmed"] != true {
		t.Errorf("confirm again: %d %s", r.status, r.body)
	}
	if got := refusedFor(t, fin.do("POST", "/finance/requests/"+id+"/payments", payOf("SEK", "1000.00"))); got != "payout details verified by finance" {
		t.Errorf("payment to confirmed, unverified details: missing %q", got)
	}
	read = fin.do("GET", "/finance/requests/"+id+"/payout", nil)
	if details, _ := read.json(t)["accountDetails"].(map[string]any); details["iban"] != ibanBE {
		t.Fatalf("finance reads after the change: %s", read.body)
	}
	if r := fin.do("POST", "/finance/requests/"+id+"/payout/verify", map[string]any{"details": 1}); r.status != 409 {
		t.Errorf("verifying the old details: %d %s", r.status, r.body)
	}
	if r := fin.do("POST", "/finance/requests/"+id+"/payout/verify", map[string]any{"details": 2}); r.status != 200 {
		t.Fatalf("verify the new details: %d %s", r.status, r.body)
	}
	if r := fin.do("POST", "/finance/requests/"+id+"/payments", payOf("SEK", "4000.00")); r.status != 201 || r.json(t)["status"] != "paid" {
		t.Fatalf("the rest: %d %s", r.status, r.body)
	}

	// The applicant's history records each step of theirs (finance's verifications are
	// internal, and the payout answer says whether the details are verified); nothing
	// anywhere holds the account in clear.
	var kinds []string
	for _, ev := range applicant.do("GET", "/requests/"+id, nil).json(t)["history"].([]any) {
		if typ := ev.(map[string]any)["type"].(string); strings.HasPrefix(typ, "payout_") {
			kinds = append(kinds, typ)
		}
	}
	if got := strings.Join(kinds, " "); got != "payout_entered payout_change_requested payout_changed" {
		t.Errorf("history: %s", got)
	}
	// The account is in no mail, log line, stored item or answer to the applicant; the
	// confirmation code only in its own mail (and, until used, the sealed record).
	var mails, rest strings.Builder
	for _, m := range mailAbout(t, ref) {
		mails.WriteString(m.Subject + m.Body)
	}
	rest.WriteString(stackLogs.String())
	out, err := dev.DynamoDB().Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(dev.Physical("Table")),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "REQ#" + id}}})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := json.Marshal(out.Items)
	rest.Write(stored)
	standing := applicant.do("GET", path, nil)
	if standing.json(t)["verified"] != true || len(standing.json(t)["blocking"].([]any)) != 0 {
		t.Errorf("the applicant reads: %s", standing.body)
	}
	rest.WriteString(string(applicant.do("GET", "/requests/"+id, nil).body) + string(standing.body))
	for _, secret := range []string{"3704004405320130", "539007547034", "COBADEFF", "GKCCBEBB", "Northwind e.V."} {
		if strings.Contains(mails.String()+rest.String(), secret) {
			t.Errorf("%s is in a mail, a log line, the table or the applicant's answers", secret)
		}
	}
	if strings.Contains(rest.String(), code) {
		t.Error("the confirmation code is in a log line, the table (once used) or the applicant's answers")
	}
}
