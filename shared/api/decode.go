package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// MaxBodyBytes is the largest request body the API reads: 64 KiB is far more than any
// request needs, and small enough that nobody can make a function hold much memory.
const MaxBodyBytes = 64 << 10

// decodeJSON reads a JSON object into dst (a pointer to a struct) strictly: the body
// must be application/json, at most MaxBodyBytes, valid UTF-8 and valid JSON, with no
// field dst does not have and no value of the wrong type. Every unknown field and wrong
// type is reported at once. An empty body is allowed only when optional is true.
func decodeJSON(r *http.Request, dst any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return newHTTPError(http.StatusRequestEntityTooLarge, "too-large", "Body too large",
			fmt.Sprintf("Request bodies are limited to %d bytes.", MaxBodyBytes))
	}
	if err != nil {
		return malformed("The request body could not be read.")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if optional {
			return nil
		}
		return malformed("The request body is empty; send a JSON object.")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return newHTTPError(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"Send the body as JSON with Content-Type: application/json.")
	}
	if !utf8.Valid(body) {
		return malformed("The request body is not valid UTF-8.")
	}
	if err := duplicateName(body); err != nil {
		return err
	}
	if !json.Valid(body) {
		var syntax *json.SyntaxError
		if errors.As(json.Unmarshal(body, new(any)), &syntax) {
			return malformed(fmt.Sprintf("The body is not valid JSON (at byte %d).", syntax.Offset))
		}
		return malformed("The body is not valid JSON.")
	}
	// Numbers stay as written (json.Number): a valid number too large for a float64 is
	// a wrong value for its field, not a body that is not JSON.
	var generic any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return malformed("The body is not valid JSON.")
	}
	var fields []sponsorship.FieldError
	checkShape(generic, reflect.TypeOf(dst).Elem(), "", &fields)
	if len(fields) > 0 {
		e := newHTTPError(http.StatusBadRequest, "malformed", "Malformed request",
			"The body does not have the expected shape; each problem is listed in errors.")
		e.fields = fields
		return e
	}
	// dst is filled from the value checkShape approved, not from the body again, so the
	// two agree where JSON leaves room: a whole number may be written 1.0 or 1e2.
	checked, err := json.Marshal(asFloats(generic))
	if err == nil {
		err = json.Unmarshal(checked, dst)
	}
	if err != nil {
		return malformed("The body does not have the expected shape.")
	}
	return nil
}

// duplicateName refuses a body in which an object names a member twice. Parsers
// disagree on which of the two counts (encoding/json keeps the last, others the first),
// so a body such as {"amount": …, "amount": …} could mean one thing to a proxy or a log
// reader and another to this API (RFC 8259 §4: names SHOULD be unique). jsontext
// refuses duplicates by default and says where.
func duplicateName(body []byte) error {
	if !json.Valid(body) {
		return nil // not JSON at all: the decoding that follows says so
	}
	_, err := jsontext.NewDecoder(bytes.NewReader(body)).ReadValue()
	var syntax *jsontext.SyntacticError
	if !errors.As(err, &syntax) || !errors.Is(syntax.Err, jsontext.ErrDuplicateName) {
		return nil // any other fault is reported by the decoding that follows
	}
	var generic any
	_ = json.Unmarshal(body, &generic) // duplicates aside, the body is JSON: ReadValue found only the duplicate
	field := fieldFromPointer(generic, syntax.JSONPointer)
	detail := "The body names " + field + " twice; give each field once."
	e := newHTTPError(http.StatusBadRequest, "malformed", "Malformed request", detail)
	e.fields = []sponsorship.FieldError{{Field: field, Code: sponsorship.CodeDuplicateField, Message: "This field appears more than once; give it once."}}
	return e
}

// fieldFromPointer turns a JSON Pointer (/project/milestones/0/title) into the dotted
// path field errors use (project.milestones[0].title), following the decoded body v to
// tell a list index from an object key that is a number.
func fieldFromPointer(v any, p jsontext.Pointer) string {
	path := ""
	for token := range p.Tokens() {
		if list, ok := v.([]any); ok {
			n, _ := strconv.Atoi(token)
			path += fmt.Sprintf("[%d]", n)
			if n >= 0 && n < len(list) {
				v = list[n]
			}
			continue
		}
		name := token
		if name == "" {
			name = `""` // a member may be named by the empty string
		}
		path = join(path, name)
		if obj, ok := v.(map[string]any); ok {
			v = obj[token]
		}
	}
	return fieldName(path)
}

func malformed(detail string) error {
	e := newHTTPError(http.StatusBadRequest, "malformed", "Malformed request", detail)
	e.fields = []sponsorship.FieldError{{Field: "body", Code: sponsorship.CodeMalformed, Message: detail}}
	return e
}

// checkShape compares a decoded JSON value with the Go type it will fill, recording an
// unknown_field error for each key the type lacks (matched exactly, not in the
// case-insensitive way encoding/json matches) and a wrong_type error for each value of
// the wrong JSON type. null is not a value of any field (the API document allows it
// nowhere): a field without a value is left out.
func checkShape(v any, t reflect.Type, path string, out *[]sponsorship.FieldError) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	wrong := func(want string) {
		*out = append(*out, sponsorship.FieldError{Field: fieldName(path), Code: sponsorship.CodeWrongType, Message: "Expected " + want + "."})
	}
	if v == nil {
		wrong("a value, not null; leave out a field that has none")
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			wrong("an object")
			return
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				*out = append(*out, sponsorship.FieldError{Field: join(path, k), Code: sponsorship.CodeUnknownField,
					Message: "This field is not part of the request; check its spelling or remove it."})
				continue
			}
			checkShape(obj[k], ft, join(path, k), out)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			wrong("a list")
			return
		}
		for i, e := range arr {
			checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			wrong(`a string, such as "1500.00" for amounts and "2027-09-01" for dates`)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			wrong("true or false")
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		f, err := n.Float64()
		if !ok || err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			wrong("a whole number")
		}
	}
}

// asFloats turns the numbers of a value checkShape approved back into float64, so that
// a whole number written 1.0 or 1e2 fills an integer field as 1 or 100.
func asFloats(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = asFloats(e)
		}
	case []any:
		for i, e := range x {
			x[i] = asFloats(e)
		}
	}
	return v
}

func fieldName(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonFields maps a struct's JSON names to field types, following embedded structs.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
