//go:build integration

package motostack_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/golang-jwt/jwt/v5"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

var (
	stack     *motostack.Stack
	stackName string
)

// TestMain starts one stack from testdata/template.yaml for the package's tests, on the
// run's moto.
func TestMain(m *testing.M) {
	os.Exit(mototest.Run(func() int {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		stackName = "lstest-" + hex.EncodeToString(b)
		var err error
		stack, err = motostack.Start(context.Background(), motostack.Options{
			Root: mototest.Root(), Template: filepath.Join(mototest.Root(), "testdata", "template.yaml"),
			StackName: stackName, Addr: "127.0.0.1:0", Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
			Log: testLog(), MaxEnvironments: 4, Parameters: map[string]string{"CorsAllowedOrigins": "https://partner.example"},
			Clock: clock.Now,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "start stack:", err)
			return 1
		}
		defer stack.Stop()
		return m.Run()
	}))
}

type echo struct {
	Event struct {
		RouteKey              string            `json:"routeKey"`
		RawPath               string            `json:"rawPath"`
		RawQueryString        string            `json:"rawQueryString"`
		Cookies               []string          `json:"cookies"`
		Headers               map[string]string `json:"headers"`
		QueryStringParameters map[string]string `json:"queryStringParameters"`
		PathParameters        map[string]string `json:"pathParameters"`
		Body                  string            `json:"body"`
		IsBase64Encoded       bool              `json:"isBase64Encoded"`
		RequestContext        struct {
			RequestID  string `json:"requestId"`
			Stage      string `json:"stage"`
			RouteKey   string `json:"routeKey"`
			TimeEpoch  int64  `json:"timeEpoch"`
			Authorizer *struct {
				JWT struct {
					Claims map[string]string `json:"claims"`
					Scopes []string          `json:"scopes"`
				} `json:"jwt"`
			} `json:"authorizer"`
			HTTP struct {
				Method   string `json:"method"`
				Path     string `json:"path"`
				SourceIP string `json:"sourceIp"`
			} `json:"http"`
		} `json:"requestContext"`
	} `json:"event"`
	Greeting     string `json:"greeting"`
	Table        string `json:"table"`
	Endpoint     string `json:"endpoint"`
	AWSRequestID string `json:"awsRequestId"`
	Home         string `json:"home"`
}

