package motostack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// Browser uploads by presigned POST, checked as S3 checks them: moto stores any POST
// upload whatever its policy says. The rules are the S3 API Reference's ("POST Policy",
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html, and
// "Authenticating Requests in Browser-Based Uploads Using POST"): the policy is base64
// JSON with an `expiration` and `conditions`, signed with Signature Version 4 (an
// HMAC-SHA256 of the base64 text with the signing key of the credential's scope); every
// condition must hold, and "Each form field that you specify in a form (except
// x-amz-signature, file, policy, and field names that have an x-ignore- prefix) must
// appear in the list of conditions". The answers are S3's own, as S3 was seen to give
// them:
//
//   - 403 AccessDenied "Invalid according to Policy: Policy expired." (CulturalMe/meteor-slingshot#80);
//   - 403 AccessDenied "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$X-Amz-Date\", \"20170519T041709Z\"]"
//     (aws/aws-sdk-js#1514): the condition as JSON items separated by ", ";
//   - 403 AccessDenied "Invalid according to Policy: Extra input fields: content-type"
//     (aws/aws-sdk-php#290, #3292): the field lower-cased;
//   - 400 EntityTooLarge "Your proposed upload exceeds the maximum allowed size" with
//     ProposedSize and MaxSizeAllowed (CulturalMe/meteor-slingshot#190,
//     froala/wysiwyg-editor#1625), and 400 EntityTooSmall "Your proposed upload is smaller
//     than the minimum allowed size" with ProposedSize and MinSizeAllowed
//     (versity/versitygw#2040, an S3 answer to a POST under its content-length-range);
//   - 403 SignatureDoesNotMatch "The request signature we calculated does not match the
//     signature you provided. Check your key and signing method."
//     (danialfarid/ng-file-upload#868, a browser POST);
//   - 400 InvalidPolicyDocument "Invalid Policy: Invalid JSON." (benefitcloud/ember-uploader#43).
//
// The signing secret of a function's access key is the one the gate gave the function;
// any other access key is taken to be signed with "local", the secret localaws.Config
// and the test helpers use, since the local stack has no other accounts.

// postSecret is the secret of every access key other than the functions'.
const postSecret = "local"

// postRefusal is S3's answer to a request it refuses: an upload, a preflight.
type postRefusal struct {
	status  int
	code    string
	message string
	details [][2]string // the elements S3 adds after Message, in its order
}

func refuse(status int, code, message string, details ...[2]string) *postRefusal {
	return &postRefusal{status: status, code: code, message: message, details: details}
}

// postField is a form field as sent.
type postField struct{ name, value string }

// postForm is an upload's form as S3 reads it: the fields before the file, in order, and
// the file's size. S3 reads nothing after the file.
type postForm struct {
	fields []postField
	file   bool
	size   int64
}

// get returns a field's value; form field names are not case-sensitive.
func (f *postForm) get(name string) (string, bool) {
	for _, x := range f.fields {
		if strings.EqualFold(x.name, name) {
			return x.value, true
		}
	}
	return "", false
}

// readPost reads a multipart/form-data upload up to the end of its file part.
func readPost(r *http.Request, body []byte) (*postForm, error) {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, err
	}
	f := &postForm{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(part.FormName(), "file") {
			f.file = true
			f.size, err = io.Copy(io.Discard, part)
			return f, err
		}
		b, err := io.ReadAll(io.LimitReader(part, 1<<20))
		if err != nil {
			return nil, err
		}
		f.fields = append(f.fields, postField{part.FormName(), string(b)})
	}
}

// postSigning are the fields a signed form holds besides its key, in the order S3 asks
// for a missing one.
var postSigning = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature", "Policy"}

