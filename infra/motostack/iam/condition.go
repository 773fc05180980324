package iam

import (
	"fmt"
	"strconv"
	"strings"
)

// operator compares one value of a request's key with one value of the policy's.
type operator struct {
	match func(got, want string) bool
	// negated operators (StringNotEquals, …) hold when no pair matches.
	negated bool
}

// operators are the condition operators IAM documents for string, ARN, Boolean and
// numeric keys (IAM User Guide, "IAM JSON policy elements: Condition operators").
var operators = map[string]operator{
	"StringEquals":              {match: func(g, w string) bool { return g == w }},
	"StringNotEquals":           {match: func(g, w string) bool { return g == w }, negated: true},
	"StringEqualsIgnoreCase":    {match: strings.EqualFold},
	"StringNotEqualsIgnoreCase": {match: strings.EqualFold, negated: true},
	"StringLike":                {match: func(g, w string) bool { return Match(w, g) }},
	"StringNotLike":             {match: func(g, w string) bool { return Match(w, g) }, negated: true},
	"ArnEquals":                 {match: func(g, w string) bool { return Match(w, g) }},
	"ArnLike":                   {match: func(g, w string) bool { return Match(w, g) }},
	"ArnNotEquals":              {match: func(g, w string) bool { return Match(w, g) }, negated: true},
	"ArnNotLike":                {match: func(g, w string) bool { return Match(w, g) }, negated: true},
	"Bool":                      {match: strings.EqualFold},
	"NumericEquals":             {match: numeric(func(g, w float64) bool { return g == w })},
	"NumericNotEquals":          {match: numeric(func(g, w float64) bool { return g == w }), negated: true},
	"NumericLessThan":           {match: numeric(func(g, w float64) bool { return g < w })},
	"NumericLessThanEquals":     {match: numeric(func(g, w float64) bool { return g <= w })},
	"NumericGreaterThan":        {match: numeric(func(g, w float64) bool { return g > w })},
	"NumericGreaterThanEquals":  {match: numeric(func(g, w float64) bool { return g >= w })},
}

func numeric(cmp func(got, want float64) bool) func(string, string) bool {
	return func(g, w string) bool {
		a, err1 := strconv.ParseFloat(g, 64)
		b, err2 := strconv.ParseFloat(w, 64)
		return err1 == nil && err2 == nil && cmp(a, b)
	}
}

func newCondition(opName, key string, vals any) (Condition, error) {
	c := Condition{Operator: opName, Key: strings.ToLower(key)}
	name := opName
	if set, rest, ok := strings.Cut(name, ":"); ok {
		if set != "ForAllValues" && set != "ForAnyValue" {
			return c, fmt.Errorf("condition operator %s: unknown set qualifier %s", opName, set)
		}
		c.set, name = set, rest
	}
	if base, ok := strings.CutSuffix(name, "IfExists"); ok {
		c.ifExists, name = true, base
	}
	switch v := vals.(type) {
	case string:
		c.Values = []string{v}
	case bool:
		c.Values = []string{strconv.FormatBool(v)}
	case float64:
		c.Values = []string{strconv.FormatFloat(v, 'f', -1, 64)}
	case []any:
		for _, x := range v {
			switch t := x.(type) {
			case string:
				c.Values = append(c.Values, t)
			case bool:
				c.Values = append(c.Values, strconv.FormatBool(t))
			case float64:
				c.Values = append(c.Values, strconv.FormatFloat(t, 'f', -1, 64))
			default:
				return c, fmt.Errorf("condition %s %s: value %v of type %T (an intrinsic function left unresolved?)", opName, key, x, x)
			}
		}
	default:
		return c, fmt.Errorf("condition %s %s: value of type %T (an intrinsic function left unresolved?)", opName, key, vals)
	}
	if name == "Null" {
		c.op = operator{}
		return c, nil
	}
	op, ok := operators[name]
	if !ok {
		return c, fmt.Errorf("condition operator %s is not one the local stack evaluates", opName)
	}
	c.op = op
	return c, nil
}

// holds evaluates the condition against the request's key values.
func (c Condition) holds(ctx map[string][]string) bool {
	got, present := ctx[c.Key]
	if c.op.match == nil { // Null: "true" asks that the key be absent
		wantAbsent := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return wantAbsent == !present
	}
	if !present {
		// IAM: a key absent from the request matches nothing, so the condition is false,
		// except where it asks for no match (the Not operators), for every value
		// (ForAllValues, vacuously), or only if the key exists (…IfExists).
		return c.op.negated || c.set == "ForAllValues" || c.ifExists
	}
	one := func(g string) bool {
		for _, w := range c.Values {
			if c.op.match(g, w) {
				return true
			}
		}
		return false
	}
	switch c.set {
	case "ForAllValues":
		for _, g := range got {
			if one(g) == c.op.negated {
				return false
			}
		}
		return true
	case "ForAnyValue":
		for _, g := range got {
			if one(g) != c.op.negated {
				return true
			}
		}
		return false
	}
	// A single-valued key: any value of the request matching any of the policy's.
	for _, g := range got {
		if one(g) {
			return !c.op.negated
		}
	}
	return c.op.negated
}
