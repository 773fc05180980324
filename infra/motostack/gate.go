package motostack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/iam"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// The gate stands between the stack and moto, where AWS's front doors stand: every
// call a function (or the stack acting for one) makes arrives with the function's own
// access key, is named as IAM names it (package iam) and evaluated against the
// function's execution role as the template expands it; a call the role does not allow
// is answered with the service's own AccessDenied error and never reaches moto. Calls
// with any other key (tests, tools, the stack's own set-up) pass untouched, as an
// administrator's would. The gate also sees what S3 stores, for event notifications.
type gate struct {
	s       *Stack
	forward *httputil.ReverseProxy
	env     iam.Env
	enforce bool
	byKey   map[string]*principal
	byFn    map[string]*principal
	url     string
	srv     *http.Server
	kms     *kms.Client // an administrator's, to resolve key aliases
	s3      *s3.Client  // an administrator's, to read buckets' CORS rules

	mu        sync.Mutex
	iterators map[string]string // shard iterator → stream ARN
	keys      map[string]string // KMS key id or alias → key ARN
	denials   []Denial

	// created, when set, hears of each object S3 stored through the gate.
	created func(objectCreated)
}

// principal is one function as IAM sees it: its role session and the role's policies.
type principal struct {
	function string // logical id
	name     string // the function's name: the role session's
	role     string // the role's name
	key      string // access key id, naming the function
	secret   string
	policies []iam.Policy
}

func (p *principal) arn() string {
	return "arn:aws:sts::" + accountID + ":assumed-role/" + p.role + "/" + p.name
}

// Denial is a call the gate refused.
type Denial struct {
	Function string `json:"function"`
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Message  string `json:"message"`
}

// objectCreated is an object S3 stored: by PutObject, CopyObject, a presigned POST or
// the end of a multipart upload.
type objectCreated struct {
	Bucket, Key, Operation string
	ETag                   string
	SourceIP               string
	Principal              string // the caller's access key id
	At                     time.Time
}

// startGate listens on a free port in front of moto and prepares each function's
// principal from the template's roles.
func (s *Stack) startGate(upstream string) error {
	u, err := url.Parse(upstream)
	if err != nil {
		return fmt.Errorf("moto endpoint %q: %w", upstream, err)
	}
	g := &gate{s: s, enforce: !s.opts.NoIAM, byKey: map[string]*principal{}, byFn: map[string]*principal{},
		iterators: map[string]string{}, keys: map[string]string{},
		kms: kms.NewFromConfig(localaws.Config(upstream)),
		s3:  s3.NewFromConfig(localaws.Config(upstream), func(o *s3.Options) { o.UsePathStyle = true })}
	g.forward = httputil.NewSingleHostReverseProxy(u)
	g.forward.ErrorLog = log.New(io.Discard, "", 0)
	g.forward.ModifyResponse = g.observe
	g.env = iam.Env{Region: localaws.Region, Account: accountID, HashKeys: s.tableHashKeys(), Identities: s.sesIdentities(),
		StreamOf: g.streamOf, KeyOf: g.keyOf}
	secret := make([]byte, 20)
	_, _ = rand.Read(secret)
	for _, id := range sortedKeys(s.model.Functions) {
		p, err := s.principalOf(s.model.Functions[id])
		if err != nil {
			return fmt.Errorf("function %s: %w", id, err)
		}
		p.secret = hex.EncodeToString(secret)
		g.byKey[p.key], g.byFn[id] = p, p
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	g.url = "http://" + ln.Addr().String()
	g.srv = &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = g.srv.Serve(ln) }()
	s.gate = g
	return nil
}

// accessKeyOf is the access key id a function's calls carry: one that names it.
func accessKeyOf(functionID string) string {
	return "ASIA" + strings.ToUpper(functionID)
}