// checkPostPolicy checks a POST upload to bucket as S3 does before storing anything: the
// form, the signature over the policy, the policy's expiration and conditions, the
// fields the conditions cover, and the file's size. nil means S3 would go on to
// authorise the signer's s3:PutObject.
func (g *gate) checkPostPolicy(r *http.Request, body []byte, bucket string, now time.Time) *postRefusal {
	form, err := readPost(r, body)
	if err != nil {
		return refuse(http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
	}
	if !form.file {
		return refuse(http.StatusBadRequest, "InvalidArgument", "POST requires exactly one file upload per request.",
			[2]string{"ArgumentName", "file"}, [2]string{"ArgumentValue", "0"})
	}
	if key, _ := form.get("key"); key == "" {
		return missingField("key")
	}
	signed := slices.ContainsFunc(postSigning[:4], func(f string) bool { _, ok := form.get(f); return ok })
	if !signed {
		if _, v2 := form.get("AWSAccessKeyId"); v2 {
			return refuse(http.StatusBadRequest, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
		}
		// Anonymous: only a bucket policy open to anyone lets it write, and the local
		// stack's buckets have none.
		return refuse(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	values := map[string]string{}
	for _, f := range postSigning {
		v, ok := form.get(f)
		if !ok {
			return missingField(f)
		}
		values[f] = v
	}
	if values["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256" {
		return refuse(http.StatusBadRequest, "InvalidArgument", `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`,
			[2]string{"ArgumentName", "X-Amz-Algorithm"}, [2]string{"ArgumentValue", values["X-Amz-Algorithm"]})
	}
	key, date, refused := postScope(values["X-Amz-Credential"])
	if refused != nil {
		return refused
	}
	if refused := g.checkPostSignature(key, date, values["Policy"], values["X-Amz-Signature"]); refused != nil {
		return refused
	}
	policy, refused := readPostPolicy(values["Policy"])
	if refused != nil {
		return refused
	}
	if now.After(policy.expiration) {
		return refuse(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: Policy expired.")
	}
	return policy.check(form, bucket)
}

func missingField(name string) *postRefusal {
	return refuse(http.StatusBadRequest, "InvalidArgument",
		fmt.Sprintf("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name),
		[2]string{"ArgumentName", name}, [2]string{"ArgumentValue", ""})
}

// postScope reads a credential, <access key>/<yyyymmdd>/<region>/s3/aws4_request, whose
// region must be the stack's.
func postScope(credential string) (key, date string, refused *postRefusal) {
	bad := func(why string) *postRefusal {
		return refuse(http.StatusBadRequest, "InvalidArgument", "Error parsing the X-Amz-Credential parameter; "+why,
			[2]string{"ArgumentName", "X-Amz-Credential"}, [2]string{"ArgumentValue", credential})
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] == "" {
		return "", "", bad(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
	}
	if _, err := time.Parse("20060102", parts[1]); err != nil {
		return "", "", bad(fmt.Sprintf(`incorrect date format "%s". This date in the credential must be in the format "yyyyMMdd".`, parts[1]))
	}
	if parts[2] != localaws.Region {
		return "", "", bad(fmt.Sprintf("the region '%s' is wrong; expecting '%s'", parts[2], localaws.Region))
	}
	if parts[3] != "s3" {
		return "", "", bad(fmt.Sprintf(`incorrect service "%s". This endpoint belongs to "s3".`, parts[3]))
	}
	if parts[4] != "aws4_request" {
		return "", "", bad(fmt.Sprintf(`incorrect terminal "%s". This endpoint uses "aws4_request".`, parts[4]))
	}
	return parts[0], parts[1], nil
}

// checkPostSignature compares the form's signature with the policy's, as sent, under the
// access key's signing key for the credential's day.
func (g *gate) checkPostSignature(key, date, policy, signature string) *postRefusal {
	secret := postSecret
	if p := g.byKey[key]; p != nil {
		secret = p.secret
	}
	want := hmacSHA256(postSigningKey(secret, date), []byte(policy))
	got, err := hex.DecodeString(signature)
	if err == nil && hmac.Equal(want, got) {
		return nil
	}
	spaced := make([]string, len(policy))
	for i := range len(policy) {
		spaced[i] = hex.EncodeToString([]byte{policy[i]})
	}
	return refuse(http.StatusForbidden, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.",
		[2]string{"AWSAccessKeyId", key}, [2]string{"StringToSign", policy}, [2]string{"SignatureProvided", signature},
		[2]string{"StringToSignBytes", strings.Join(spaced, " ")})
}

// postSigningKey derives Signature Version 4's signing key for S3 in the stack's region.
func postSigningKey(secret, date string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(localaws.Region))
	k = hmacSHA256(k, []byte("s3"))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

// postPolicy is a decoded POST policy.
type postPolicy struct {
	expiration time.Time
	conditions []postCondition
}

// postCondition is one of a policy's conditions.
type postCondition struct {
	op       string // eq, starts-with or content-length-range
	field    string // the form field without its "$"; "" when the policy names none
	value    string
	min, max int64
	bounded  bool   // a content-length-range whose bounds are sizes
	text     string // the condition as S3 writes it in an error
}

func invalidPolicy(why string) *postRefusal {
	return refuse(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: "+why)
}

// readPostPolicy decodes the form's policy: base64 of a JSON object with an ISO 8601
// `expiration` in UTC and a list of `conditions`.
func readPostPolicy(text string) (*postPolicy, *postRefusal) {
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, invalidPolicy("Invalid Base64 encoding.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if dec.Decode(&doc) != nil {
		return nil, invalidPolicy("Invalid JSON.")
	}
	p := &postPolicy{}
	exp, ok := doc["expiration"]
	if !ok {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	s, _ := exp.(string)
	if p.expiration, err = time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
		return nil, invalidPolicy(fmt.Sprintf("Invalid 'expiration' value: '%v'", exp))
	}
	conds, ok := doc["conditions"]
	if !ok {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	list, ok := conds.([]any)
	if !ok {
		return nil, invalidPolicy("Invalid 'conditions' value: must be a List.")
	}
	for _, c := range list {
		pc, refused := readPostCondition(c)
		if refused != nil {
			return nil, refused
		}
		p.conditions = append(p.conditions, pc)
	}
	return p, nil
}

// readPostCondition reads {"field": "value"}, ["eq"|"starts-with", "$field", "value"] or
// ["content-length-range", min, max].
func readPostCondition(c any) (postCondition, *postRefusal) {
	switch t := c.(type) {
	case map[string]any:
		if len(t) != 1 {
			return postCondition{}, invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
		}
		for name, v := range t {
			value, ok := v.(string)
			if !ok {
				return postCondition{}, invalidPolicy("Invalid Simple-Condition: value must be a string.")
			}
			return postCondition{op: "eq", field: name, value: value, text: conditionText("eq", "$"+name, value)}, nil
		}
	case []any:
		op, _ := firstString(t)
		if op == "" {
			return postCondition{}, invalidPolicy("Invalid Condition: missing operation identifier.")
		}
		if len(t) != 3 {
			return postCondition{}, invalidPolicy(fmt.Sprintf("Invalid %s: wrong number of arguments.", op))
		}
		pc := postCondition{op: strings.ToLower(op), text: conditionText(t...)}
		switch pc.op {
		case "eq", "starts-with":
			name, ok1 := t[1].(string)
			value, ok2 := t[2].(string)
			if !ok1 || !ok2 {
				return postCondition{}, invalidPolicy("Invalid JSON.")
			}
			pc.field, pc.value = strings.TrimPrefix(name, "$"), value
			if !strings.HasPrefix(name, "$") {
				pc.field = "" // names no field: the condition fails
			}
		case "content-length-range":
			lo, ok1 := postSize(t[1])
			hi, ok2 := postSize(t[2])
			pc.min, pc.max, pc.bounded = lo, hi, ok1 && ok2
		default:
			return postCondition{}, invalidPolicy(fmt.Sprintf("Invalid Condition: unknown operation '%s'.", op))
		}
		return pc, nil
	}
	return postCondition{}, invalidPolicy("Invalid condition test: must be a List or Object.")
}

func firstString(l []any) (string, bool) {
	if len(l) == 0 {
		return "", false
	}
	s, ok := l[0].(string)
	return s, ok
}

// postSize reads a content-length-range bound: a whole number, or a string holding one.
func postSize(v any) (int64, bool) {
	switch t := v.(type) {
	case json.Number:
		n, err := t.Int64()
		return n, err == nil && n >= 0
	case string:
		var n int64
		_, err := fmt.Sscan(t, &n)
		return n, err == nil && n >= 0 && fmt.Sprint(n) == t
	}
	return 0, false
}

// conditionText writes a condition as S3 does in its errors: ["eq", "$key", "a.txt"].
func conditionText(items ...any) string {
	parts := make([]string, len(items))
	for i, it := range items {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(it)
		parts[i] = strings.TrimSpace(b.String())
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// check holds the form to the conditions, in the policy's order, then requires every
// field to be covered by one, then the file to fit the size range.
func (p *postPolicy) check(form *postForm, bucket string) *postRefusal {
	lo, hi := int64(0), int64(-1) // no range: any size
	for _, c := range p.conditions {
		if c.op == "content-length-range" {
			if !c.bounded {
				return conditionFailed(c)
			}
			lo = max(lo, c.min)
			if hi < 0 || c.max < hi {
				hi = c.max
			}
			continue
		}
		if !c.holds(form, bucket) {
			return conditionFailed(c)
		}
	}
	for _, f := range form.fields {
		if extra := strings.ToLower(f.name); !p.covers(extra) {
			return refuse(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: Extra input fields: "+extra)
		}
	}
	size := fmt.Sprint(form.size)
	switch {
	case hi >= 0 && form.size > hi:
		return refuse(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
			[2]string{"ProposedSize", size}, [2]string{"MaxSizeAllowed", fmt.Sprint(hi)})
	case form.size < lo:
		return refuse(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
			[2]string{"ProposedSize", size}, [2]string{"MinSizeAllowed", fmt.Sprint(lo)})
	}
	return nil
}

func conditionFailed(c postCondition) *postRefusal {
	return refuse(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: Policy Condition failed: "+c.text)
}

// holds checks an eq or starts-with condition. The bucket is the one the URL names; a
// field the form does not hold fails, even against starts-with "". A Content-Type that
// lists types, separated by commas, must start with the prefix in each of them.
func (c postCondition) holds(form *postForm, bucket string) bool {
	if c.field == "" {
		return false
	}
	value, ok := bucket, true
	if !strings.EqualFold(c.field, "bucket") {
		value, ok = form.get(c.field)
	}
	if !ok {
		return false
	}
	if c.op == "eq" {
		return value == c.value
	}
	if strings.EqualFold(c.field, "Content-Type") {
		for _, t := range strings.Split(value, ",") {
			if !strings.HasPrefix(strings.TrimSpace(t), c.value) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(value, c.value)
}

// covers reports whether a field needs no condition, or has one.
func (p *postPolicy) covers(field string) bool {
	if field == "x-amz-signature" || field == "file" || field == "policy" || strings.HasPrefix(field, "x-ignore-") {
		return true
	}
	return slices.ContainsFunc(p.conditions, func(c postCondition) bool { return strings.EqualFold(c.field, field) })
}

// refusePost answers as S3 does, with its XML error.
func (g *gate) refusePost(w http.ResponseWriter, bucket string, f *postRefusal) {
	g.s.log.Warn("POST upload refused", "bucket", bucket, "code", f.code, "message", f.message)
	f.write(w)
}

// write answers with S3's XML error document: Code, Message, the details, RequestId
// and HostId.
func (f *postRefusal) write(w http.ResponseWriter) {
	id := randomHex(8)
	var b bytes.Buffer
	b.WriteString(xml.Header + "<Error>")
	elem := func(name, value string) {
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(&b, []byte(value))
		b.WriteString("</" + name + ">")
	}
	elem("Code", f.code)
	elem("Message", f.message)
	for _, d := range f.details {
		elem(d[0], d[1])
	}
	elem("RequestId", id)
	elem("HostId", randomBase64(48))
	b.WriteString("</Error>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", id)
	w.WriteHeader(f.status)
	_, _ = w.Write(b.Bytes())
}

// heldResponse keeps moto's answer to an accepted upload until the gate has reported the
// object, so that a caller who hears of its upload finds the notification under way
// (DrainAsync then waits for it).
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newHeldResponse() *heldResponse { return &heldResponse{header: http.Header{}} }

func (h *heldResponse) Header() http.Header { return h.header }

// WriteHeader keeps the final status; an informational one (100 Continue, which the
// proxy passes on) is not the answer.
func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 && code >= 200 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(b)
}

// Flush is a no-op: the answer goes out whole, once the object is reported.
func (h *heldResponse) Flush() {}

// sendTo passes the answer on.
func (h *heldResponse) sendTo(w http.ResponseWriter) {
	for k, v := range h.header {
		w.Header()[k] = v
	}
	h.WriteHeader(http.StatusOK)
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}
