package motostack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Model is what the local stack needs from the expanded template.
type Model struct {
	raw        map[string]any
	Parameters map[string]map[string]any
	Conditions map[string]any
	Resources  map[string]Resource
	Functions  map[string]*Function // by logical id
	APIs       []*API
	Mappings   []*Mapping
	Schedules  []*Schedule
	// ManagedPolicies are the documents of the AWS managed policies the template's
	// roles attach, by ARN.
	ManagedPolicies map[string]json.RawMessage
}

// Resource is one resource of the expanded template.
type Resource struct {
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	// Condition names the condition the resource exists under; "" when it always does.
	Condition string
}

// Function is a Lambda function the stack builds and runs.
type Function struct {
	LogicalID    string
	CodeURI      string // directory of the function's main package, relative to the root
	Runtime      string
	Handler      string
	Architecture string // as the template names it: arm64 or x86_64
	MemoryMB     int
	TimeoutSec   int
	Environment  map[string]any // unresolved values
	Reserved     int            // reserved concurrency, 0 when unset
	Role         any            // unresolved execution role ARN
}

// API is an HTTP API with its routes.
type API struct {
	LogicalID   string
	Routes      []*Route
	Authorizers map[string]*Authorizer
	// CORS is the x-amazon-apigateway-cors object, unresolved (the translator may leave
	// an Fn::If around it); nil when the API has no CORS configuration.
	CORS any
	// DefaultRouteSettings and RouteSettings (by route key) are the stage's route
	// settings, unresolved; nil when the stage has none.
	DefaultRouteSettings any
	RouteSettings        any
}

// Route sends one method and path to a function.
type Route struct {
	Method     string // upper case, or ANY
	Path       string // OpenAPI form: /requests/{id}, /files/{proxy+}, or $default
	Function   string // logical id
	Authorizer string // "" when the route is open
	Scopes     []string
	Payload    string // payload format version
}

// Key is the route key API Gateway puts in events: "POST /requests/{id}".
func (r *Route) Key() string {
	if r.Path == "$default" {
		return "$default"
	}
	return r.Method + " " + r.Path
}

// Authorizer is a JWT authorizer.
type Authorizer struct {
	Name           string
	IdentitySource string
	Issuer         any
	// Audience is the audience list, unresolved: a list of values, or an intrinsic (an
	// Fn::If between two lists) that resolves to one.
	Audience any
}

// CORS is an HTTP API's CORS configuration, resolved.
type CORS struct {
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	AllowCredentials bool
	MaxAge           int
}

// Mapping is an event source mapping.
type Mapping struct {
	LogicalID          string
	Function           string
	Source             any // unresolved EventSourceArn
	BatchSize          int
	BatchingWindowSec  int
	Filters            []string
	Bisect             bool
	MaxRetries         int // -1: until the record expires
	MaxRecordAgeSec    int // -1: no limit
	ReportItemFailures bool
	OnFailure          any // unresolved destination ARN, nil when none
	StartingPosition   string
	Enabled            bool
}

// Schedule invokes a function on a rate, cron or at expression.
type Schedule struct {
	LogicalID  string
	Expression string
	Timezone   string
	Function   string
	Input      string // payload; "" means the scheduler's default event
	Rule       bool   // an EventBridge rule (sends a Scheduled Event) rather than a Scheduler schedule
	Enabled    bool
}

var arnRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\.Arn\}`)

// ParseModel reads the expanded template JSON.
func ParseModel(expanded []byte) (*Model, error) {
	var t struct {
		Parameters map[string]map[string]any
		Conditions map[string]any
		Resources  map[string]Resource
		// LocalManagedPolicies are the AWS managed policies the roles attach (expand.py).
		LocalManagedPolicies map[string]json.RawMessage
	}
	if err := json.Unmarshal(expanded, &t); err != nil {
		return nil, fmt.Errorf("read expanded template: %w", err)
	}
	m := &Model{Parameters: t.Parameters, Conditions: t.Conditions, Resources: t.Resources, Functions: map[string]*Function{},
		ManagedPolicies: t.LocalManagedPolicies}
	_ = json.Unmarshal(expanded, &m.raw)
	for _, id := range sortedKeys(t.Resources) {
		r := t.Resources[id]
		var err error
		switch r.Type {
		case "AWS::Lambda::Function":
			err = m.addFunction(id, r)
		case "AWS::ApiGatewayV2::Api":
			err = m.addAPI(id, r)
		case "AWS::Lambda::EventSourceMapping":
			err = m.addMapping(id, r)
		case "AWS::Scheduler::Schedule", "AWS::Events::Rule":
			m.addSchedule(id, r)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
	}
	// Stage settings (throttling) belong to the API they deploy.
	for _, r := range t.Resources {
		if r.Type != "AWS::ApiGatewayV2::Stage" {
			continue
		}
		for _, api := range m.APIs {
			if refName(r.Properties["ApiId"]) == api.LogicalID {
				api.DefaultRouteSettings = r.Properties["DefaultRouteSettings"]
				api.RouteSettings = r.Properties["RouteSettings"]
			}
		}
	}
	return m, nil
}

func (m *Model) addFunction(id string, r Resource) error {
	p := r.Properties
	code, _ := r.Metadata["LocalCodeUri"].(string)
	if code == "" {
		return fmt.Errorf("function has no local CodeUri")
	}
	f := &Function{
		LogicalID: id, CodeURI: code, Runtime: str(p["Runtime"]), Handler: str(p["Handler"]),
		Architecture: "x86_64", MemoryMB: toInt(p["MemorySize"], 128), TimeoutSec: toInt(p["Timeout"], 3),
		Environment: map[string]any{}, Reserved: toInt(p["ReservedConcurrentExecutions"], 0), Role: p["Role"],
	}
	if archs, ok := p["Architectures"].([]any); ok && len(archs) > 0 {
		f.Architecture = str(archs[0])
	}
	if env, ok := p["Environment"].(map[string]any); ok {
		if vars, ok := env["Variables"].(map[string]any); ok {
			f.Environment = vars
		}
	}
	m.Functions[id] = f
	return nil
}

func (m *Model) addAPI(id string, r Resource) error {
	body, ok := r.Properties["Body"].(map[string]any)
	if !ok {
		return fmt.Errorf("HTTP API without an OpenAPI body is not supported locally")
	}
	api := &API{LogicalID: id, Authorizers: map[string]*Authorizer{}}
	if comps, ok := body["components"].(map[string]any); ok {
		schemes, _ := comps["securitySchemes"].(map[string]any)
		for name, s := range schemes {
			az, _ := s.(map[string]any)["x-amazon-apigateway-authorizer"].(map[string]any)
			if az == nil || az["type"] != "jwt" {
				return fmt.Errorf("authorizer %s: only JWT authorizers are supported locally", name)
			}
			cfg, _ := az["jwtConfiguration"].(map[string]any)
			api.Authorizers[name] = &Authorizer{Name: name, IdentitySource: str(az["identitySource"]), Issuer: cfg["issuer"], Audience: cfg["audience"]}
		}
	}
	api.CORS = body["x-amazon-apigateway-cors"]
	paths, _ := body["paths"].(map[string]any)
	for _, path := range sortedKeys(paths) {
		ops, _ := paths[path].(map[string]any)
		for _, method := range sortedKeys(ops) {
			op, ok := ops[method].(map[string]any)
			if !ok {
				continue
			}
			integ, ok := op["x-amazon-apigateway-integration"].(map[string]any)
			if !ok {
				continue
			}
			fn := functionOf(integ["uri"])
			if fn == "" {
				return fmt.Errorf("%s %s: integration is not a function of this template", method, path)
			}
			route := &Route{Method: strings.ToUpper(method), Path: path, Function: fn, Payload: str(integ["payloadFormatVersion"])}
			if route.Method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
				route.Method = "ANY"
			}
			// SAM writes the catch-all route (Path: /$default, Method: ANY) as the path
			// /$default, which API Gateway takes as its $default route (SAM issue #1860).
			if def, _ := op["isDefaultRoute"].(bool); def || path == "$default" || path == "/$default" {
				route.Path = "$default"
			}
			if sec, ok := op["security"].([]any); ok && len(sec) > 0 {
				for name, scopes := range sec[0].(map[string]any) {
					if name != "NONE" {
						route.Authorizer = name
						route.Scopes = strs(scopes)
					}
				}
			}
			api.Routes = append(api.Routes, route)
		}
	}
	m.APIs = append(m.APIs, api)
	return nil
}

func (m *Model) addMapping(id string, r Resource) error {
	p := r.Properties
	mp := &Mapping{
		LogicalID: id, Function: refName(p["FunctionName"]), Source: p["EventSourceArn"],
		BatchSize: toInt(p["BatchSize"], 100), BatchingWindowSec: toInt(p["MaximumBatchingWindowInSeconds"], 0),
		MaxRetries: toInt(p["MaximumRetryAttempts"], -1), MaxRecordAgeSec: toInt(p["MaximumRecordAgeInSeconds"], -1),
		StartingPosition: str(p["StartingPosition"]), Enabled: true,
	}
	if e, ok := p["Enabled"].(bool); ok {
		mp.Enabled = e
	}
	mp.Bisect, _ = p["BisectBatchOnFunctionError"].(bool)
	for _, t := range strs(p["FunctionResponseTypes"]) {
		mp.ReportItemFailures = mp.ReportItemFailures || t == "ReportBatchItemFailures"
	}
	if fc, ok := p["FilterCriteria"].(map[string]any); ok {
		filters, _ := fc["Filters"].([]any)
		for _, f := range filters {
			mp.Filters = append(mp.Filters, str(f.(map[string]any)["Pattern"]))
		}
	}
	if dc, ok := p["DestinationConfig"].(map[string]any); ok {
		if of, ok := dc["OnFailure"].(map[string]any); ok {
			mp.OnFailure = of["Destination"]
		}
	}
	if mp.Function == "" {
		return fmt.Errorf("event source mapping to a function outside this template")
	}
	m.Mappings = append(m.Mappings, mp)
	return nil
}

func (m *Model) addSchedule(id string, r Resource) {
	p := r.Properties
	expr := str(p["ScheduleExpression"])
	if expr == "" {
		return // an event-pattern rule, not a schedule
	}
	s := &Schedule{LogicalID: id, Expression: expr, Timezone: str(p["ScheduleExpressionTimezone"]), Enabled: true}
	switch r.Type {
	case "AWS::Scheduler::Schedule":
		target, _ := p["Target"].(map[string]any)
		s.Function = refName(target["Arn"])
		s.Input = str(target["Input"])
		s.Enabled = str(p["State"]) != "DISABLED"
	case "AWS::Events::Rule":
		s.Rule = true
		targets, _ := p["Targets"].([]any)
		if len(targets) > 0 {
			t := targets[0].(map[string]any)
			s.Function = refName(t["Arn"])
			s.Input = str(t["Input"])
		}
		s.Enabled = str(p["State"]) != "DISABLED"
	}
	if s.Function != "" {
		m.Schedules = append(m.Schedules, s)
	}
}

// functionOf finds the function an integration URI names (${Fn.Arn} inside Fn::Sub).
func functionOf(uri any) string {
	if sub, ok := uri.(map[string]any)["Fn::Sub"]; ok {
		if s, ok := sub.(string); ok {
			if m := arnRef.FindStringSubmatch(s); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

// refName returns the logical id a {"Ref": X} or {"Fn::GetAtt": [X, ...]} names.
func refName(v any) string {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := t["Ref"].(string); ok {
			return r
		}
		if ga, ok := t["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
			return str(ga[0])
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func toInt(v any, def int) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case string:
		var i int
		if _, err := fmt.Sscan(n, &i); err == nil {
			return i
		}
	}
	return def
}

// number reads a resolved template number, which a parameter may have made a string.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	}
	return 0, false
}