func call(t *testing.T, method, path string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, stack.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestGatewayBuildsPayloadFormat2Events(t *testing.T) {
	resp, body := call(t, "GET", "/open/abc%20d?x=1&x=2&y=z", nil,
		"Cookie", "a=1; b=2", "X-Custom", "one", "X-Custom", "two", "User-Agent", "tester")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var e echo
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	ev := e.Event
	checks := map[string][2]any{
		"routeKey":         {ev.RouteKey, "GET /open/{id}"},
		"context routeKey": {ev.RequestContext.RouteKey, "GET /open/{id}"},
		"rawPath":          {ev.RawPath, "/open/abc%20d"},
		"path parameter":   {ev.PathParameters["id"], "abc d"},
		"rawQueryString":   {ev.RawQueryString, "x=1&x=2&y=z"},
		"repeated query":   {ev.QueryStringParameters["x"], "1,2"},
		"cookies":          {strings.Join(ev.Cookies, "|"), "a=1|b=2"},
		"lowercase header": {ev.Headers["x-custom"], "one,two"},
		"no cookie header": {ev.Headers["cookie"], ""},
		"method":           {ev.RequestContext.HTTP.Method, "GET"},
		"source ip":        {ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		"stage":            {ev.RequestContext.Stage, "$default"},
		"request id":       {ev.RequestContext.RequestID, resp.Header.Get("Apigw-Requestid")},
		"parameter env":    {e.Greeting, "hello"},
		"moto endpoint":    {e.Endpoint, stack.Endpoint()},
		"host env hidden":  {e.Home, ""},
		"table env":        {e.Table, stack.Physical("Table")},
		"response header":  {resp.Header.Get("X-Echo"), "yes"},
		"response cookie":  {resp.Header.Get("Set-Cookie"), "seen=1; Path=/"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	// As on AWS, the Lambda invocation has its own request id, apart from the gateway's.
	if len(e.AWSRequestID) != 36 || e.AWSRequestID == ev.RequestContext.RequestID {
		t.Errorf("invocation request id %q", e.AWSRequestID)
	}
	if ev.RequestContext.TimeEpoch == 0 || ev.RequestContext.Authorizer != nil {
		t.Errorf("request context: %+v", ev.RequestContext)
	}

	// A greedy path parameter takes the rest of the path, for any method.
	resp, body = call(t, "DELETE", "/files/a/b/c.txt", nil)
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != 200 || e.Event.PathParameters["proxy"] != "a/b/c.txt" || e.Event.RouteKey != "ANY /files/{proxy+}" {
		t.Errorf("greedy route: %d %+v", resp.StatusCode, e.Event.PathParameters)
	}
	// Binary bodies arrive base64-encoded, text bodies as they are.
	_, body = call(t, "POST", "/open", bytes.NewReader([]byte{0, 1, 2, 255}), "Content-Type", "application/octet-stream")
	_ = json.Unmarshal(body, &e)
	if !e.Event.IsBase64Encoded || e.Event.Body != "AAEC/w==" {
		t.Errorf("binary body: %v %q", e.Event.IsBase64Encoded, e.Event.Body)
	}
	_, body = call(t, "POST", "/open", strings.NewReader(`{"a":1}`), "Content-Type", "application/json")
	_ = json.Unmarshal(body, &e)
	if e.Event.IsBase64Encoded || e.Event.Body != `{"a":1}` {
		t.Errorf("text body: %v %q", e.Event.IsBase64Encoded, e.Event.Body)
	}
}

func TestGatewayRefusals(t *testing.T) {
	tests := []struct {
		name, method, path string
		body               io.Reader
		status             int
		message            string
	}{
		{"unknown path", "GET", "/nowhere", nil, 404, "Not Found"},
		{"wrong method", "PUT", "/open", nil, 404, "Not Found"},
		{"missing path parameter", "GET", "/open/", nil, 404, "Not Found"},
		{"body over 10 MB", "POST", "/open", bytes.NewReader(make([]byte, 10<<20+1)), 413, "Request Entity Too Large"},
		{"function past its timeout", "GET", "/open/x?sleep=3", nil, 504, "Gateway Timeout"},
		{"function error", "GET", "/open/x?fail=1", nil, 500, "Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := call(t, tt.method, tt.path, tt.body)
			var m map[string]string
			_ = json.Unmarshal(body, &m)
			if resp.StatusCode != tt.status || m["message"] != tt.message {
				t.Errorf("%d %s, want %d %q", resp.StatusCode, body, tt.status, tt.message)
			}
		})
	}
	// After a timeout and an error, the function still answers.
	if resp, _ := call(t, "GET", "/open/after", nil); resp.StatusCode != 200 {
		t.Errorf("after failures: %d", resp.StatusCode)
	}
	if s := stack.Stats()["EchoFunction"]; s.Timeouts < 1 || s.Errors < 1 {
		t.Errorf("stats do not count the timeout and the error: %+v", s)
	}
}

// signedToken makes a token with the right issuer and audience but signed by a key
// the JWKS does not hold.
func signedToken(t *testing.T, claims jwt.MapClaims) string {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "dummy"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTAuthorizer(t *testing.T) {
	ctx := context.Background()
	if _, err := stack.CreateUser(ctx, motostack.User{Email: "sam@example.org", Password: "Local-Password-1", Groups: []string{"staff"}}); err != nil {
		t.Fatal(err)
	}
	tokens, err := stack.SignIn(ctx, "sam@example.org", "Local-Password-1")
	if err != nil {
		t.Fatal(err)
	}
	// A token for another app client of the same pool has the wrong audience.
	cognito := cip.NewFromConfig(localaws.Config(stack.Endpoint()))
	other, err := cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(stack.Physical("Pool")), ClientName: aws.String("other"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	otherAuth, err := cognito.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(stack.Physical("Pool")), ClientId: other.UserPoolClient.ClientId,
		AuthFlow: ciptypes.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "sam@example.org", "PASSWORD": "Local-Password-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	issuer := stack.Attribute("Pool", "ProviderURL")
	forged := signedToken(t, jwt.MapClaims{"iss": issuer, "client_id": stack.Physical("Client"), "exp": time.Now().Add(time.Hour).Unix()})
	foreign := signedToken(t, jwt.MapClaims{"iss": "https://login.example.com", "client_id": stack.Physical("Client"), "exp": time.Now().Add(time.Hour).Unix()})

	tests := []struct {
		name   string
		path   string
		auth   string
		status int
	}{
		{"no token", "/private", "", 401},
		{"not a JWT", "/private", "Bearer nonsense", 401},
		{"forged signature", "/private", "Bearer " + forged, 401},
		{"another issuer", "/private", "Bearer " + foreign, 401},
		{"another client's token", "/private", "Bearer " + aws.ToString(otherAuth.AuthenticationResult.AccessToken), 401},
		{"valid access token", "/private", "Bearer " + tokens.Access, 200},
		{"valid without Bearer prefix", "/private", tokens.Access, 200},
		{"valid token, scope missing", "/scoped", "Bearer " + tokens.Access, 403},
		{"open route ignores tokens", "/open/x", "Bearer nonsense", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.auth != "" {
				header = []string{"Authorization", tt.auth}
			}
			resp, body := call(t, "GET", tt.path, nil, header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 401 && !strings.HasPrefix(resp.Header.Get("Www-Authenticate"), "Bearer") {
				t.Errorf("401 without www-authenticate")
			}
			if tt.status == 200 && tt.path == "/private" {
				var e echo
				_ = json.Unmarshal(body, &e)
				claims := e.Event.RequestContext.Authorizer.JWT.Claims
				if claims["cognito:groups"] != "[staff]" || claims["iss"] != issuer || claims["sub"] == "" || claims["token_use"] != "access" {
					t.Errorf("claims passed on: %v", claims)
				}
			}
		})
	}
}

// TestCORS checks the API answers CORS for the origins its configuration allows (the
// origin of the SiteUrl parameter, and CorsAllowedOrigins, which TestMain sets), and
// gives any other origin no CORS headers at all, whatever the function sends.
func TestCORS(t *testing.T) {
	for _, origin := range []string{"https://app.example.org", "https://partner.example"} {
		t.Run(origin, func(t *testing.T) {
			resp, _ := call(t, "OPTIONS", "/private", nil, "Origin", origin, "Access-Control-Request-Method", "GET",
				"Access-Control-Request-Headers", "authorization")
			if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
				resp.Header.Get("Access-Control-Allow-Methods") != "GET,POST" ||
				resp.Header.Get("Access-Control-Allow-Headers") != "authorization,content-type" || resp.Header.Get("Access-Control-Max-Age") != "60" {
				t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
			}
			resp, _ = call(t, "GET", "/open/x", nil, "Origin", origin)
			if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != origin || resp.Header.Get("Access-Control-Expose-Headers") != "x-echo" {
				t.Errorf("request: %d %v", resp.StatusCode, resp.Header)
			}
		})
	}
	// A foreign origin, a look-alike of an allowed one, and a function that sends CORS
	// headers of its own: API Gateway ignores those, so nothing allows the origin.
	for _, origin := range []string{"https://evil.example", "https://app.example.org.evil.example", "http://app.example.org"} {
		t.Run(origin, func(t *testing.T) {
			resp, _ := call(t, "OPTIONS", "/private", nil, "Origin", origin, "Access-Control-Request-Method", "GET")
			if resp.StatusCode != 204 || cors(resp.Header) != "" {
				t.Errorf("preflight: %d, CORS headers %s", resp.StatusCode, cors(resp.Header))
			}
			resp, _ = call(t, "GET", "/open/x?cors=1", nil, "Origin", origin)
			if resp.StatusCode != 200 || cors(resp.Header) != "" {
				t.Errorf("request: %d, CORS headers %s", resp.StatusCode, cors(resp.Header))
			}
		})
	}
}

// cors lists a response's CORS headers.
func cors(h http.Header) string {
	var out []string
	for k, v := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			out = append(out, k+": "+strings.Join(v, ","))
		}
	}
	return strings.Join(out, "; ")
}

// TestThrottlingIsPerRoute floods a route whose RouteSettings allow a burst of 3 until
// it answers 429 as API Gateway does, and checks that another route, on the stage's
// defaults, still answers while the flood goes on. A flood of more requests than the
// default burst shows that the routes do not share one bucket.
func TestThrottlingIsPerRoute(t *testing.T) {
	if th, ok := stack.Throttle("GET /limited"); !ok || th != (motostack.Throttle{Burst: 3, Rate: 1, Route: true}) {
		t.Fatalf("GET /limited throttle %+v %v, want the RouteSettings entry", th, ok)
	}
	if th, ok := stack.Throttle("GET /open/{id}"); !ok || th != (motostack.Throttle{Burst: 200, Rate: 100}) {
		t.Fatalf("GET /open/{id} throttle %+v %v, want the defaults", th, ok)
	}
	var (
		throttled, passed atomic.Int64
		bodies            sync.Map
		wg                sync.WaitGroup
	)
	jobs := make(chan int)
	for range 8 {
		wg.Go(func() {
			for range jobs {
				resp, err := http.Get(stack.URL() + "/limited")
				if err != nil {
					t.Error(err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusTooManyRequests:
					throttled.Add(1)
					bodies.Store(strings.TrimSpace(string(body)), resp.Header.Get("Content-Type"))
				case http.StatusOK:
					passed.Add(1)
				default:
					t.Errorf("flood: status %d", resp.StatusCode)
				}
			}
		})
	}
	flooded := make(chan struct{})
	go func() {
		defer close(jobs)
		for i := 0; i < 300; i++ {
			if i == 250 {
				close(flooded)
			}
			jobs <- i
		}
	}()
	<-flooded
	for i := range 5 {
		if resp, body := call(t, "GET", fmt.Sprintf("/open/during-flood-%d", i), nil); resp.StatusCode != http.StatusOK {
			t.Errorf("another route during the flood: %d %s", resp.StatusCode, body)
		}
	}
	wg.Wait()
	if throttled.Load() == 0 {
		t.Fatalf("300 requests to a route with a burst of 3: none throttled (%d passed)", passed.Load())
	}
	bodies.Range(func(body, contentType any) bool {
		if body != `{"message":"Too Many Requests"}` || contentType != "application/json" {
			t.Errorf("429 answer %s (%s), want API Gateway's", body, contentType)
		}
		return true
	})
}

func TestConcurrentRequestsAllSucceed(t *testing.T) {
	var wg sync.WaitGroup
	codes := make([]int, 32)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/open/c%d", stack.URL(), i), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: status %d", i, c)
		}
	}
}

func putItem(t *testing.T, db *dynamodb.Client, pk string, extra map[string]types.AttributeValue) {
	t.Helper()
	putInto(t, db, stack.Physical("Table"), pk, extra)
}

// putInto puts an item with the partition key pk and the extra attributes in a table.
func putInto(t *testing.T, db *dynamodb.Client, table, pk string, extra map[string]types.AttributeValue) {
	t.Helper()
	item := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}}
	for k, v := range extra {
		item[k] = v
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func deliveries(t *testing.T, db *dynamodb.Client, key string) int {
	t.Helper()
	return deliveriesIn(t, db, stack.Physical("Table"), key)
}

// deliveriesIn reads how often the recorder function counted a record in a table.
func deliveriesIn(t *testing.T, db *dynamodb.Client, table, key string) int {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "OUT#" + key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, ok := out.Item["deliveries"].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	var v int
	fmt.Sscan(n.Value, &v)
	return v
}

func drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := stack.DrainStreams(ctx); err != nil {
		t.Fatal(err)
	}
}