// principalOf reads a function's execution role from the expanded template: its inline
// policies, the AWS managed policies it attaches (documents from expand.py), and the
// template's AWS::IAM::Policy and AWS::IAM::ManagedPolicy resources attached to it.
func (s *Stack) principalOf(fn *Function) (*principal, error) {
	p := &principal{function: fn.LogicalID, name: s.resolver.Physical[fn.LogicalID], key: accessKeyOf(fn.LogicalID)}
	roleID := refName(fn.Role)
	role, ok := s.model.Resources[roleID]
	if !ok || role.Type != "AWS::IAM::Role" {
		return nil, fmt.Errorf("its role %v is not an AWS::IAM::Role of the template; the local stack cannot enforce a role from outside", fn.Role)
	}
	p.role = s.resolver.Physical[roleID]
	add := func(name string, doc any) error {
		resolved, err := s.resolver.Resolve(doc)
		if err != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
		b, _ := json.Marshal(resolved)
		pol, err := iam.ParsePolicy(name, b)
		if err != nil {
			return err
		}
		p.policies = append(p.policies, pol)
		return nil
	}
	inline, _ := role.Properties["Policies"].([]any)
	for _, x := range inline {
		m, _ := x.(map[string]any)
		if err := add(roleID+"/"+str(m["PolicyName"]), m["PolicyDocument"]); err != nil {
			return nil, err
		}
	}
	managed, err := s.resolver.Resolve(role.Properties["ManagedPolicyArns"])
	if err != nil {
		return nil, fmt.Errorf("role %s ManagedPolicyArns: %w", roleID, err)
	}
	for _, arn := range strs(managed) {
		if doc, ok := s.model.ManagedPolicies[arn]; ok {
			var v any
			_ = json.Unmarshal(doc, &v)
			if err := add(arn, v); err != nil {
				return nil, err
			}
			continue
		}
		found := false
		for id, r := range s.model.Resources {
			if r.Type == "AWS::IAM::ManagedPolicy" && s.resolver.Physical[id] == arn {
				if err := add(id, r.Properties["PolicyDocument"]); err != nil {
					return nil, err
				}
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("role %s attaches %s, a managed policy the local stack has no document for", roleID, arn)
		}
	}
	for _, id := range sortedKeys(s.model.Resources) {
		r := s.model.Resources[id]
		if r.Type != "AWS::IAM::Policy" && r.Type != "AWS::IAM::RolePolicy" {
			continue
		}
		roles := r.Properties["Roles"]
		if r.Type == "AWS::IAM::RolePolicy" {
			roles = []any{r.Properties["RoleName"]}
		}
		names, err := s.resolver.Resolve(roles)
		if err != nil {
			return nil, fmt.Errorf("%s Roles: %w", id, err)
		}
		if slices.Contains(strs(names), p.role) {
			if err := add(id, r.Properties["PolicyDocument"]); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// tableHashKeys maps each table's name to its partition key attribute.
func (s *Stack) tableHashKeys() map[string]string {
	out := map[string]string{}
	for id, r := range s.model.Resources {
		if r.Type != "AWS::DynamoDB::Table" {
			continue
		}
		keys, _ := r.Properties["KeySchema"].([]any)
		for _, k := range keys {
			m, _ := k.(map[string]any)
			if m["KeyType"] == "HASH" {
				out[s.resolver.Physical[id]] = str(m["AttributeName"])
			}
		}
	}
	return out
}

// sesIdentities lists the template's SES identities (addresses and domains).
func (s *Stack) sesIdentities() []string {
	var out []string
	for id, r := range s.model.Resources {
		if r.Type == "AWS::SES::EmailIdentity" {
			out = append(out, s.resolver.Physical[id])
		}
	}
	return out
}

// Denials lists the calls the gate refused, oldest first.
func (s *Stack) Denials() []Denial {
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	return slices.Clone(s.gate.denials)
}

func (g *gate) close() {
	if g != nil && g.srv != nil {
		_ = g.srv.Close()
	}
}

// credentialOf reads the access key id and signing service of a call: from its
// Authorization header, or the X-Amz-Credential of a presigned URL.
var credentialScope = regexp.MustCompile(`Credential=([^/,\s]+)/\d{8}/[^/]+/([^/]+)/aws4_request`)

func credentialOf(r *http.Request) (key, service string) {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1], m[2]
	}
	if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
		parts := strings.Split(c, "/")
		if len(parts) == 5 {
			return parts[0], parts[3]
		}
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return "", "s3" // a browser's upload by POST: its credential is in the form (postObject)
	}
	return "", ""
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// Only browsers send OPTIONS, and of the services here only S3 answers them: a
	// preflight before an upload or a download.
	if r.Method == http.MethodOptions {
		g.s3Preflight(w, r)
		return
	}
	key, service := credentialOf(r)
	if origin := r.Header.Get("Origin"); origin != "" && service == "s3" {
		w = g.withS3CORS(w, r, origin)
	}
	call := iam.Describe(r, body, service, g.env)
	if expired, msg := presignExpired(r, time.Now()); expired {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", msg)
		return
	}
	if call.Operation == "PostObject" {
		g.postObject(w, r, body, call)
		return
	}
	p := g.byKey[key]
	if p != nil && g.enforce && !g.allowed(w, r, p, call) {
		return
	}
	g.pass(w, r, body, call, key)
}

// pass forwards a call to moto, telling observe what it was.
func (g *gate) pass(w http.ResponseWriter, r *http.Request, body []byte, call iam.Call, key string) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	ctx := context.WithValue(r.Context(), callKey{}, &observed{call: call, key: key, sourceIP: sourceIP(r)})
	g.forward.ServeHTTP(w, r.WithContext(ctx))
}

