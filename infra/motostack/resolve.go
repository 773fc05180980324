package motostack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Resolver evaluates CloudFormation intrinsic functions against the local stack:
// parameters, pseudo parameters, conditions, and the names and attributes of the
// resources created in moto.
type Resolver struct {
	Params     map[string]string
	Pseudo     map[string]string
	conditions map[string]any
	condCache  map[string]bool
	Physical   map[string]string            // Ref of each resource
	Attrs      map[string]map[string]string // Fn::GetAtt of each resource
	// Served maps an AWS URL the stack serves itself (a user pool domain's
	// https://PREFIX.auth.REGION.amazoncognito.com) to where it serves it: a string that
	// resolves to one of them, or to a URL under one, is given the local one instead.
	Served map[string]string
}

// noValue is what AWS::NoValue resolves to; containers drop it.
type noValue struct{}

func newResolver(m *Model, stackName string, overrides map[string]string) (*Resolver, error) {
	r := &Resolver{
		Params: map[string]string{},
		Pseudo: map[string]string{
			"AWS::Region": "us-east-1", "AWS::AccountId": accountID, "AWS::StackName": stackName,
			"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
			"AWS::StackId": "arn:aws:cloudformation:us-east-1:" + accountID + ":stack/" + stackName + "/local",
		},
		conditions: m.Conditions, condCache: map[string]bool{},
		Physical: map[string]string{}, Attrs: map[string]map[string]string{}, Served: map[string]string{},
	}
	for name, p := range m.Parameters {
		if v, ok := overrides[name]; ok {
			r.Params[name] = v
			continue
		}
		d, ok := p["Default"]
		if !ok {
			return nil, fmt.Errorf("parameter %s has no default: set it for the local stack", name)
		}
		r.Params[name] = scalarString(d)
	}
	return r, nil
}

// accountID is moto's default account.
const accountID = "123456789012"

func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		return strings.Join(strs(t), ",")
	}
	return fmt.Sprint(v)
}

// String resolves v and requires a string (numbers are formatted).
func (r *Resolver) String(v any) (string, error) {
	out, err := r.Resolve(v)
	if err != nil {
		return "", err
	}
	switch t := out.(type) {
	case string:
		return r.served(t), nil
	case float64, bool:
		return scalarString(t), nil
	case noValue:
		return "", nil
	}
	return "", fmt.Errorf("expected a string, got %T", out)
}

// served gives a URL the stack serves itself its local address.
func (r *Resolver) served(s string) string {
	for aws, local := range r.Served {
		if rest, ok := strings.CutPrefix(s, aws); ok && (rest == "" || strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "?")) {
			return local + rest
		}
	}
	return s
}

