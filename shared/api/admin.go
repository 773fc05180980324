package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// NewAdmin returns the admins' API: staff onboarding (sign-in and roster in one step),
// the roster with affiliations, budgets per fiscal year, category and currency, and the
// governance settings. Every route needs a staff JWT in the admins group (finance may
// also read budgets).
func NewAdmin(svc *sponsorship.AdminService, staff *sponsorship.StaffService, log *slog.Logger) http.Handler {
	rt := newRouter()
	adminRoutes(rt, &admin{svc: svc, staff: staff})
	return withBasics(log, rt)
}

func adminRoutes(rt *router, h *admin) {
	rt.handle("GET /admin/reviewers", h.roster)
	rt.handle("PUT /admin/reviewers/{id}", h.putReviewer)
	rt.handle("GET /admin/companies", h.companies)
	rt.handle("PUT /admin/companies/{id}", h.putCompany)
	rt.handle("GET /admin/budgets", h.budgets)
	rt.handle("PUT /admin/budgets/{fiscalYear}/{category}/{currency}", h.putBudget)
	rt.handle("GET /admin/settings", h.settings)
	rt.handle("PUT /admin/settings", h.putSettings)
	rt.handle("GET /admin/publication", h.publication)
	rt.handle("PUT /admin/publication", h.putPublication)
	staffRoutes(rt, h)
}

type admin struct {
	svc   *sponsorship.AdminService
	staff *sponsorship.StaffService
}

type reviewerView struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	Email     string             `json:"email"`
	Roles     []sponsorship.Role `json:"roles"`
	CompanyID string             `json:"companyId,omitempty"`
	Company   string             `json:"company,omitempty"` // the company's name, for reading
	Active    bool               `json:"active"`
	Version   int                `json:"version"`
	UpdatedAt time.Time          `json:"updatedAt"`
}

func toReviewerView(dir sponsorship.Directory, r sponsorship.Reviewer) reviewerView {
	v := reviewerView{ID: r.ID, Name: r.Name, Email: r.Email, Roles: r.Roles, CompanyID: r.CompanyID, Active: r.Active,
		Version: r.Version, UpdatedAt: r.UpdatedAt}
	if v.Roles == nil {
		v.Roles = []sponsorship.Role{}
	}
	if c, ok := dir.Affiliation(r); ok {
		v.Company = c.Name
	}
	return v
}

// directory reads the roster and companies for an admin's list (no query parameters).
func (h *admin) directory(r *http.Request) (sponsorship.Directory, error) {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return sponsorship.Directory{}, err
	}
	if _, err := strictQuery(r); err != nil {
		return sponsorship.Directory{}, err
	}
	return h.svc.Directory(r.Context(), who)
}

// list is the answer of a route that lists things: {"items": [...]}.
type list[T any] struct {
	Items []T `json:"items"`
}