type callKey struct{}

type observed struct {
	call     iam.Call
	key      string
	sourceIP string
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// allowed evaluates every request of a call against the principal's policies and, on
// the first one refused, answers as the service would and records the denial.
func (g *gate) allowed(w http.ResponseWriter, r *http.Request, p *principal, call iam.Call) bool {
	if call.Unauthenticated {
		return true
	}
	if call.Unmapped != "" {
		msg := fmt.Sprintf("the local stack does not know which IAM action %s %s is (%s); add it to infra/motostack/iam", call.Service, call.Operation, call.Unmapped)
		g.deny(w, p, call, iam.Request{Action: call.Service + ":" + call.Operation, Resource: "*"}, msg)
		return false
	}
	for _, req := range call.Requests {
		if msg := refusal(p, call.Service, req); msg != "" {
			g.deny(w, p, call, req, msg)
			return false
		}
	}
	return true
}

// refusal evaluates one request against the principal's policies and returns AWS's
// message when they refuse it, "" when they allow it.
func refusal(p *principal, service string, req iam.Request) string {
	req.Context = withGlobalKeys(req.Context, p)
	d := iam.Evaluate(p.policies, req)
	if d.Allowed {
		return ""
	}
	why := "because no identity-based policy allows the " + req.Action + " action"
	if d.ExplicitDeny {
		why = "with an explicit deny in an identity-based policy"
	}
	action := req.Action
	if service == "sns" {
		action = "SNS:" + strings.TrimPrefix(req.Action, "sns:") // as SNS spells it
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", p.arn(), action, req.Resource, why)
}

// permits tells whether a function's role allows a call the stack makes for it without
// sending it to moto (one stream reader reads for every mapping on the stream, with one
// of their roles), recording and logging a refusal as the gate does for a call.
func (g *gate) permits(functionID, operation string, req iam.Request) error {
	p := g.byFn[functionID]
	if p == nil || !g.enforce {
		return nil
	}
	msg := refusal(p, "dynamodb", req)
	if msg == "" {
		return nil
	}
	g.record(p, req, operation, msg)
	return errors.New(msg)
}

// withGlobalKeys adds the global condition keys every AWS request carries: the
// principal's, the Region's, and aws:SecureTransport as true, since the SDK reaches
// AWS over TLS (the local plain HTTP is the emulation's, not the caller's choice).
func withGlobalKeys(ctx map[string][]string, p *principal) map[string][]string {
	out := map[string][]string{
		"aws:SecureTransport": {"true"}, "aws:RequestedRegion": {localaws.Region},
		"aws:PrincipalArn": {"arn:aws:iam::" + accountID + ":role/" + p.role}, "aws:PrincipalAccount": {accountID},
		"aws:PrincipalType": {"AssumedRole"}, "aws:EpochTime": {fmt.Sprint(time.Now().Unix())},
		"aws:CurrentTime": {time.Now().UTC().Format(time.RFC3339)},
	}
	for k, v := range ctx {
		out[k] = v
	}
	return out
}

func (g *gate) deny(w http.ResponseWriter, p *principal, call iam.Call, req iam.Request, msg string) {
	g.record(p, req, call.Operation, msg)
	writeAccessDenied(w, call, msg)
}

// record keeps a refusal for Stack.Denials and logs it.
func (g *gate) record(p *principal, req iam.Request, operation, msg string) {
	g.mu.Lock()
	g.denials = append(g.denials, Denial{Function: p.function, Action: req.Action, Resource: req.Resource, Message: msg})
	g.mu.Unlock()
	g.s.log.Warn("AccessDenied", "function", p.function, "action", req.Action, "resource", req.Resource, "operation", operation)
}

// writeAccessDenied answers with the service's own AccessDenied error, so the SDK
// raises what it raises on AWS.
func writeAccessDenied(w http.ResponseWriter, call iam.Call, msg string) {
	id := newGatewayRequestID()
	w.Header().Set("X-Amzn-Requestid", id)
	switch call.Protocol {
	case iam.JSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazon.coral.service#AccessDeniedException", "message": msg})
	case iam.RESTJSON:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	case iam.RESTXML:
		writeS3Error(w, http.StatusForbidden, "AccessDenied", msg)
	default:
		code := "AccessDenied"
		if call.Service == "sns" {
			code = "AuthorizationError"
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Error   struct {
				Type    string
				Code    string
				Message string
			}
			RequestID string `xml:"RequestId"`
		}{Error: struct{ Type, Code, Message string }{"Sender", code, msg}, RequestID: id})
	}
}

// presignExpired reports whether a presigned URL's X-Amz-Date plus X-Amz-Expires has
// passed: S3 then refuses with 403 AccessDenied "Request has expired", whoever signed
// it (moto serves it regardless).
func presignExpired(r *http.Request, now time.Time) (bool, string) {
	q := r.URL.Query()
	date, expires := q.Get("X-Amz-Date"), q.Get("X-Amz-Expires")
	if date == "" || expires == "" {
		return false, ""
	}
	signed, err := time.Parse("20060102T150405Z", date)
	seconds, err2 := strconv.Atoi(expires)
	if err != nil || err2 != nil {
		return true, "X-Amz-Date or X-Amz-Expires is not valid"
	}
	if now.After(signed.Add(time.Duration(seconds) * time.Second)) {
		return true, "Request has expired"
	}
	return false, ""
}

// writeS3Error answers with S3's XML error document.
func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		RequestID string `xml:"RequestId"`
	}{Code: code, Message: msg, RequestID: newGatewayRequestID()})
}

