package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// staffRoutes are onboarding's: a member of staff's sign-in and roster entry, changed
// together.
func staffRoutes(rt *router, h *admin) {
	rt.handle("GET /admin/staff", h.listStaff)
	rt.handle("POST /admin/staff", h.onboard)
	rt.handle("PUT /admin/staff/{id}", h.changeStaff)
	rt.handle("POST /admin/staff/{id}/deactivate", h.staffPost(func(h *admin) staffAction { return h.staff.Deactivate }, "staff deactivated"))
	rt.handle("POST /admin/staff/{id}/reactivate", h.staffPost(func(h *admin) staffAction { return h.staff.Reactivate }, "staff reactivated"))
	rt.handle("POST /admin/staff/{id}/invitation", h.staffPost(func(h *admin) staffAction { return h.staff.Reinvite }, "invitation resent"))
}

// staffView is a member of staff: their roster entry and where they stand with the
// sign-in service.
type staffView struct {
	ID        string             `json:"id"`
	Email     string             `json:"email"`
	Name      string             `json:"name"`
	Roles     []sponsorship.Role `json:"roles"`
	CompanyID string             `json:"companyId,omitempty"`
	Company   string             `json:"company,omitempty"` // the company's name, for reading
	Active    bool               `json:"active"`
	SignIn    sponsorship.SignIn `json:"signIn"`
	Version   int                `json:"version"`
	UpdatedAt time.Time          `json:"updatedAt"`
}

func toStaffView(dir sponsorship.Directory, m sponsorship.StaffMember) staffView {
	r := toReviewerView(dir, m.Reviewer)
	return staffView{ID: r.ID, Email: r.Email, Name: r.Name, Roles: r.Roles, CompanyID: r.CompanyID, Company: r.Company,
		Active: r.Active, SignIn: m.SignIn, Version: r.Version, UpdatedAt: r.UpdatedAt}
}

func (h *admin) listStaff(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	if _, err := strictQuery(r); err != nil {
		return err
	}
	members, dir, err := h.staff.List(r.Context(), who)
	if err != nil {
		return err
	}
	out := list[staffView]{Items: make([]staffView, 0, len(members))}
	for _, m := range members {
		out.Items = append(out.Items, toStaffView(dir, m))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *admin) onboard(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	var in sponsorship.StaffInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	m, dir, err := h.staff.Onboard(r.Context(), who, in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("staff onboarded", "staff", m.ID, "version", m.Version)
	writeJSON(w, http.StatusCreated, toStaffView(dir, m))
	return nil
}

func (h *admin) changeStaff(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	var in sponsorship.StaffChange
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	m, dir, err := h.staff.Change(r.Context(), who, r.PathValue("id"), in)
	if err != nil {
		return staffError(err)
	}
	loggerFrom(r.Context()).Info("staff changed", "staff", m.ID, "version", m.Version)
	writeJSON(w, http.StatusOK, toStaffView(dir, m))
	return nil
}

// staffAction is a change to one member of staff that takes no body.
type staffAction func(ctx context.Context, who sponsorship.Staff, id string) (sponsorship.StaffMember, sponsorship.Directory, error)

// staffPost answers POST /admin/staff/{id}/<action>; the action is picked per call.
func (h *admin) staffPost(action func(*admin) staffAction, logged string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		who, err := staffIn(r, sponsorship.GroupAdmins)
		if err != nil {
			return err
		}
		m, dir, err := action(h)(r.Context(), who, r.PathValue("id"))
		if err != nil {
			return staffError(err)
		}
		loggerFrom(r.Context()).Info(logged, "staff", m.ID, "version", m.Version)
		writeJSON(w, http.StatusOK, toStaffView(dir, m))
		return nil
	}
}

// staffError says "no such member of staff" where the roster has no entry with the id;
// other errors go to classify.
func staffError(err error) error {
	var incomplete *sponsorship.IncompleteError
	if errors.Is(err, sponsorship.ErrNotFound) && !errors.As(err, &incomplete) {
		return newHTTPError(http.StatusNotFound, "not-found", "Not found", "There is no member of staff with this id on the roster.")
	}
	return err
}
