//go:build integration

package api_test

import (
	"testing"
)

// A request with a checked file answers within the OpenAPI document everywhere the
// applicant and staff read it: the history's attachment event, the file lists, the
// download link and the refusal of a file still being checked (each response is held
// to the document by the test's checker).
func TestAttachmentsAnswerWithinTheDocument(t *testing.T) {
	s, _ := newCountedAPI(t)
	s.committee()
	id, token := s.submitProject("120.00")
	file := s.acceptedFile(id, token)
	request := s.must(s.callApplicant("GET", "/requests/"+id, token), 200)
	history := request["history"].([]any)
	if last := history[len(history)-1].(map[string]any); last["type"] != "attachment_added" {
		t.Errorf("the history ends with %v", last)
	}
	s.must(s.callApplicant("GET", "/requests/"+id+"/attachments", token), 200)
	s.must(s.callApplicant("GET", "/requests/"+id+"/attachments/"+file+"/download", token), 200)
	pending := s.must(s.callApplicantBody("POST", "/requests/"+id+"/attachments", token,
		map[string]any{"name": "later.pdf", "type": "application/pdf", "size": 10, "purpose": "quote"}), 201)
	pendingID := pending["attachment"].(map[string]any)["id"].(string)
	if r := s.callApplicant("GET", "/requests/"+id+"/attachments/"+pendingID+"/download", token); r.status != 409 {
		t.Errorf("a file still being checked: %d", r.status)
	}
	s.must(s.call(s.reviews, reviewerP("c"), "GET", "/review/requests/"+id+"/attachments", nil), 200)
}

// An archive is made only of files that are still what their check accepted: an
// accepted file whose object is gone from the bucket refuses the archive with 409
// file_changed, never a 500, and no link.
func TestEvidenceArchiveRefusesAFileChangedSinceItsCheck(t *testing.T) {
	s, _ := newCountedAPI(t)
	s.committee()
	id, token := s.submitProject("100.00")
	s.acceptedFile(id, token) // recorded as accepted; no object was ever uploaded
	fin := s.financeAPI(0)
	r := s.call(fin, financeP, "GET", "/finance/requests/"+id+"/archive", nil)
	if r.status != 409 || r.json(t)["code"] != "file_changed" {
		t.Fatalf("archive of a changed file: %d %s", r.status, r.body)
	}
}