// observe reads moto's answers the gate must remember: which stream a shard iterator
// reads (IAM authorises GetRecords on the stream), and which objects S3 stored.
func (g *gate) observe(resp *http.Response) error {
	o, _ := resp.Request.Context().Value(callKey{}).(*observed)
	if o == nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	switch o.call.Operation {
	case "GetObject":
		if o.call.Service == "s3" {
			responseOverrides(resp)
		}
	case "GetShardIterator", "GetRecords":
		if o.call.Service != "dynamodb" || len(o.call.Requests) == 0 {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			return nil
		}
		var out struct{ ShardIterator, NextShardIterator string }
		_ = json.Unmarshal(b, &out)
		stream := o.call.Requests[0].Resource
		g.mu.Lock()
		for _, it := range []string{out.ShardIterator, out.NextShardIterator} {
			if it != "" && stream != "*" {
				g.iterators[it] = stream
			}
		}
		g.mu.Unlock()
	case "PutObject", "CopyObject", "CompleteMultipartUpload":
		if g.created == nil || o.call.Service != "s3" || len(o.call.Requests) == 0 {
			return nil
		}
		bucket, key, _ := strings.Cut(strings.TrimPrefix(o.call.Requests[0].Resource, "arn:aws:s3:::"), "/")
		g.created(objectCreated{Bucket: bucket, Key: key, Operation: o.call.Operation, ETag: resp.Header.Get("ETag"),
			SourceIP: o.sourceIP, Principal: o.key, At: time.Now()})
	}
	return nil
}

