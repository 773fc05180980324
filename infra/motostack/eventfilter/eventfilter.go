// Package eventfilter evaluates AWS Lambda event source mapping FilterCriteria,
// written in the EventBridge event-pattern syntax, against decoded JSON records,
// so the local stream poller delivers the same records Lambda would.
package eventfilter

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Filter is a compiled set of patterns; a record matches when any pattern matches.
type Filter struct {
	patterns []*node
}

// node is one object level of a pattern. Every field must match and, when the
// level carries "$or", at least one of the alternatives must match as well.
type node struct {
	fields []field
	anyOf  []*node
}

// field is either a nested pattern object (child) or a leaf list of matchers.
type field struct {
	key   string
	child *node
	leaf  []matcher
}

// matcher inspects every value found at a field's path, with record arrays
// flattened, so that "any element matches" and existence checks share one shape.
type matcher func(vals []any) bool

// Compile parses the pattern JSON strings (as they appear in FilterCriteria.Filters[].Pattern).
// No patterns means "match everything". A malformed pattern is an error naming which one.
func Compile(patterns []string) (*Filter, error) {
	f := &Filter{}
	for i, text := range patterns {
		var raw any
		if err := json.Unmarshal([]byte(text), &raw); err != nil {
			return nil, fmt.Errorf("eventfilter: pattern %d: invalid JSON: %w", i, err)
		}
		obj, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("eventfilter: pattern %d: must be a JSON object, got %s", i, describe(raw))
		}
		n, err := compileNode(obj, "")
		if err != nil {
			return nil, fmt.Errorf("eventfilter: pattern %d: %w", i, err)
		}
		f.patterns = append(f.patterns, n)
	}
	return f, nil
}

// Match reports whether the record (already decoded with encoding/json into map[string]any /
// []any / string / float64 / bool / nil) matches.
func (f *Filter) Match(record map[string]any) bool {
	if f == nil || len(f.patterns) == 0 {
		return true
	}
	vals := []any{record}
	return slices.ContainsFunc(f.patterns, func(n *node) bool { return n.match(vals) })
}

func (n *node) match(vals []any) bool {
	for _, fld := range n.fields {
		sub := lookup(vals, fld.key)
		if fld.child != nil {
			if !fld.child.match(sub) {
				return false
			}
			continue
		}
		if !slices.ContainsFunc(fld.leaf, func(m matcher) bool { return m(sub) }) {
			return false
		}
	}
	return n.anyOf == nil || slices.ContainsFunc(n.anyOf, func(alt *node) bool { return alt.match(vals) })
}

// lookup collects the values stored under key in every object among vals,
// flattening arrays so that nested objects inside arrays are searched too.
func lookup(vals []any, key string) []any {
	var out []any
	for _, v := range vals {
		if m, ok := v.(map[string]any); ok {
			if x, ok := m[key]; ok {
				out = appendFlat(out, x)
			}
		}
	}
	return out
}

func appendFlat(out []any, x any) []any {
	arr, ok := x.([]any)
	if !ok {
		return append(out, x)
	}
	for _, e := range arr {
		out = appendFlat(out, e)
	}
	return out
}

func compileNode(obj map[string]any, path string) (*node, error) {
	n := &node{}
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		p := key
		if path != "" {
			p = path + "." + key
		}
		if key == "$or" {
			alts, err := compileOr(obj[key], path)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", p, err)
			}
			n.anyOf = alts
			continue
		}
		switch v := obj[key].(type) {
		case map[string]any:
			child, err := compileNode(v, p)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: key, child: child})
		case []any:
			leaf, err := compileLeaf(v)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", p, err)
			}
			n.fields = append(n.fields, field{key: key, leaf: leaf})
		default:
			return nil, fmt.Errorf("field %q: expected an object or an array of matchers, got %s", p, describe(v))
		}
	}
	return n, nil
}

func compileOr(raw any, path string) ([]*node, error) {
	arr, ok := raw.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("expected a non-empty array of patterns, got %s", describe(raw))
	}
	alts := make([]*node, 0, len(arr))
	for i, item := range arr {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("alternative %d: expected an object, got %s", i, describe(item))
		}
		alt, err := compileNode(obj, path)
		if err != nil {
			return nil, fmt.Errorf("alternative %d: %w", i, err)
		}
		alts = append(alts, alt)
	}
	return alts, nil
}

func compileLeaf(items []any) ([]matcher, error) {
	if len(items) == 0 {
		return nil, errors.New("empty matcher array")
	}
	leaf := make([]matcher, 0, len(items))
	for i, item := range items {
		m, err := compileMatcher(item)
		if err != nil {
			return nil, fmt.Errorf("matcher %d: %w", i, err)
		}
		leaf = append(leaf, m)
	}
	return leaf, nil
}

