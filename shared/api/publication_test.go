//go:build integration

package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTheApplicantChoosesAndNarrowsPublication(t *testing.T) {
	a := newTestAPI(t)
	silent, silentToken := a.submit(conference())
	if got := a.do("GET", "/requests/"+silent, nil, bearer(silentToken)...).json(t)["publication"]; got != "none" {
		t.Errorf("submitted without a choice: publication %v, want none", got)
	}
	body := conference()
	body["publication"] = "named"
	id, token := a.submit(body)
	path := "/requests/" + id + "/publication"

	r := a.do("PUT", path, map[string]any{"publication": "anonymous"}, bearer(token)...)
	if r.status != http.StatusOK || r.json(t)["publication"] != "anonymous" {
		t.Fatalf("named → anonymous: %d %s", r.status, r.body)
	}
	version := r.json(t)["version"]
	r = a.do("PUT", path, map[string]any{"publication": "anonymous"}, bearer(token)...)
	if r.status != http.StatusOK || r.json(t)["version"] != version {
		t.Errorf("the same choice again: %d %s; want 200 at version %v", r.status, r.body, version)
	}
	history := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t)["history"].([]any)
	if last := history[len(history)-1].(map[string]any); last["type"] != "publication_narrowed" {
		t.Errorf("the history ends with %v, want publication_narrowed", last)
	}

	r = a.do("PUT", path, map[string]any{"publication": "named"}, bearer(token)...)
	if r.status != http.StatusConflict || r.json(t)["code"] != "publication_widening" ||
		!cmp.Equal(r.fieldCodes(t), []string{"publication=not_allowed"}) {
		t.Errorf("anonymous → named: %d %s; want 409 publication_widening", r.status, r.body)
	}
	for _, tt := range []struct {
		body   any
		header []string
		status int
		codes  []string
	}{
		{map[string]any{"publication": "everything"}, bearer(token), 422, []string{"publication=unknown_value"}},
		{map[string]any{}, bearer(token), 422, []string{"publication=required"}},
		{map[string]any{"publication": "none", "name": "x"}, bearer(token), 400, nil},
		{map[string]any{"publication": "none"}, nil, 401, nil},
		{map[string]any{"publication": "none"}, bearer(silentToken), 404, nil},
	} {
		r := a.do("PUT", path, tt.body, tt.header...)
		if r.status != tt.status || tt.codes != nil && !cmp.Equal(r.fieldCodes(t), tt.codes) {
			t.Errorf("PUT %v: %d %s; want %d %v", tt.body, r.status, r.body, tt.status, tt.codes)
		}
	}
	if got := a.do("GET", "/requests/"+id, nil, bearer(token)...).json(t)["publication"]; got != "anonymous" {
		t.Errorf("after the refusals: %v, want anonymous", got)
	}

	// An unknown choice at submission is listed with the other field errors.
	body["publication"] = "everyone"
	body["title"] = ""
	if r := a.do("POST", "/requests", body); r.status != 422 || !slices.Contains(r.fieldCodes(t), "publication=unknown_value") {
		t.Errorf("a submission with an unknown choice: %d %s", r.status, r.body)
	}
}

func TestAnyoneReadsThePublicFields(t *testing.T) {
	a := newTestAPI(t)
	r := a.do("GET", "/publication", nil)
	m := r.json(t)
	if r.status != http.StatusOK || len(m["fields"].([]any)) != 9 || m["version"].(float64) != 0 ||
		m["anonymous"].(map[string]any)["travel"] != "an individual speaker" {
		t.Errorf("GET /publication: %d %s", r.status, r.body)
	}
	if r := a.do("GET", "/publication?all=1", nil); r.status != http.StatusBadRequest {
		t.Errorf("an unknown query parameter: %d", r.status)
	}
}

func TestAdminsChooseThePublicFields(t *testing.T) {
	s := newStaffAPI(t)
	r := s.call(s.admin, adminUser, "PUT", "/admin/publication", map[string]any{"fields": []string{"email", "title", "shoeSize", "comments"}})
	if r.status != 422 || !cmp.Equal(r.fieldCodes(t), []string{"fields[0]=not_allowed", "fields[2]=unknown_value", "fields[3]=not_allowed"}) {
		t.Errorf("never-public and unknown fields: %d %s", r.status, r.body)
	}
	r = s.call(s.admin, adminUser, "PUT", "/admin/publication", map[string]any{"fields": []string{"title", "kind"}})
	if m := r.json(t); r.status != 200 || m["version"].(float64) != 1 || !cmp.Equal(m["fields"], []any{"kind", "title"}) {
		t.Errorf("kind and title: %d %s", r.status, r.body)
	}
	if r := s.call(s.admin, adminUser, "GET", "/admin/publication", nil); r.status != 200 || r.json(t)["version"].(float64) != 1 {
		t.Errorf("read back: %d %s", r.status, r.body)
	}
	for _, who := range []person{nobody, financeP, reviewerP("a1")} {
		if r := s.call(s.admin, who, "PUT", "/admin/publication", map[string]any{"fields": []string{}}); r.status != 401 && r.status != 403 {
			t.Errorf("PUT as %q: %d", who.sub, r.status)
		}
	}
}
