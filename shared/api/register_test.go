//go:build integration

package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/api"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/dynamostore"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// registerCase is one decided request of the privacy test: who applied, what they
// chose, what the committee decided, and what the applicant narrowed to afterwards.
type registerCase struct {
	label       string
	publication string
	outcome     string // approve or reject
	narrowTo    string // after the decision; "" for no change
	paid        bool
	id, token   string
}

// secrets are the distinctive strings of a case's request: its e-mail address,
// summary, comment, kind details and cost lines never reach the public; its name and
// organization only while it is published named, its title only while it is listed.
func (c *registerCase) name() string  { return "Applicantname" + c.label }
func (c *registerCase) org() string   { return "Orgname" + c.label }
func (c *registerCase) title() string { return "Titleword" + c.label }
func (c *registerCase) secrets() []string {
	return []string{"mail" + strings.ToLower(c.label) + "@secret.example", "Summaryword" + c.label, "Commentword" + c.label,
		"Repo" + c.label, "Milestoneword" + c.label, "Costline" + c.label, "Changesword" + c.label}
}

// final is the choice in force at the end.
func (c *registerCase) final() string {
	if c.narrowTo != "" {
		return c.narrowTo
	}
	return c.publication
}

// submitCase submits, confirms, comments on and decides a case's request.
func (s *staffAPI) submitCase(c *registerCase) {
	s.t.Helper()
	body := project()
	body["title"], body["summary"] = c.title(), "Summaryword"+c.label+" holds what the committee alone reads."
	body["applicant"] = map[string]any{"name": c.name(), "email": c.secrets()[0], "organization": c.org()}
	body["amount"] = map[string]any{"currency": "EUR", "value": "1000.00"}
	body["budgetItems"] = []any{map[string]any{"description": "Costline" + c.label, "amount": map[string]any{"currency": "EUR", "value": "1000.00"}}}
	body["project"] = map[string]any{"name": "Cranelift RVV", "repositoryUrl": "https://example.net/Repo" + c.label, "licence": "MIT",
		"milestones": []any{map[string]any{"title": "Milestoneword" + c.label, "dueDate": "2027-06-30", "amount": map[string]any{"currency": "EUR", "value": "1000.00"}}}}
	if c.publication != "" {
		body["publication"] = c.publication
	}
	m := s.must(s.call(s.applic, nobody, "POST", "/requests", body), 201)
	c.id, c.token = m["id"].(string), m["applicantToken"].(string)
	s.confirm(c.id)
	s.must(s.call(s.reviews, reviewerP("a1"), "POST", "/review/requests/"+c.id+"/comments", map[string]any{"text": "Commentword" + c.label + " between us."}), 201)
	for _, who := range []string{"a1", "b", "c"} {
		s.must(s.vote(who, c.id, map[string]any{"choice": c.outcome, "comment": "Changesword" + c.label}), 200)
	}
}

// publicByte is one public response: its path and its bytes.
type publicByte struct {
	path string
	body []byte
}