// s3ResponseOverrides are the query parameters of a signed GetObject that S3 answers
// with as headers instead of the object's own (S3 API Reference, GetObject: "Overriding
// response header values through the request"); moto ignores them.
var s3ResponseOverrides = map[string]string{
	"response-content-type": "Content-Type", "response-content-disposition": "Content-Disposition",
	"response-content-language": "Content-Language", "response-content-encoding": "Content-Encoding",
	"response-cache-control": "Cache-Control", "response-expires": "Expires",
}

func responseOverrides(resp *http.Response) {
	q := resp.Request.URL.Query()
	for param, header := range s3ResponseOverrides {
		if v := q.Get(param); v != "" {
			resp.Header.Set(header, v)
		}
	}
}

// streamOf is the stream a shard iterator reads, as moto's answers said.
func (g *gate) streamOf(iterator string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.iterators[iterator]
}

// keyOf resolves a KMS key id, key ARN, alias name or alias ARN to the key's ARN, which
// is what IAM authorises; "" when moto does not know it.
func (g *gate) keyOf(id string) string {
	if strings.HasPrefix(id, "arn:") && strings.Contains(id, ":key/") {
		return id
	}
	g.mu.Lock()
	arn, ok := g.keys[id]
	g.mu.Unlock()
	if ok {
		return arn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := g.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	if err != nil || out.KeyMetadata == nil || out.KeyMetadata.Arn == nil {
		return ""
	}
	g.mu.Lock()
	g.keys[id] = *out.KeyMetadata.Arn
	g.mu.Unlock()
	return *out.KeyMetadata.Arn
}

// postObject handles a browser's upload by presigned POST: the form names the key and
// carries the signer's credential; the upload is authorised as the signer's
// s3:PutObject on that key.
func (g *gate) postObject(w http.ResponseWriter, r *http.Request, body []byte, call iam.Call) {
	bucket := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	// S3 checks the form, its signature and its policy before anything else; moto checks
	// none of them (s3post.go).
	if refused := g.checkPostPolicy(r, body, bucket, time.Now()); refused != nil {
		g.refusePost(w, bucket, refused)
		return
	}
	form, err := readPostForm(r, body)
	if err != nil {
		writeAccessDenied(w, call, "the POST form could not be read: "+err.Error())
		return
	}
	key := strings.ReplaceAll(form["key"], "${filename}", form["filename"])
	credential := strings.Split(form["x-amz-credential"], "/")
	signer := credential[0]
	call.Requests = []iam.Request{{Action: "s3:PutObject", Resource: "arn:aws:s3:::" + bucket + "/" + key}}
	if p := g.byKey[signer]; p != nil && g.enforce && !g.allowed(w, r, p, call) {
		return
	}
	// The caller hears of its upload once the object is reported, not before.
	held := newHeldResponse()
	g.passPost(held, r, body, call, signer, bucket, key)
	held.sendTo(w)
}

// passPost forwards an accepted POST upload and reports the object created.
func (g *gate) passPost(w http.ResponseWriter, r *http.Request, body []byte, call iam.Call, signer, bucket, key string) {
	rec := &statusRecorder{ResponseWriter: w}
	g.pass(rec, r, body, call, signer)
	if g.created != nil && rec.status >= 200 && rec.status < 300 {
		g.created(objectCreated{Bucket: bucket, Key: key, Operation: "PostObject", ETag: rec.Header().Get("ETag"),
			SourceIP: sourceIP(r), Principal: signer, At: time.Now()})
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// readPostForm reads a multipart/form-data body's text fields (the file's content is
// not kept) and, as "filename", the file part's file name.
func readPostForm(r *http.Request, body []byte) (map[string]string, error) {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		name := strings.ToLower(part.FormName())
		if name == "file" {
			out["filename"] = part.FileName()
			n, _ := io.Copy(io.Discard, part)
			out["$size"] = fmt.Sprint(n)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, 1<<20))
		if err != nil {
			return nil, err
		}
		out[name] = string(b)
	}
}