// The stream tests share the table's stream, so they run in order, not in parallel.
func TestStreamMapping(t *testing.T) {
	db := dynamodb.NewFromConfig(localaws.Config(stack.Endpoint()))
	sqsc := sqs.NewFromConfig(localaws.Config(stack.Endpoint()))
	poison := map[string]types.AttributeValue{"poison": &types.AttributeValueMemberBOOL{Value: true}}
	crash := map[string]types.AttributeValue{"crash": &types.AttributeValueMemberBOOL{Value: true}}

	t.Run("each matching record is delivered once", func(t *testing.T) {
		for i := range 12 {
			putItem(t, db, fmt.Sprintf("IN#once-%d", i), nil)
		}
		putItem(t, db, "IGNORED#1", nil)                                                                            // filtered: key prefix
		putItem(t, db, "IN#once-0", map[string]types.AttributeValue{"v": &types.AttributeValueMemberN{Value: "2"}}) // filtered: MODIFY
		drain(t)
		for i := range 12 {
			if n := deliveries(t, db, fmt.Sprintf("once-%d", i)); n != 1 {
				t.Errorf("record once-%d delivered %d times, want 1", i, n)
			}
		}
		if deliveries(t, db, "IGNORED#1") != 0 {
			t.Error("a filtered record was delivered")
		}
	})

	// moto swaps a table for a copy when a transaction on it fails; records written
	// after that must still reach the function.
	t.Run("records after a failed transaction are delivered", func(t *testing.T) {
		_, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{
			Put: &types.Put{TableName: aws.String(stack.Physical("Table")), ConditionExpression: aws.String("attribute_exists(PK)"),
				Item: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "IN#never"}}},
		}}})
		if err == nil {
			t.Fatal("the transaction meant to fail succeeded")
		}
		putItem(t, db, "IN#after-failed-transaction", nil)
		drain(t)
		if n := deliveries(t, db, "after-failed-transaction"); n != 1 {
			t.Errorf("delivered %d times, want 1", n)
		}
	})

	// Delivery is at least once: a retry may repeat records that came after a failure,
	// never those before it, and a failing record never holds back the rest.
	t.Run("a poison record goes to the dead-letter queue and blocks nothing", func(t *testing.T) {
		putItem(t, db, "IN#before", nil)
		putItem(t, db, "IN#poison", poison)
		putItem(t, db, "IN#after", nil)
		drain(t)
		if n := deliveries(t, db, "before"); n != 1 {
			t.Errorf("the record before the failure was delivered %d times, want 1", n)
		}
		if n := deliveries(t, db, "after"); n < 1 {
			t.Errorf("the record after the failure was never delivered")
		}
		expectDeadLetters(t, sqsc, 1)
	})

	t.Run("a crashing record is split off by bisection", func(t *testing.T) {
		putItem(t, db, "IN#first", nil)
		putItem(t, db, "IN#crash", crash)
		putItem(t, db, "IN#last", nil)
		drain(t)
		for _, k := range []string{"first", "last"} {
			if n := deliveries(t, db, k); n < 1 {
				t.Errorf("%s was never delivered", k)
			}
		}
		expectDeadLetters(t, sqsc, 1)
		if st := stack.MappingStats()["RecorderFunctionStream"]; st.Failed < 2 || st.Filtered < 2 {
			t.Errorf("mapping stats %+v: want the failed and the filtered records counted", st)
		}
	})
}