func TestTheRegisterPublishesNothingConsentDoesNotAllow(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "100000.00")
	fin := s.financeAPI(0)
	cases := []*registerCase{
		{label: "Namedapproved", publication: "named", outcome: "approve", paid: true},
		{label: "Namedrejected", publication: "named", outcome: "reject"},
		{label: "Anonapproved", publication: "anonymous", outcome: "approve"},
		{label: "Anonrejected", publication: "anonymous", outcome: "reject"},
		{label: "Noneapproved", publication: "none", outcome: "approve", paid: true},
		{label: "Nonerejected", publication: "none", outcome: "reject"},
		{label: "Silentapproved", outcome: "approve"}, // an API client that left the choice out
		{label: "Narrowedanon", publication: "named", outcome: "approve", narrowTo: "anonymous"},
		{label: "Narrowednone", publication: "named", outcome: "reject", narrowTo: "none"},
	}
	for _, c := range cases {
		s.submitCase(c)
		if c.paid {
			s.evidenced(c.id, c.token)
			s.must(s.payWithKey(fin, c.id, "key-"+c.label, map[string]any{"amount": map[string]any{"currency": "EUR", "value": "400.00"},
				"date": "2026-11-25", "method": "bank_transfer", "externalReference": "SEPA-" + c.label, "milestone": 0}), 201)
		}
		if c.narrowTo != "" {
			s.must(s.callApplicantBody("PUT", "/requests/"+c.id+"/publication", c.token, map[string]any{"publication": c.narrowTo}), 200)
		}
	}
	var ids []string
	for _, c := range cases {
		ids = append(ids, c.id)
	}
	public := s.publicWithLog(t, ids)

	// The public fields: the defaults, then every field admins may make public.
	var all []string
	for _, f := range sponsorship.FieldCatalogue {
		if f.Publishable {
			all = append(all, string(f.Field))
		}
	}
	for _, setting := range []struct {
		name   string
		fields []string
	}{{"default fields", nil}, {"every publishable field", all}} {
		t.Run(setting.name, func(t *testing.T) {
			if setting.fields != nil {
				s.must(s.call(s.admin, adminUser, "PUT", "/admin/publication", map[string]any{"fields": setting.fields}), 200)
			}
			bytesSeen := s.everyPublicByte(t, public, cases)
			for _, c := range cases {
				for _, b := range bytesSeen {
					for _, secret := range c.secrets() {
						if bytes.Contains(b.body, []byte(secret)) {
							t.Errorf("%s: %s shows %q, which is never public", c.label, b.path, secret)
						}
					}
					if c.final() != "named" {
						for _, who := range []string{c.name(), c.org()} {
							if bytes.Contains(b.body, []byte(who)) {
								t.Errorf("%s (%s): %s shows %q", c.label, c.final(), b.path, who)
							}
						}
					}
					if (c.final() == "none" || c.final() == "") && bytes.Contains(b.body, []byte(c.title())) {
						t.Errorf("%s (%s): %s lists it", c.label, c.final(), b.path)
					}
				}
				// What consent allows does show: a named applicant under the defaults is
				// named on their decision's page.
				page := s.call(public, nobody, "GET", "/register/2026/"+c.id, nil)
				switch c.final() {
				case "named":
					if page.status != 200 || !bytes.Contains(page.body, []byte(c.name())) || !bytes.Contains(page.body, []byte(c.org())) {
						t.Errorf("%s: its page %d does not name %s of %s", c.label, page.status, c.name(), c.org())
					}
					if !bytes.Contains(page.body, []byte(`<a href="/log/proof/`)) {
						t.Errorf("%s: its page does not link its decision's leaf in the log", c.label)
					}
				case "anonymous":
					if page.status != 200 || !bytes.Contains(page.body, []byte("an individual")) {
						t.Errorf("%s: its page %d does not say an individual", c.label, page.status)
					}
				default:
					if page.status != 404 {
						t.Errorf("%s (%s): its page answers %d, want 404", c.label, c.final(), page.status)
					}
				}
			}
		})
	}

	// Every decision counts in the totals: six approved, three rejected, listed or not.
	var totals struct {
		Decided []struct{ Approved, Rejected int }
		Amounts []struct{ Approved, Paid string }
	}
	if err := json.Unmarshal(s.call(public, nobody, "GET", "/register/2026/totals.json", nil).body, &totals); err != nil {
		t.Fatal(err)
	}
	if len(totals.Decided) != 1 || totals.Decided[0].Approved != 5 || totals.Decided[0].Rejected != 4 ||
		len(totals.Amounts) != 1 || totals.Amounts[0].Approved != "5000.00" || totals.Amounts[0].Paid != "800.00" {
		t.Errorf("totals: %+v; want 5 approved and 4 rejected, EUR 5000.00 approved and 800.00 paid", totals)
	}
}