func compileMatcher(item any) (matcher, error) {
	switch v := item.(type) {
	case nil, string, float64, bool:
		return anyValue(func(x any) bool { return equalLiteral(v, x) }), nil
	case map[string]any:
		if len(v) != 1 {
			return nil, fmt.Errorf("matcher object must hold exactly one operator, got %d", len(v))
		}
		for op, arg := range v {
			m, err := compileOperator(op, arg)
			if err != nil {
				return nil, fmt.Errorf("operator %q: %w", op, err)
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("unsupported matcher of type %s", describe(item))
}

func compileOperator(op string, arg any) (matcher, error) {
	switch op {
	case "exists":
		want, ok := arg.(bool)
		if !ok {
			return nil, fmt.Errorf("expected true or false, got %s", describe(arg))
		}
		return func(vals []any) bool {
			return slices.ContainsFunc(vals, func(x any) bool { return x != nil }) == want
		}, nil
	case "numeric":
		test, err := compileNumeric(arg)
		if err != nil {
			return nil, err
		}
		return anyValue(func(x any) bool {
			f, ok := toFloat(x)
			return ok && test(f)
		}), nil
	case "anything-but":
		excluded, err := compileAnythingBut(arg)
		if err != nil {
			return nil, err
		}
		return anyValue(func(x any) bool { return isScalar(x) && !excluded(x) }), nil
	case "prefix", "suffix", "equals-ignore-case", "wildcard":
		test, err := compileString(op, arg)
		if err != nil {
			return nil, err
		}
		return anyValue(onString(test)), nil
	}
	return nil, errors.New("not supported")
}

// compileAnythingBut returns the predicate for the values that anything-but excludes.
func compileAnythingBut(arg any) (func(any) bool, error) {
	switch v := arg.(type) {
	case string, float64, bool:
		return func(x any) bool { return equalLiteral(v, x) }, nil
	case []any:
		if len(v) == 0 {
			return nil, errors.New("empty array")
		}
		for i, lit := range v {
			if !isScalar(lit) {
				return nil, fmt.Errorf("element %d: expected a string, number or boolean, got %s", i, describe(lit))
			}
		}
		return func(x any) bool {
			return slices.ContainsFunc(v, func(lit any) bool { return equalLiteral(lit, x) })
		}, nil
	case map[string]any:
		if len(v) == 1 {
			for op, a := range v {
				switch op {
				case "prefix", "suffix", "equals-ignore-case", "wildcard":
					test, err := compileString(op, a)
					if err != nil {
						return nil, fmt.Errorf("%s: %w", op, err)
					}
					return onString(test), nil
				}
				return nil, fmt.Errorf("unsupported operator %q", op)
			}
		}
	}
	return nil, fmt.Errorf("expected a literal, an array of literals or a single string operator, got %s", describe(arg))
}

func compileString(op string, arg any) (func(string) bool, error) {
	if m, ok := arg.(map[string]any); ok && len(m) == 1 && (op == "prefix" || op == "suffix") {
		if s, ok := m["equals-ignore-case"].(string); ok {
			s = strings.ToLower(s)
			has := strings.HasPrefix
			if op == "suffix" {
				has = strings.HasSuffix
			}
			return func(x string) bool { return has(strings.ToLower(x), s) }, nil
		}
	}
	s, ok := arg.(string)
	if !ok {
		return nil, fmt.Errorf("expected a string, got %s", describe(arg))
	}
	switch op {
	case "prefix":
		return func(x string) bool { return strings.HasPrefix(x, s) }, nil
	case "suffix":
		return func(x string) bool { return strings.HasSuffix(x, s) }, nil
	case "equals-ignore-case":
		return func(x string) bool { return strings.EqualFold(x, s) }, nil
	}
	parts := strings.Split(s, "*")
	return func(x string) bool { return wildcardMatch(parts, x) }, nil
}

// wildcardMatch matches x against a pattern pre-split on '*'. Matching each
// middle segment at its leftmost position is sufficient because '*' can absorb
// any gap, so no backtracking is needed.
func wildcardMatch(parts []string, x string) bool {
	if len(parts) == 1 {
		return x == parts[0]
	}
	if !strings.HasPrefix(x, parts[0]) {
		return false
	}
	x = x[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(x, p)
		if i < 0 {
			return false
		}
		x = x[i+len(p):]
	}
	return strings.HasSuffix(x, last)
}

var comparisons = map[string]func(a, b float64) bool{
	"=":  func(a, b float64) bool { return a == b },
	"<":  func(a, b float64) bool { return a < b },
	"<=": func(a, b float64) bool { return a <= b },
	">":  func(a, b float64) bool { return a > b },
	">=": func(a, b float64) bool { return a >= b },
}

func compileNumeric(arg any) (func(float64) bool, error) {
	terms, ok := arg.([]any)
	if !ok || (len(terms) != 2 && len(terms) != 4) {
		return nil, fmt.Errorf(`expected [op, number] or [op, number, op, number], got %s`, describe(arg))
	}
	var tests []func(float64) bool
	for i := 0; i < len(terms); i += 2 {
		op, _ := terms[i].(string)
		cmp, ok := comparisons[op]
		if !ok {
			return nil, fmt.Errorf("position %d: unknown comparison %v", i, terms[i])
		}
		bound, ok := terms[i+1].(float64)
		if !ok {
			return nil, fmt.Errorf("position %d: expected a number, got %s", i+1, describe(terms[i+1]))
		}
		tests = append(tests, func(x float64) bool { return cmp(x, bound) })
	}
	return func(x float64) bool {
		for _, t := range tests {
			if !t(x) {
				return false
			}
		}
		return true
	}, nil
}

func anyValue(test func(any) bool) matcher {
	return func(vals []any) bool { return slices.ContainsFunc(vals, test) }
}

func onString(test func(string) bool) func(any) bool {
	return func(x any) bool {
		s, ok := x.(string)
		return ok && test(s)
	}
}

func equalLiteral(lit, x any) bool {
	switch l := lit.(type) {
	case string:
		s, ok := x.(string)
		return ok && s == l
	case float64:
		f, ok := toFloat(x)
		return ok && f == l
	case bool:
		b, ok := x.(bool)
		return ok && b == l
	}
	return lit == nil && x == nil
}

// toFloat also accepts json.Number and Go integers so records decoded with
// UseNumber or built by hand compare numerically.
func toFloat(x any) (float64, bool) {
	switch v := x.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

func isScalar(x any) bool {
	switch x.(type) {
	case string, bool:
		return true
	}
	_, ok := toFloat(x)
	return ok
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
