package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/lambdahttp"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// FuzzDecodeRequest sends arbitrary bodies to the strict decoder as a submission does,
// and checks what it promises. It never panics. A refusal is the API's own problem (400,
// 413 or 415, never an internal error), each field error names the body or a path of
// the request's shape with a word and a message for people, and a body that is JSON
// gets field errors, not a general one. What it accepts validates or gets field errors
// on paths of the request's shape, and decodes again, once marshalled, to the same
// value (with the nulls encoding/json writes for empty lists left out, as a client
// would). It needs no AWS: the package's TestMain starts moto, nothing here uses it.
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range []string{
		`{"kind":"conference","title":"Sponsor the compiler track","summary":"A silver sponsorship for the toolchains microconference.",` +
			`"applicant":{"name":"Ada","email":"ada@example.org","organization":"Plumbers"},"amount":{"currency":"EUR","value":"5000.00"},` +
			`"conference":{"eventName":"LPC","eventUrl":"https://lpc.events/","startDate":"2027-09-01","endDate":"2027-09-03","location":"Prague","tier":"silver","expectedAttendees":600}}`,
		`{"kind":"project","title":"Vectors","summary":"Three milestones of work on vectors.","amount":{"currency":"JPY","value":"30000"},` +
			`"project":{"name":"RVV","repositoryUrl":"https://github.com/x/y","licence":"MIT","milestones":[{"title":"All","dueDate":"2027-01-31","amount":{"currency":"JPY","value":"30000"}}]}}`,
		`{"kind":"travel","budgetItems":[{"description":"Air","amount":{"currency":"USD","value":"1.5"}},null],"travel":{"traveller":"G","talkUrl":null}}`,
		`{"Kind":"travel","title":7,"amount":"12","applicant":[],"budgetItems":{},"conference":{"expectedAttendees":1.5,"extra":{"x":[1]}}}`,
		`{"a.b":1,"budgetItems":[{"amount":{"value":true,"cents":1}}]}`,
		`[1,2]`, `"x"`, `null`, ``, ` `, `{`, `{"title":"\ud800"}`, "{\"title\":\"\xff\"}", `{} {}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in sponsorship.RequestInput
		if err := decodeJSON(jsonRequest(body), &in, false); err != nil {
			checkDecodeError(t, body, err)
			return
		}
		remarshalled, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		// encoding/json writes an empty list as null, which the API refuses as a value:
		// a client leaves such a field out.
		remarshalled = withoutNulls(t, remarshalled)
		var again sponsorship.RequestInput
		if err := decodeJSON(jsonRequest(remarshalled), &again, false); err != nil {
			t.Fatalf("%s decodes, but not once marshalled again (%s): %v", body, remarshalled, err)
		}
		if diff := cmp.Diff(in, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("decoding %s again changes it (-first +again):\n%s", remarshalled, diff)
		}
		_, err = sponsorship.Validate(in, sponsorship.DefaultRules, "2026-11-25")
		var ve *sponsorship.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("validation error %#v is not a *ValidationError", err)
		}
		if ve != nil {
			for _, fe := range ve.Errors {
				if !shapePath(fe.Field) {
					t.Fatalf("validation error on %q, which is not a path of the request", fe.Field)
				}
			}
		}
	})
}

func jsonRequest(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/requests", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// checkDecodeError checks a refusal of body: an *httpError the API answers as it is,
// whose field errors a person can act on.
func checkDecodeError(t *testing.T, body []byte, err error) {
	t.Helper()
	var he *httpError
	if !errors.As(err, &he) || classify(err) != he || he == errInternal {
		t.Fatalf("decode error %#v is not one of the API's problems", err)
	}
	if !slices.Contains([]int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType}, he.status) {
		t.Fatalf("decode error status %d", he.status)
	}
	if he.status == http.StatusBadRequest && len(he.fields) == 0 {
		t.Fatalf("400 without field errors: %v", he)
	}
	isJSON := utf8.Valid(body) && json.Valid(body)
	for _, fe := range he.fields {
		var ok bool
		switch fe.Code {
		case sponsorship.CodeMalformed:
			ok = fe.Field == "body" && !isJSON
		case sponsorship.CodeWrongType:
			ok = shapePath(fe.Field)
		case sponsorship.CodeUnknownField:
			ok = unknownFieldPath(fe.Field)
		case sponsorship.CodeDuplicateField:
			ok = isJSON && fe.Field != "" && fe.Field != "body"
		}
		if !ok || fe.Message == "" || leaksInternals(fe.Message) || leaksInternals(he.detail) {
			t.Fatalf("field error %+v (detail %q) for body %q", fe, he.detail, body)
		}
	}
}

// leaksInternals reports text that comes from Go's decoder rather than from the API.
func leaksInternals(s string) bool {
	for _, internal := range []string{"json:", "unmarshal", "Go struct", "Go value", "reflect", "invalid character", "sponsorship."} {
		if strings.Contains(s, internal) {
			return true
		}
	}
	return false
}

var requestType = reflect.TypeFor[sponsorship.RequestInput]()

// shapePath reports whether path names a value in the shape of a request: "body" for
// the whole, else a dotted path of JSON names with list indices, such as
// "project.milestones[2].amount.value".
func shapePath(path string) bool {
	if path == "body" {
		return true
	}
	_, ok := pathType(path)
	return ok
}

// unknownFieldPath reports whether path is an object of the request's shape followed
// by a key that object does not have. Keys may hold dots, so each split is tried.
func unknownFieldPath(path string) bool {
	for i := range len(path) + 1 {
		prefix, key := "", path
		if i > 0 {
			if path[i-1] != '.' {
				continue
			}
			prefix, key = path[:i-1], path[i:]
		}
		t, ok := requestType, true
		if prefix != "" {
			t, ok = pathType(prefix)
		}
		for ok && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if ok && t.Kind() == reflect.Struct {
			if _, known := jsonFields(t)[key]; !known {
				return true
			}
		}
	}
	return false
}

// pathType follows a dotted path of JSON names and indices from the request's type.
func pathType(path string) (reflect.Type, bool) {
	t := requestType
	for part := range strings.SplitSeq(path, ".") {
		name, indices, _ := strings.Cut(part, "[")
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil, false
		}
		ft, ok := jsonFields(t)[name]
		if !ok {
			return nil, false
		}
		t = ft
		for indices != "" {
			index, rest, _ := strings.Cut(indices, "]")
			if n, err := strconv.Atoi(index); err != nil || n < 0 || strconv.Itoa(n) != index || t.Kind() != reflect.Slice ||
				(rest != "" && rest[0] != '[') {
				return nil, false
			}
			t, indices = t.Elem(), strings.TrimPrefix(rest, "[")
		}
	}
	return t, true
}

// apiGatewayList is how API Gateway's JWT authorizer passes a list claim, for group
// names of letters, digits, "-" and "_": "[reviewers finance]".
var apiGatewayList = regexp.MustCompile(`^\[([A-Za-z0-9_-]+(?: [A-Za-z0-9_-]+)*)?\]$`)

// FuzzStaffFromGateway passes a sample API Gateway v2 event, its claims and body
// replaced, through the Lambda adapter the functions use, to a handler that reads the
// caller as staff routes do. Invoking never fails or panics; the handler gets the body
// as sent, base64-encoded or not; without a subject the caller is refused with the 401
// problem; with one, the caller is the subject, named by the first name claim there is,
// and a groups claim in API Gateway's form yields exactly its groups.
func FuzzStaffFromGateway(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join("..", "..", "events", "reviews", "get-queue.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("user-1", "[reviewers]", "Rui", []byte(nil), false)
	f.Add("user-2", "[reviewers finance admins]", "", []byte(`{"choice":"approve"}`), true)
	f.Add("", "[admins]", "Ann", []byte("\xff\x00"), true)
	f.Add("u", `["finance","admins"]`, "\u00e9", []byte("a,b"), false)
	f.Add("u", "[null]", "", []byte{}, false)
	f.Add("u", "finance", " ", []byte("[]"), false)
	f.Fuzz(func(t *testing.T, sub, groups, name string, body []byte, encoded bool) {
		var event events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(sample, &event); err != nil {
			t.Fatal(err)
		}
		for _, claim := range []string{sub, groups, name} {
			if !utf8.ValidString(claim) { // claims are JSON strings
				return
			}
		}
		event.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"sub": sub, "cognito:groups": groups, "name": name, "email": "staff@example.org"},
			},
		}
		event.Body, event.IsBase64Encoded = string(body), encoded
		if encoded {
			event.Body = base64.StdEncoding.EncodeToString(body)
		} else if !utf8.Valid(body) {
			return
		}
		payload, err := json.Marshal(event)
		if err != nil {
			t.Fatal(err)
		}
		var (
			staff    sponsorship.Staff
			staffErr error
			received []byte
		)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			received, _ = io.ReadAll(r.Body)
			staff, staffErr = staffFrom(r)
			w.WriteHeader(http.StatusNoContent)
		})
		out, err := lambdahttp.Handler(h).Invoke(context.Background(), payload)
		var resp events.APIGatewayV2HTTPResponse
		if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("invoke: %s, %v", out, err)
		}
		switch m := apiGatewayList.FindStringSubmatch(groups); {
		case !bytes.Equal(received, body):
			t.Fatalf("the handler received %q, not %q", received, body)
		case sub == "":
			if staffErr != errNoClaims {
				t.Fatalf("a caller without a subject is %+v, %v", staff, staffErr)
			}
		case staffErr != nil || staff.ID != sub:
			t.Fatalf("claims sub %q, name %q read as %+v, %v", sub, name, staff, staffErr)
		case m != nil && !slices.Equal(staff.Groups, strings.Fields(m[1])):
			t.Fatalf("groups claim %q read as %q", groups, staff.Groups)
		}
	})
}

// withoutNulls drops the object members whose value is null.
func withoutNulls(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any) any
	strip = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if x == nil {
					delete(v, k)
				} else {
					v[k] = strip(x)
				}
			}
		case []any:
			for i := range v {
				v[i] = strip(v[i])
			}
		}
		return v
	}
	out, err := json.Marshal(strip(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