func (h *admin) roster(w http.ResponseWriter, r *http.Request) error {
	dir, err := h.directory(r)
	if err != nil {
		return err
	}
	out := list[reviewerView]{Items: []reviewerView{}}
	for _, rv := range dir.Reviewers {
		out.Items = append(out.Items, toReviewerView(dir, rv))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// companyView is a company with the roster entries that belong to it.
type companyView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Aliases   []string  `json:"aliases"`
	Domains   []string  `json:"domains"`
	Members   []string  `json:"members"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func toCompanyView(dir sponsorship.Directory, c sponsorship.Company) companyView {
	v := companyView{ID: c.ID, Name: c.Name, Aliases: c.Aliases, Domains: c.Domains, Members: []string{},
		Version: c.Version, UpdatedAt: c.UpdatedAt}
	if v.Aliases == nil {
		v.Aliases = []string{}
	}
	if v.Domains == nil {
		v.Domains = []string{}
	}
	for _, r := range dir.Reviewers {
		if r.CompanyID == c.ID {
			v.Members = append(v.Members, r.ID)
		}
	}
	return v
}

func (h *admin) companies(w http.ResponseWriter, r *http.Request) error {
	dir, err := h.directory(r)
	if err != nil {
		return err
	}
	out := list[companyView]{Items: []companyView{}}
	for _, c := range dir.Companies {
		out.Items = append(out.Items, toCompanyView(dir, c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *admin) putCompany(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	var in sponsorship.CompanyInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	c, err := h.svc.PutCompany(r.Context(), who, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("company changed", "company", c.ID, "version", c.Version)
	writeJSON(w, http.StatusOK, toCompanyView(sponsorship.Directory{}, c))
	return nil
}

func (h *admin) putReviewer(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	var in sponsorship.ReviewerInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	rv, dir, err := h.svc.PutReviewer(r.Context(), who, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("roster changed", "reviewer", rv.ID, "version", rv.Version)
	writeJSON(w, http.StatusOK, toReviewerView(dir, rv))
	return nil
}

type budgetView struct {
	FiscalYear int              `json:"fiscalYear"`
	Category   sponsorship.Kind `json:"category"`
	Currency   string           `json:"currency"`
	Allocated  string           `json:"allocated"`
	Committed  string           `json:"committed"`
	Paid       string           `json:"paid"`
	Remaining  string           `json:"remaining"`
	Version    int              `json:"version"`
	UpdatedAt  time.Time        `json:"updatedAt"`
}

func toBudgetView(b sponsorship.Budget) budgetView {
	d := func(minor int64) string { return money.Money{Currency: b.Currency, Minor: minor}.Decimal() }
	return budgetView{FiscalYear: b.FiscalYear, Category: b.Category, Currency: b.Currency, Allocated: d(b.Allocated),
		Committed: d(b.Committed), Paid: d(b.Paid), Remaining: b.Remaining().Decimal(), Version: b.Version, UpdatedAt: b.UpdatedAt}
}

func (h *admin) budgets(w http.ResponseWriter, r *http.Request) error {
	return listBudgets(w, r, h.svc)
}

// listBudgets answers GET .../budgets?fiscalYear= for admins and finance alike.
func listBudgets(w http.ResponseWriter, r *http.Request, svc *sponsorship.AdminService) error {
	who, err := staffIn(r, sponsorship.GroupAdmins, sponsorship.GroupFinance)
	if err != nil {
		return err
	}
	q, err := strictQuery(r, "fiscalYear")
	if err != nil {
		return err
	}
	year := 0
	if y := q.Get("fiscalYear"); y != "" {
		if year, err = strconv.Atoi(y); err != nil || year < 2000 || year > 2200 {
			return invalidQuery([]sponsorship.FieldError{{Field: "fiscalYear", Code: sponsorship.CodeInvalidFormat, Message: "Use a fiscal year such as 2027."}})
		}
	}
	budgets, err := svc.Budgets(r.Context(), who, year)
	if err != nil {
		return err
	}
	out := struct {
		Items []budgetView `json:"items"`
	}{Items: []budgetView{}}
	for _, b := range budgets {
		out.Items = append(out.Items, toBudgetView(b))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *admin) putBudget(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	var in sponsorship.AllocationInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	year, err := strconv.Atoi(r.PathValue("fiscalYear"))
	if err != nil {
		year = -1 // the service reports it with the other field errors
	}
	b, err := h.svc.SetAllocation(r.Context(), who, year, sponsorship.Kind(r.PathValue("category")), r.PathValue("currency"), in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("budget changed", "fiscalYear", b.FiscalYear, "category", b.Category, "currency", b.Currency)
	writeJSON(w, http.StatusOK, toBudgetView(b))
	return nil
}

type settingsView struct {
	QuorumPercent  int                      `json:"quorumPercent"`
	AdvancePercent map[sponsorship.Kind]int `json:"advancePercent"`
	Version        int                      `json:"version"`
	UpdatedAt      time.Time                `json:"updatedAt,omitzero"`
}

func toSettingsView(g sponsorship.Governance) settingsView {
	advances := map[sponsorship.Kind]int{}
	for _, k := range sponsorship.Kinds {
		advances[k] = g.AdvancePercent[k]
	}
	return settingsView{QuorumPercent: g.QuorumPercent, AdvancePercent: advances, Version: g.Version, UpdatedAt: g.UpdatedAt}
}

func (h *admin) settings(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	g, err := h.svc.Governance(r.Context(), who)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSettingsView(g))
	return nil
}

func (h *admin) putSettings(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	var in sponsorship.GovernanceInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	g, err := h.svc.PutGovernance(r.Context(), who, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSettingsView(g))
	return nil
}
