package memstore

import (
	"context"
	"slices"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// PublicFields reads the public fields, or sponsorship.DefaultPublicFields when none
// were saved.
func (s *Store) PublicFields(context.Context) (sponsorship.PublicFields, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := sponsorship.DefaultPublicFields
	if s.public != nil {
		p = *s.public
	}
	p.Fields = slices.Clone(p.Fields) // the caller's copy, as a read from DynamoDB is
	return p, nil
}

// PutPublicFields saves the public fields (Version 1 the first time, else one more
// than the stored version) with their audit event; else *sponsorship.ConflictError.
func (s *Store) PutPublicFields(_ context.Context, p sponsorship.PublicFields, ev sponsorship.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Fields = slices.Clone(p.Fields)
	return saveVersioned(s, &s.public, p, func(p *sponsorship.PublicFields) int { return p.Version }, "public fields", ev)
}
