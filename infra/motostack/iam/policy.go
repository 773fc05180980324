// Package iam evaluates identity-based IAM policies as AWS does for one principal's
// request, and names the action, resource and condition keys of an AWS API call as it
// reaches moto over HTTP. The local stack uses it to refuse what a function's execution
// role would not allow on AWS.
//
// Evaluation follows AWS's order for a single account with identity-based policies
// only: an explicit Deny in any statement wins, then an Allow in any statement, and
// otherwise the request is denied by default. Statements match on Action or NotAction,
// Resource or NotResource (wildcards * and ?; actions case-insensitively) and every
// condition in Condition (all operators must hold; any value of one key may match).
// Not modelled: resource-based policies, permissions boundaries, session policies, SCPs
// and policy variables such as ${aws:username}; a policy that uses an operator this
// package does not know is refused when it is parsed, never silently allowed.
package iam

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	// Name says where the policy came from (a role's inline policy name or a managed
	// policy ARN), for messages.
	Name       string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid         string
	Allow       bool
	Actions     []string // lower-cased patterns
	NotActions  bool     // Actions came from NotAction
	Resources   []string
	NotResource bool // Resources came from NotResource
	Conditions  []Condition
}

// Condition is one operator over one key, e.g. StringEquals ses:FromAddress.
type Condition struct {
	Operator string // as written, e.g. "ForAllValues:StringEquals"
	Key      string // lower-cased: condition keys are case-insensitive
	Values   []string
	op       operator
	set      string // "", "ForAllValues" or "ForAnyValue"
	ifExists bool
}

// ParsePolicy reads a policy document (JSON) that has had its intrinsic functions
// resolved already.
func ParsePolicy(name string, doc []byte) (Policy, error) {
	var raw struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", name, err)
	}
	var stmts []map[string]any
	if len(raw.Statement) > 0 && raw.Statement[0] == '{' {
		var one map[string]any
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return Policy{}, fmt.Errorf("policy %s: %w", name, err)
		}
		stmts = []map[string]any{one}
	} else if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		return Policy{}, fmt.Errorf("policy %s: Statement: %w", name, err)
	}
	p := Policy{Name: name}
	for i, m := range stmts {
		st, err := parseStatement(m)
		if err != nil {
			return Policy{}, fmt.Errorf("policy %s, statement %d: %w", name, i, err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(m map[string]any) (Statement, error) {
	var st Statement
	st.Sid, _ = m["Sid"].(string)
	switch m["Effect"] {
	case "Allow":
		st.Allow = true
	case "Deny":
	default:
		return st, fmt.Errorf("Effect %v is neither Allow nor Deny", m["Effect"])
	}
	if _, ok := m["Principal"]; ok {
		return st, fmt.Errorf("a Principal belongs in a resource-based policy, not a role's")
	}
	var err error
	if st.Actions, st.NotActions, err = either(m, "Action", "NotAction"); err != nil {
		return st, err
	}
	for i, a := range st.Actions {
		st.Actions[i] = strings.ToLower(a)
	}
	if st.Resources, st.NotResource, err = either(m, "Resource", "NotResource"); err != nil {
		return st, err
	}
	if c, ok := m["Condition"]; ok {
		cm, ok := c.(map[string]any)
		if !ok {
			return st, fmt.Errorf("Condition is not an object")
		}
		for opName, keys := range cm {
			km, ok := keys.(map[string]any)
			if !ok {
				return st, fmt.Errorf("Condition %s is not an object", opName)
			}
			for key, vals := range km {
				cond, err := newCondition(opName, key, vals)
				if err != nil {
					return st, err
				}
				st.Conditions = append(st.Conditions, cond)
			}
		}
		slices.SortFunc(st.Conditions, func(a, b Condition) int { return strings.Compare(a.Operator+a.Key, b.Operator+b.Key) })
	}
	return st, nil
}

// either reads exactly one of two keys holding a string or a list of strings.
func either(m map[string]any, key, notKey string) ([]string, bool, error) {
	v, has := m[key]
	nv, hasNot := m[notKey]
	switch {
	case has && hasNot:
		return nil, false, fmt.Errorf("both %s and %s", key, notKey)
	case hasNot:
		out, err := stringList(notKey, nv)
		return out, true, err
	case has:
		out, err := stringList(key, v)
		return out, false, err
	}
	return nil, false, fmt.Errorf("neither %s nor %s", key, notKey)
}

func stringList(key string, v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s holds %T, not a string (an intrinsic function left unresolved?)", key, x)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s holds %T, not a string or a list of strings (an intrinsic function left unresolved?)", key, v)
}

// Request is what one call asks of IAM: an action on a resource, with the values of
// the condition keys the call sets (multi-valued keys such as dynamodb:LeadingKeys
// hold several).
type Request struct {
	Action   string // e.g. "dynamodb:PutItem"
	Resource string // an ARN, or "*" for actions without a resource
	Context  map[string][]string
}

// Decision is the outcome of an evaluation.
type Decision struct {
	Allowed bool
	// ExplicitDeny is set when a Deny statement matched (Allowed is then false); when
	// neither is set the request was denied by default: no statement allowed it.
	ExplicitDeny bool
	// By names the statement that decided, "policy/sid" or "policy/#index".
	By string
}

// Evaluate decides a request against a principal's policies.
func Evaluate(policies []Policy, req Request) Decision {
	ctx := make(map[string][]string, len(req.Context))
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	var allowedBy string
	for _, p := range policies {
		for i, st := range p.Statements {
			if !st.matches(req, ctx) {
				continue
			}
			by := p.Name + "/" + st.Sid
			if st.Sid == "" {
				by = fmt.Sprintf("%s/#%d", p.Name, i)
			}
			if !st.Allow {
				return Decision{ExplicitDeny: true, By: by}
			}
			if allowedBy == "" {
				allowedBy = by
			}
		}
	}
	return Decision{Allowed: allowedBy != "", By: allowedBy}
}

func (st Statement) matches(req Request, ctx map[string][]string) bool {
	action := strings.ToLower(req.Action)
	hit := slices.ContainsFunc(st.Actions, func(p string) bool { return Match(p, action) })
	if hit == st.NotActions {
		return false
	}
	hit = slices.ContainsFunc(st.Resources, func(p string) bool { return Match(p, req.Resource) })
	if hit == st.NotResource {
		return false
	}
	for _, c := range st.Conditions {
		if !c.holds(ctx) {
			return false
		}
	}
	return true
}

// Match reports whether s matches an IAM pattern, where * stands for any run of
// characters (colons and slashes included) and ? for any one character.
func Match(pattern, s string) bool {
	// Iterative glob with one back-track point, linear in practice.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
