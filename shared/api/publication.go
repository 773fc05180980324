package api

import (
	"context"
	"net/http"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// PublicFieldsReader reads the fields of a decided request that admins made public.
type PublicFieldsReader interface {
	PublicFields(ctx context.Context) (sponsorship.PublicFields, error)
}

// WithPublicFields makes GET /publication answer from r; without it the page previews
// the catalogue's defaults.
func WithPublicFields(r PublicFieldsReader) SubmissionsOption {
	return func(s *submissions) { s.public = r }
}

// publicationView is the public fields with the catalogue that explains them: what the
// form's preview and the admins' screen read.
type publicationView struct {
	Fields    []sponsorship.Field     `json:"fields"`
	Version   int                     `json:"version"`
	UpdatedAt time.Time               `json:"updatedAt,omitzero"`
	Catalogue []sponsorship.FieldSpec `json:"catalogue"`
	// Anonymous is how the register names an applicant who chose anonymous, per kind.
	Anonymous map[sponsorship.Kind]string `json:"anonymous"`
}

func toPublicationView(p sponsorship.PublicFields) publicationView {
	v := publicationView{Fields: p.Fields, Version: p.Version, UpdatedAt: p.UpdatedAt,
		Catalogue: sponsorship.FieldCatalogue, Anonymous: map[sponsorship.Kind]string{}}
	if v.Fields == nil {
		v.Fields = []sponsorship.Field{}
	}
	for _, k := range sponsorship.Kinds {
		v.Anonymous[k] = sponsorship.AnonymousApplicant(k)
	}
	return v
}

// publicFields answers GET /publication: anyone may read what a decided request
// publishes, so the form can preview it before anything is sent.
func (s *submissions) publicFields(w http.ResponseWriter, r *http.Request) error {
	if _, err := strictQuery(r); err != nil {
		return err
	}
	p := sponsorship.DefaultPublicFields
	if s.public != nil {
		var err error
		if p, err = s.public.PublicFields(r.Context()); err != nil {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, toPublicationView(p))
	return nil
}

// publicationChoice is the body of PUT /requests/{id}/publication.
type publicationChoice struct {
	Publication sponsorship.Publication `json:"publication"`
}

// narrowPublication answers PUT /requests/{id}/publication: the applicant narrows what
// may be published; the same choice again is answered alike and writes nothing.
func (s *submissions) narrowPublication(w http.ResponseWriter, r *http.Request) error {
	if applicantToken(r) == "" {
		return sponsorship.ErrUnauthenticated
	}
	var in publicationChoice
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	req, changed, err := s.svc.NarrowPublication(r.Context(), r.PathValue("id"), applicantToken(r), in.Publication)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("publication narrowed", "id", req.ID, "changed", changed, "version", req.Version)
	writeJSON(w, http.StatusOK, applicantRequestView(req, nil))
	return nil
}

func (h *admin) publication(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	if _, err := strictQuery(r); err != nil {
		return err
	}
	p, err := h.svc.PublicFields(r.Context(), who)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPublicationView(p))
	return nil
}

func (h *admin) putPublication(w http.ResponseWriter, r *http.Request) error {
	who, err := staffIn(r, sponsorship.GroupAdmins)
	if err != nil {
		return err
	}
	var in sponsorship.PublicFieldsInput
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	p, err := h.svc.PutPublicFields(r.Context(), who, in)
	if err != nil {
		return err
	}
	loggerFrom(r.Context()).Info("public fields changed", "version", p.Version)
	writeJSON(w, http.StatusOK, toPublicationView(p))
	return nil
}