// expectDeadLetters receives the dead-letter queue's messages and checks there are n,
// each describing a range of the table's stream that ran out of retries. After a
// partial batch failure the range runs from the failed record to the batch's end, as
// on Lambda.
func expectDeadLetters(t *testing.T, sqsc *sqs.Client, n int) {
	t.Helper()
	out, err := sqsc.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(stack.Physical("DeadLetters")), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != n {
		t.Fatalf("%d dead letters, want %d", len(out.Messages), n)
	}
	for _, m := range out.Messages {
		var dl struct {
			RequestContext struct {
				Condition string `json:"condition"`
			} `json:"requestContext"`
			Info struct {
				BatchSize int    `json:"batchSize"`
				StreamArn string `json:"streamArn"`
				Start     string `json:"startSequenceNumber"`
			} `json:"DDBStreamBatchInfo"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &dl); err != nil {
			t.Fatal(err)
		}
		if dl.RequestContext.Condition != "RetryAttemptsExhausted" || dl.Info.BatchSize < 1 ||
			dl.Info.StreamArn != stack.Attribute("Table", "StreamArn") || dl.Info.Start == "" {
			t.Errorf("dead letter %s", aws.ToString(m.Body))
		}
		_, _ = sqsc.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(stack.Physical("DeadLetters")), ReceiptHandle: m.ReceiptHandle})
	}
}

func TestScheduleFiresOnDemand(t *testing.T) {
	ctx := context.Background()
	res, err := stack.FireSchedule(ctx, "TickFunctionDaily")
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError != "" {
		t.Fatalf("tick failed: %s", res.Payload)
	}
	db := dynamodb.NewFromConfig(localaws.Config(stack.Endpoint()))
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(stack.Physical("Table")), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "TICK#latest"}},
	})
	if err != nil || out.Item == nil {
		t.Fatalf("no tick recorded: %v", err)
	}
	if src := out.Item["source"].(*types.AttributeValueMemberS).Value; src != "aws.scheduler" {
		t.Errorf("source %q, want aws.scheduler", src)
	}
	if dt := out.Item["detailType"].(*types.AttributeValueMemberS).Value; dt != "Scheduled Event" {
		t.Errorf("detail-type %q", dt)
	}
	if _, err := stack.FireSchedule(ctx, "NoSuchSchedule"); err == nil {
		t.Error("firing an unknown schedule succeeded")
	}
}

// testLogs keeps what the package's stacks logged, for tests about the stack's output.
var testLogs mototest.LogBuffer

// testLog keeps the stack's and functions' logs, and shows them too when MOTOSTACK_LOG
// is set.
func testLog() io.Writer {
	if os.Getenv("MOTOSTACK_LOG") != "" {
		return io.MultiWriter(&testLogs, os.Stderr)
	}
	return &testLogs
}

// TestKMSKeyIsCreated: a template's KMS key exists in moto with its rotation on; Ref
// is its key id and Arn its ARN, and it makes data keys.
func TestKMSKeyIsCreated(t *testing.T) {
	ctx := context.Background()
	id, arn := stack.Physical("Secrets"), stack.Attribute("Secrets", "Arn")
	if id == "" || !strings.HasSuffix(arn, ":key/"+id) {
		t.Fatalf("Ref %q, Arn %q: want a key id and its ARN", id, arn)
	}
	c := kms.NewFromConfig(localaws.Config(stack.Endpoint()))
	rot, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &id})
	if err != nil || !rot.KeyRotationEnabled {
		t.Errorf("rotation: %v, %v", rot, err)
	}
	desc, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &arn})
	if err != nil || aws.ToString(desc.KeyMetadata.Description) != "Seals the test's secrets" {
		t.Errorf("describe: %v", err)
	}
	out, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &id, KeySpec: kmstypes.DataKeySpecAes256,
		EncryptionContext: map[string]string{"request": "r1"}})
	if err != nil || len(out.Plaintext) != 32 {
		t.Fatalf("data key: %v", err)
	}
}
