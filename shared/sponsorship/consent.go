package sponsorship

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// NarrowPublication changes what may be published of a request to p, which must
// publish no more than the current choice: a wider one gives a
// *PublicationWideningError and changes nothing. The same choice again changes nothing
// and writes nothing (changed false). It is allowed in every status: an applicant may
// take their name out of the register after the decision too.
func (s *Service) NarrowPublication(ctx context.Context, id, token string, p Publication) (_ *Request, changed bool, err error) {
	if !p.Valid() {
		var v validator
		if p == "" {
			v.add("publication", CodeRequired, "Choose named, anonymous or none.")
		} else {
			v.add("publication", CodeUnknownValue, "Choose named, anonymous or none.")
		}
		return nil, false, v.err()
	}
	for attempt := 1; ; attempt++ {
		req, err := s.authorize(ctx, id, token)
		if err != nil {
			return nil, false, err
		}
		current := req.Publication.Or(PublishNone)
		if current == p {
			return req, false, nil
		}
		if !current.Narrows(p) {
			return nil, false, &PublicationWideningError{Current: current, Asked: p}
		}
		now := s.now()
		next := *req
		next.Publication, next.Version, next.UpdatedAt = p, req.Version+1, now
		ev := AuditEvent{
			RequestID: id, Version: next.Version, Type: EventPublicationNarrowed, At: now,
			Actor:   Actor{Role: RoleApplicant, Name: req.Applicant.Name},
			Message: "Was: " + publicationWords(current) + ". Now: " + publicationWords(p) + ".",
			Data:    map[string]string{"publication": string(p), "previousPublication": string(current)},
		}
		c := Change{Request: &next, Events: []AuditEvent{ev}}
		if listed(req) {
			// A listed decision loses what the narrower choice withholds, at once.
			c.Register = &RegisterChange{Key: RegisterKey{FiscalYear: req.FiscalYear, ID: id}, Narrow: p}
		}
		err = s.store.Apply(ctx, c)
		var conflict *ConflictError
		if errors.As(err, &conflict) && attempt < maxUpdateAttempts {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("narrow publication of %s: %w", id, err)
		}
		return &next, true, nil
	}
}

// narrowOnEdit applies the publication choice an edit carries, if any: narrower than
// the current one it is taken and noted on the edit's event, wider it is refused.
func narrowOnEdit(req *Request, p Publication, ev *AuditEvent) error {
	current := req.Publication.Or(PublishNone)
	if p == "" || p == current {
		return nil
	}
	if !current.Narrows(p) {
		return &PublicationWideningError{Current: current, Asked: p}
	}
	req.Publication = p
	if ev.Data == nil {
		ev.Data = map[string]string{}
	}
	ev.Data["publication"], ev.Data["previousPublication"] = string(p), string(current)
	return nil
}

// publicationWords says a choice as the history shows it.
func publicationWords(p Publication) string {
	switch p {
	case PublishNamed:
		return "published with name and organization"
	case PublishAnonymous:
		return "published without name or organization"
	}
	return "counted in the totals only"
}

// PublicFieldsStore reads and writes the admins' choice of public fields.
type PublicFieldsStore interface {
	// PublicFields reads the settings, or DefaultPublicFields when none were saved.
	PublicFields(ctx context.Context) (PublicFields, error)
	// PutPublicFields saves them (Version 1 the first time, else one more than the
	// stored version) with their audit event, in one transaction; a stored version
	// other than p.Version-1 gives *ConflictError.
	PutPublicFields(ctx context.Context, p PublicFields, ev AuditEvent) error
}

// PublicFields returns the fields of a decided request that are public, for admins
// (anyone may read them through the submissions API, for the form's preview).
func (s *AdminService) PublicFields(ctx context.Context, who Staff) (PublicFields, error) {
	if err := requireAdmin(who); err != nil {
		return PublicFields{}, err
	}
	return s.store.PublicFields(ctx)
}

// PutPublicFields changes which fields of a decided request are public. Fields the
// catalogue says can never be public are refused, each by its place in the list.
// Saving the same fields again writes nothing.
func (s *AdminService) PutPublicFields(ctx context.Context, who Staff, in PublicFieldsInput) (PublicFields, error) {
	if err := requireAdmin(who); err != nil {
		return PublicFields{}, err
	}
	fields, err := validPublicFields(in)
	if err != nil {
		return PublicFields{}, err
	}
	old, err := s.store.PublicFields(ctx)
	if err != nil {
		return PublicFields{}, fmt.Errorf("read public fields: %w", err)
	}
	if old.Version > 0 && strings.Join(fieldNames(old.Fields), ",") == strings.Join(fieldNames(fields), ",") {
		return old, nil
	}
	actor, err := s.actor(ctx, who)
	if err != nil {
		return PublicFields{}, err
	}
	p := PublicFields{Fields: fields, Version: old.Version + 1, UpdatedAt: s.now()}
	ev := adminEvent(actor, EventSettingsChanged, "publication", p.UpdatedAt, map[string]string{
		"publicFields": strings.Join(fieldNames(fields), ","), "previousPublicFields": strings.Join(fieldNames(old.Fields), ","),
	})
	if err := s.store.PutPublicFields(ctx, p, ev); err != nil {
		return PublicFields{}, fmt.Errorf("save public fields: %w", err)
	}
	return p, nil
}

func fieldNames(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}