// Resolve evaluates every intrinsic function inside v.
func (r *Resolver) Resolve(v any) (any, error) {
	switch t := v.(type) {
	case []any:
		out := make([]any, 0, len(t))
		for _, x := range t {
			y, err := r.Resolve(x)
			if err != nil {
				return nil, err
			}
			if _, skip := y.(noValue); !skip {
				out = append(out, y)
			}
		}
		return out, nil
	case map[string]any:
		if len(t) == 1 {
			for k, arg := range t {
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			y, err := r.Resolve(x)
			if err != nil {
				return nil, err
			}
			if _, skip := y.(noValue); !skip {
				out[k] = y
			}
		}
		return out, nil
	}
	return v, nil
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

func (r *Resolver) intrinsic(name string, arg any) (any, error) {
	switch name {
	case "Ref":
		return r.ref(str(arg))
	case "Fn::GetAtt":
		parts := strs(arg)
		if s, ok := arg.(string); ok {
			parts = strings.SplitN(s, ".", 2)
		}
		if len(parts) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt needs [resource, attribute]")
		}
		return r.getAtt(parts[0], parts[1])
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::Join":
		list, _ := arg.([]any)
		if len(list) != 2 {
			return nil, fmt.Errorf("Fn::Join needs [delimiter, list]")
		}
		items, err := r.Resolve(list[1])
		if err != nil {
			return nil, err
		}
		parts := make([]string, 0)
		for _, it := range items.([]any) {
			parts = append(parts, scalarString(it))
		}
		return strings.Join(parts, str(list[0])), nil
	case "Fn::If":
		list, _ := arg.([]any)
		if len(list) != 3 {
			return nil, fmt.Errorf("Fn::If needs [condition, then, else]")
		}
		ok, err := r.condition(str(list[0]))
		if err != nil {
			return nil, err
		}
		if ok {
			return r.Resolve(list[1])
		}
		return r.Resolve(list[2])
	case "Fn::Select":
		list, _ := arg.([]any)
		if len(list) != 2 {
			return nil, fmt.Errorf("Fn::Select needs [index, list]")
		}
		idx, err := r.String(list[0])
		if err != nil {
			return nil, err
		}
		items, err := r.Resolve(list[1])
		if err != nil {
			return nil, err
		}
		i, _ := strconv.Atoi(idx)
		arr, _ := items.([]any)
		if i < 0 || i >= len(arr) {
			return nil, fmt.Errorf("Fn::Select index %d out of range", i)
		}
		return arr[i], nil
	case "Fn::Split":
		list, _ := arg.([]any)
		if len(list) != 2 {
			return nil, fmt.Errorf("Fn::Split needs [delimiter, string]")
		}
		s, err := r.String(list[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, str(list[0])) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		return r.evalCondition(map[string]any{name: arg})
	}
	return nil, fmt.Errorf("%s is not supported by the local stack", name)
}

func (r *Resolver) ref(name string) (any, error) {
	if name == "AWS::NoValue" {
		return noValue{}, nil
	}
	if v, ok := r.Pseudo[name]; ok {
		return v, nil
	}
	if v, ok := r.Params[name]; ok {
		return v, nil
	}
	if v, ok := r.Physical[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("Ref %s: no such parameter, or a resource the local stack does not create", name)
}

func (r *Resolver) getAtt(resource, attr string) (any, error) {
	if v, ok := r.Attrs[resource][attr]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("Fn::GetAtt %s.%s: not available locally", resource, attr)
}

func (r *Resolver) sub(arg any) (any, error) {
	text, vars := "", map[string]any{}
	switch t := arg.(type) {
	case string:
		text = t
	case []any:
		if len(t) != 2 {
			return nil, fmt.Errorf("Fn::Sub needs a string or [string, variables]")
		}
		text = str(t[0])
		vars, _ = t[1].(map[string]any)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var (
			v   any
			err error
		)
		if x, ok := vars[name]; ok {
			v, err = r.Resolve(x)
		} else if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err = r.getAtt(res, attr)
		} else {
			v, err = r.ref(name)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return scalarString(v)
	})
	return out, firstErr
}

func (r *Resolver) condition(name string) (bool, error) {
	if v, ok := r.condCache[name]; ok {
		return v, nil
	}
	def, ok := r.conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	v, err := r.evalCondition(def)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	r.condCache[name] = v
	return v, nil
}

func (r *Resolver) evalCondition(def any) (bool, error) {
	m, ok := def.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("malformed condition %v", def)
	}
	for fn, arg := range m {
		list, _ := arg.([]any)
		switch fn {
		case "Condition":
			return r.condition(str(arg))
		case "Fn::Equals":
			if len(list) != 2 {
				return false, fmt.Errorf("Fn::Equals needs two values")
			}
			a, err := r.Resolve(list[0])
			if err != nil {
				return false, err
			}
			b, err := r.Resolve(list[1])
			if err != nil {
				return false, err
			}
			return scalarString(a) == scalarString(b), nil
		case "Fn::Not":
			if len(list) != 1 {
				return false, fmt.Errorf("Fn::Not needs one condition")
			}
			v, err := r.evalCondition(list[0])
			return !v, err
		case "Fn::And", "Fn::Or":
			all := fn == "Fn::And"
			for _, c := range list {
				v, err := r.evalCondition(c)
				if err != nil {
					return false, err
				}
				if v != all {
					return v, nil
				}
			}
			return all, nil
		}
		return false, fmt.Errorf("%s is not a condition function", fn)
	}
	return false, nil
}
