package api

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// strictQuery returns the query parameters, refusing (400, every problem listed) any
// parameter the route does not know, any given twice and any given empty.
func strictQuery(r *http.Request, known ...string) (url.Values, error) {
	q := r.URL.Query()
	var fields []sponsorship.FieldError
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case !slices.Contains(known, k):
			fields = append(fields, sponsorship.FieldError{Field: k, Code: sponsorship.CodeUnknownField, Message: "This route has no such query parameter."})
		case len(q[k]) > 1:
			fields = append(fields, sponsorship.FieldError{Field: k, Code: sponsorship.CodeInvalidFormat, Message: "Give this parameter once."})
		case q[k][0] == "":
			// "?status=" is not "any status": an empty value is a mistake to point out.
			fields = append(fields, sponsorship.FieldError{Field: k, Code: sponsorship.CodeRequired, Message: "Give a value, or leave the parameter out."})
		}
	}
	if len(fields) > 0 {
		e := newHTTPError(http.StatusBadRequest, "malformed", "Malformed request", "Some query parameters are not usable; each is listed in errors.")
		e.fields = fields
		return nil, e
	}
	return q, nil
}

// pageLimit reads the page size of a list (1 to MaxQueueLimit), DefaultQueueLimit when
// the query has none, recording a field error for anything else.
func pageLimit(q url.Values, fields *[]sponsorship.FieldError) int {
	l := q.Get("limit")
	if l == "" {
		return sponsorship.DefaultQueueLimit
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > sponsorship.MaxQueueLimit {
		*fields = append(*fields, sponsorship.FieldError{Field: "limit", Code: sponsorship.CodeInvalidFormat, Message: "Use a page size from 1 to 100."})
	}
	return n
}

// invalidQuery is a 422 for query parameters with well-formed but unusable values.
func invalidQuery(fields []sponsorship.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &sponsorship.ValidationError{Errors: fields}
}