// publicWithLog builds the public function's API with the register, and appends every
// audit event to the log as the ledger function would, so that the log's bytes are
// read too.
func (s *staffAPI) publicWithLog(t *testing.T, ids []string) http.Handler {
	t.Helper()
	var entries []ledger.Entry
	for _, id := range ids {
		d, err := s.store.Dossier(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range d.History {
			entries = append(entries, ledger.Entry{Key: dynamostore.LogKey("REQ#"+id, fmt.Sprintf("EVENT#%010d", ev.Version)),
				Data: ledger.NewLeaf(ev, ev.Salt, nil).Data()})
		}
	}
	return s.publicRegister(s.signedLog(t, entries))
}

// publicRegister is the public function's API with the register, dated by the tests'
// clock, and the log of verifier key vkey.
func (s *staffAPI) publicRegister(vkey string) http.Handler {
	return api.NewPublic(s.store, vkey, slog.New(slog.DiscardHandler),
		api.WithRegister(s.store, sponsorship.FiscalCalendar{StartMonth: time.January}, "https://tracker.example", func() time.Time { return now }))
}

// everyPublicByte fetches everything the public function serves about the cases: the
// list with every filter, each case's decision page, both feeds, the CSV and the
// totals, and the whole log (checkpoint, tiles, entry bundles and each leaf's proof).
// Each answer is checked against the OpenAPI document on the way.
func (s *staffAPI) everyPublicByte(t *testing.T, public http.Handler, cases []*registerCase) []publicByte {
	t.Helper()
	var out []publicByte
	get := func(path string, want int) []byte {
		r := s.call(public, nobody, "GET", path, nil)
		if r.status != want {
			t.Errorf("GET %s: %d, want %d: %s", path, r.status, want, r.body)
		}
		out = append(out, publicByte{path, r.body})
		return r.body
	}
	for _, year := range []string{"", "fiscalYear=2026", "fiscalYear=2025"} {
		for _, kind := range []string{"", "kind=conference", "kind=travel", "kind=project"} {
			for _, outcome := range []string{"", "outcome=approved", "outcome=rejected"} {
				q := strings.Join(slices.DeleteFunc([]string{year, kind, outcome}, func(s string) bool { return s == "" }), "&")
				get("/register?"+q, 200)
			}
		}
	}
	for _, c := range cases {
		want := 200
		if f := c.final(); f == "none" || f == "" {
			want = 404
		}
		get("/register/2026/"+c.id, want)
	}
	get("/register/feed.json", 200)
	get("/register/feed.atom", 200)
	get("/register/2026/decisions.csv", 200)
	get("/register/2026/totals.json", 200)
	checkpoint := get("/log/checkpoint", 200)
	lines := strings.Split(string(checkpoint), "\n")
	var size int64
	fmt.Sscan(lines[1], &size)
	for n := int64(0); n*256 < size; n++ {
		width := min(size-n*256, 256)
		suffix := ""
		if width < 256 {
			suffix = fmt.Sprintf(".p/%d", width)
		}
		get(fmt.Sprintf("/log/tile/entries/%03d%s", n, suffix), 200)
		get(fmt.Sprintf("/log/tile/0/%03d%s", n, suffix), 200)
	}
	for i := range size {
		get(fmt.Sprintf("/log/proof/%d", i), 200)
	}
	return out
}

func TestTheRegisterPages(t *testing.T) {
	s := newStaffAPI(t)
	s.committee()
	s.budget(2026, "project", "EUR", "100000.00")
	named := &registerCase{label: "Named", publication: "named", outcome: "approve"}
	rejected := &registerCase{label: "Anon", publication: "anonymous", outcome: "reject"}
	s.submitCase(named)
	s.submitCase(rejected)
	public := s.publicRegister("")

	list := s.call(public, nobody, "GET", "/register", nil)
	for _, want := range []string{`<html lang="en">`, "<main", "<caption>2 listed decisions of fiscal year 2026</caption>", `<th scope="col">Applicant</th>`,
		`<label for="f-kind">Kind</label>`, named.title(), rejected.title(), "/register/2026/" + named.id} {
		if !strings.Contains(string(list.body), want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	if csp := list.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("the list's policy %q; want no script at all", csp)
	}
	if cc := list.header.Get("Cache-Control"); cc != "public, max-age=60" || list.header.Get("ETag") == "" {
		t.Errorf("the list's caching: %q, ETag %q", cc, list.header.Get("ETag"))
	}
	if r := s.callHeader(public, nobody, "GET", "/register", nil, "If-None-Match", list.header.Get("ETag")); r.status != 304 || len(r.body) != 0 {
		t.Errorf("If-None-Match with the ETag: %d, want 304 with no body", r.status)
	}
	// As the filter form sends it, "every kind" included.
	filtered := s.call(public, nobody, "GET", "/register?fiscalYear=2026&kind=&outcome=rejected", nil)
	if !strings.Contains(string(filtered.body), rejected.title()) || strings.Contains(string(filtered.body), named.title()) {
		t.Errorf("outcome=rejected lists the wrong decisions")
	}
	r := s.call(public, nobody, "GET", "/register?fiscalYear=1999&kind=grant&outcome=maybe", nil)
	if r.status != 422 || !slices.Equal(r.fieldCodes(t), []string{"fiscalYear=invalid_format", "kind=unknown_value", "outcome=unknown_value"}) {
		t.Errorf("bad filters: %d %s; want 422 naming all three", r.status, r.body)
	}
	for _, q := range []string{"colour=red", "fiscalYear="} {
		if r := s.call(public, nobody, "GET", "/register?"+q, nil); r.status != 400 {
			t.Errorf("?%s: %d, want 400", q, r.status)
		}
	}
	for _, path := range []string{"/register/2026/01KC0000000000000000000099", "/register/2026/not-an-id", "/register/2025/" + named.id} {
		if r := s.call(public, nobody, "GET", path, nil); r.status != 404 {
			t.Errorf("GET %s: %d, want 404", path, r.status)
		}
	}

	page := s.call(public, nobody, "GET", "/register/2026/"+named.id, nil)
	for _, want := range []string{"<h1>" + named.title() + "</h1>", named.name(), named.org(), "Votes by seat", "Acme Compilers Inc.", "/log/checkpoint"} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("the decision page lacks %q", want)
		}
	}

	var feed struct {
		Version string
		Items   []struct {
			ID       string
			Register map[string]any `json:"_register"`
		}
	}
	if err := json.Unmarshal(s.call(public, nobody, "GET", "/register/feed.json", nil).body, &feed); err != nil {
		t.Fatal(err)
	}
	// Both were decided at the test clock's one instant: either may come first.
	if feed.Version != "https://jsonfeed.org/version/1.1" || len(feed.Items) != 2 ||
		!slices.ContainsFunc(feed.Items, func(it struct {
			ID       string
			Register map[string]any `json:"_register"`
		}) bool {
			return it.ID == "https://tracker.example/register/2026/"+rejected.id && it.Register["applicant"] == "an individual"
		}) {
		t.Errorf("JSON feed: %+v", feed)
	}
	// The feed of the latest decisions spans every year; a year's feed holds that year.
	var yearFeed struct {
		Title string
		Items []any
	}
	if err := json.Unmarshal(s.call(public, nobody, "GET", "/register/feed.json?fiscalYear=2025", nil).body, &yearFeed); err != nil {
		t.Fatal(err)
	}
	if yearFeed.Title != "Sponsorship Tracker: decisions of fiscal year 2025" || len(yearFeed.Items) != 0 {
		t.Errorf("fiscal year 2025's feed: %+v; want its title and no decisions", yearFeed)
	}
	var atom struct {
		XMLName xml.Name
		Entries []struct {
			ID string `xml:"id"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(s.call(public, nobody, "GET", "/register/feed.atom", nil).body, &atom); err != nil {
		t.Fatal(err)
	}
	if atom.XMLName.Space != "http://www.w3.org/2005/Atom" || len(atom.Entries) != 2 {
		t.Errorf("Atom feed: %+v", atom)
	}
	rows, err := csv.NewReader(bytes.NewReader(s.call(public, nobody, "GET", "/register/2026/decisions.csv", nil).body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "reference" || !slices.Contains(rows[1], named.name()) && !slices.Contains(rows[2], named.name()) {
		t.Errorf("CSV: %v", rows)
	}
}
