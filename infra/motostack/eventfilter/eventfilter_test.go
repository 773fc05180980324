package eventfilter

import (
	"encoding/json"
	"strings"
	"testing"
)

const sampleRecord = `{
	"name": "Widget",
	"count": 5,
	"price": 12.5,
	"active": true,
	"note": null,
	"blank": "",
	"tags": ["red", "blue"],
	"nums": [1, 10, 100],
	"empty": [],
	"nested": {"deep": {"id": "abc-123"}},
	"items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 0}]
}`

func decode(t testing.TB, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("decode record: %v", err)
	}
	return m
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		want     bool
	}{
		{"string literal", []string{`{"name":["Widget"]}`}, true},
		{"string literal mismatch", []string{`{"name":["Gadget"]}`}, false},
		{"any literal in array", []string{`{"name":["Gadget","Widget"]}`}, true},
		{"number literal", []string{`{"count":[5]}`}, true},
		{"number compares numerically", []string{`{"count":[5.0]}`, `{"price":[1.25e1]}`}, true},
		{"number does not match string", []string{`{"count":["5"]}`}, false},
		{"boolean literal", []string{`{"active":[true]}`}, true},
		{"boolean mismatch", []string{`{"active":[false]}`}, false},
		{"null matches null", []string{`{"note":[null]}`}, true},
		{"null does not match missing", []string{`{"missing":[null]}`}, false},
		{"null does not match empty string", []string{`{"blank":[null]}`}, false},
		{"empty string literal", []string{`{"blank":[""]}`}, true},
		{"missing field fails literal", []string{`{"missing":["x"]}`}, false},

		{"record array any element", []string{`{"tags":["blue"]}`}, true},
		{"record array no element", []string{`{"tags":["green"]}`}, false},
		{"record array numeric", []string{`{"nums":[{"numeric":[">",50]}]}`}, true},
		{"array of objects", []string{`{"items":{"sku":["B2"]}}`}, true},
		{"array of objects numeric", []string{`{"items":{"qty":[{"numeric":[">",1]}]}}`}, true},
		{"array of objects mismatch", []string{`{"items":{"sku":["C3"]}}`}, false},

		{"prefix", []string{`{"name":[{"prefix":"Wid"}]}`}, true},
		{"prefix mismatch", []string{`{"name":[{"prefix":"wid"}]}`}, false},
		{"prefix ignores non-strings", []string{`{"count":[{"prefix":"5"}]}`}, false},
		{"prefix ignore case", []string{`{"name":[{"prefix":{"equals-ignore-case":"wID"}}]}`}, true},
		{"suffix", []string{`{"name":[{"suffix":"get"}]}`}, true},
		{"suffix mismatch", []string{`{"name":[{"suffix":"GET"}]}`}, false},
		{"suffix ignore case", []string{`{"name":[{"suffix":{"equals-ignore-case":"GET"}}]}`}, true},
		{"equals-ignore-case", []string{`{"name":[{"equals-ignore-case":"wIDGET"}]}`}, true},
		{"equals-ignore-case mismatch", []string{`{"name":[{"equals-ignore-case":"widgets"}]}`}, false},

		{"wildcard middle", []string{`{"name":[{"wildcard":"W*t"}]}`}, true},
		{"wildcard several stars", []string{`{"nested":{"deep":{"id":[{"wildcard":"*b*-*3"}]}}}`}, true},
		{"wildcard star only", []string{`{"blank":[{"wildcard":"*"}]}`}, true},
		{"wildcard without star is exact", []string{`{"name":[{"wildcard":"Widge"}]}`}, false},
		{"wildcard mismatch", []string{`{"name":[{"wildcard":"W*x"}]}`}, false},
		{"wildcard overlapping segments", []string{`{"name":[{"wildcard":"*dg*dg*"}]}`}, false},

		{"anything-but string", []string{`{"name":[{"anything-but":"Gadget"}]}`}, true},
		{"anything-but string excluded", []string{`{"name":[{"anything-but":"Widget"}]}`}, false},
		{"anything-but list", []string{`{"name":[{"anything-but":["Gadget","Widget"]}]}`}, false},
		{"anything-but number", []string{`{"count":[{"anything-but":5.0}]}`}, false},
		{"anything-but number list", []string{`{"count":[{"anything-but":[1,2]}]}`}, true},
		{"anything-but prefix", []string{`{"name":[{"anything-but":{"prefix":"Wid"}}]}`}, false},
		{"anything-but suffix", []string{`{"name":[{"anything-but":{"suffix":"xyz"}}]}`}, true},
		{"anything-but on array any element", []string{`{"tags":[{"anything-but":"red"}]}`}, true},
		{"anything-but on array all excluded", []string{`{"tags":[{"anything-but":["red","blue"]}]}`}, false},
		{"anything-but missing field", []string{`{"missing":[{"anything-but":"x"}]}`}, false},
		{"anything-but null field", []string{`{"note":[{"anything-but":"x"}]}`}, false},

		{"exists true", []string{`{"name":[{"exists":true}]}`}, true},
		{"exists true missing", []string{`{"missing":[{"exists":true}]}`}, false},
		{"exists false missing", []string{`{"missing":[{"exists":false}]}`}, true},
		{"exists false present", []string{`{"name":[{"exists":false}]}`}, false},
		{"exists true on object", []string{`{"nested":[{"exists":true}]}`}, true},
		{"exists true on null", []string{`{"note":[{"exists":true}]}`}, false},
		{"exists false on empty array", []string{`{"empty":[{"exists":false}]}`}, true},
		{"exists false under missing parent", []string{`{"missing":{"child":[{"exists":false}]}}`}, true},
		{"literal under missing parent", []string{`{"missing":{"child":["x"]}}`}, false},

		{"numeric range inclusive", []string{`{"count":[{"numeric":[">",0,"<=",5]}]}`}, true},
		{"numeric range exclusive", []string{`{"count":[{"numeric":[">=",0,"<",5]}]}`}, false},
		{"numeric equals", []string{`{"price":[{"numeric":["=",12.5]}]}`}, true},
		{"numeric greater", []string{`{"count":[{"numeric":[">",5]}]}`}, false},
		{"numeric greater or equal", []string{`{"count":[{"numeric":[">=",5]}]}`}, true},
		{"numeric less", []string{`{"price":[{"numeric":["<",13]}]}`}, true},
		{"numeric ignores strings", []string{`{"name":[{"numeric":[">",0]}]}`}, false},

		{"and across fields", []string{`{"name":["Widget"],"count":[5],"nested":{"deep":{"id":[{"prefix":"abc"}]}}}`}, true},
		{"and fails on one field", []string{`{"name":["Widget"],"count":[6]}`}, false},
		{"matchers or-ed within field", []string{`{"count":[{"numeric":[">",10]},{"prefix":"x"},5]}`}, true},
		{"or first alternative", []string{`{"$or":[{"name":["Widget"]},{"count":[99]}]}`}, true},
		{"or second alternative", []string{`{"$or":[{"name":["Gadget"]},{"count":[5]}]}`}, true},
		{"or no alternative", []string{`{"$or":[{"name":["Gadget"]},{"count":[99]}]}`}, false},
		{"or plus failing sibling", []string{`{"active":[false],"$or":[{"name":["Widget"]},{"count":[5]}]}`}, false},
		{"or plus matching sibling", []string{`{"active":[true],"$or":[{"name":["Gadget"]},{"count":[5]}]}`}, true},
		{"or nested level", []string{`{"nested":{"$or":[{"deep":{"id":["nope"]}},{"other":[{"exists":false}]}]}}`}, true},
		{"or inside or", []string{`{"$or":[{"$or":[{"name":["x"]},{"tags":["red"]}]},{"count":[0]}]}`}, true},

		{"empty pattern matches", []string{`{}`}, true},
		{"no patterns match everything", nil, true},
		{"empty pattern list matches everything", []string{}, true},
		{"several patterns first matches", []string{`{"name":["Widget"]}`, `{"count":[99]}`}, true},
		{"several patterns second matches", []string{`{"name":["Gadget"]}`, `{"count":[5]}`}, true},
		{"several patterns none match", []string{`{"name":["Gadget"]}`, `{"count":[99]}`}, false},
	}
	record := decode(t, sampleRecord)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Compile(tc.patterns)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := f.Match(record); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatchDynamoDBStream(t *testing.T) {
	const pattern = `{"eventName":["INSERT"],"dynamodb":{"Keys":{"SK":{"S":[{"prefix":"EVENT#"}]}}}}`
	record := func(eventName, sk string) string {
		return `{"eventID":"1","eventName":"` + eventName + `","eventSource":"aws:dynamodb",
			"dynamodb":{"Keys":{"PK":{"S":"SPONSOR#42"},"SK":{"S":"` + sk + `"}},
			"NewImage":{"PK":{"S":"SPONSOR#42"},"SK":{"S":"` + sk + `"},"Amount":{"N":"250"}},
			"StreamViewType":"NEW_AND_OLD_IMAGES"}}`
	}
	tests := []struct {
		name   string
		record string
		want   bool
	}{
		{"insert of event", record("INSERT", "EVENT#0000000001"), true},
		{"modify of event", record("MODIFY", "EVENT#0000000001"), false},
		{"insert of request", record("INSERT", "REQUEST"), false},
		{"remove without keys", `{"eventName":"REMOVE"}`, false},
	}
	f, err := Compile([]string{pattern})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.Match(decode(t, tc.record)); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatchNonFloatNumbers(t *testing.T) {
	f, err := Compile([]string{`{"n":[{"numeric":[">",1]}],"m":[3]}`})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if !f.Match(map[string]any{"n": json.Number("2"), "m": 3}) {
		t.Error("json.Number and int values should compare numerically")
	}
	var nilFilter *Filter
	if !nilFilter.Match(map[string]any{"a": 1.0}) {
		t.Error("nil Filter should match everything")
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		wantErr  string
	}{
		{"invalid JSON", []string{`{"a":`}, "pattern 0: invalid JSON"},
		{"names failing pattern", []string{`{"a":["x"]}`, `{"a":"x"}`}, "pattern 1:"},
		{"empty string", []string{``}, "pattern 0: invalid JSON"},
		{"trailing data", []string{`{"a":["x"]} {}`}, "invalid JSON"},
		{"not an object", []string{`["a"]`}, "must be a JSON object, got array"},
		{"leaf string", []string{`{"a":{"b":"x"}}`}, `field "a.b": expected an object or an array of matchers, got string`},
		{"leaf number", []string{`{"a":5}`}, "got number"},
		{"leaf null", []string{`{"a":null}`}, "got null"},
		{"empty matcher array", []string{`{"a":[]}`}, "empty matcher array"},
		{"nested array matcher", []string{`{"a":[["x"]]}`}, "matcher 0: unsupported matcher of type array"},
		{"unknown operator", []string{`{"a":["x",{"regex":"x"}]}`}, `matcher 1: operator "regex": not supported`},
		{"two operators", []string{`{"a":[{"prefix":"x","suffix":"y"}]}`}, "exactly one operator, got 2"},
		{"empty operator object", []string{`{"a":[{}]}`}, "exactly one operator, got 0"},
		{"prefix not string", []string{`{"a":[{"prefix":5}]}`}, `operator "prefix": expected a string, got number`},
		{"prefix bad object", []string{`{"a":[{"prefix":{"wildcard":"x"}}]}`}, "expected a string, got object"},
		{"equals-ignore-case not string", []string{`{"a":[{"equals-ignore-case":["x"]}]}`}, "expected a string, got array"},
		{"wildcard not string", []string{`{"a":[{"wildcard":true}]}`}, "expected a string, got boolean"},
		{"exists not bool", []string{`{"a":[{"exists":"yes"}]}`}, `operator "exists": expected true or false`},
		{"numeric not array", []string{`{"a":[{"numeric":5}]}`}, "expected [op, number]"},
		{"numeric odd length", []string{`{"a":[{"numeric":[">",1,"<"]}]}`}, "expected [op, number]"},
		{"numeric too long", []string{`{"a":[{"numeric":[">",1,"<",5,"<",6]}]}`}, "expected [op, number]"},
		{"numeric bad operator", []string{`{"a":[{"numeric":["!=",1]}]}`}, "unknown comparison !="},
		{"numeric bound not number", []string{`{"a":[{"numeric":[">","1"]}]}`}, "position 1: expected a number, got string"},
		{"anything-but empty list", []string{`{"a":[{"anything-but":[]}]}`}, "empty array"},
		{"anything-but object in list", []string{`{"a":[{"anything-but":[{"prefix":"x"}]}]}`}, "element 0: expected a string, number or boolean, got object"},
		{"anything-but null", []string{`{"a":[{"anything-but":null}]}`}, "expected a literal"},
		{"anything-but unknown operator", []string{`{"a":[{"anything-but":{"numeric":[">",1]}}]}`}, `unsupported operator "numeric"`},
		{"anything-but bad prefix", []string{`{"a":[{"anything-but":{"prefix":1}}]}`}, "prefix: expected a string"},
		{"or not array", []string{`{"$or":{"a":["x"]}}`}, `"$or": expected a non-empty array of patterns, got object`},
		{"or empty", []string{`{"$or":[]}`}, "non-empty array"},
		{"or element not object", []string{`{"$or":[["x"]]}`}, "alternative 0: expected an object, got array"},
		{"or element invalid", []string{`{"x":{"$or":[{"a":["x"]},{"b":"y"}]}}`}, `"x.$or": alternative 1: field "x.b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Compile(tc.patterns)
			if err == nil {
				t.Fatalf("Compile succeeded (%v), want error containing %q", f, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzCompileMatch(f *testing.F) {
	for _, seed := range []string{
		`{"eventName":["INSERT"],"dynamodb":{"Keys":{"SK":{"S":[{"prefix":"EVENT#"}]}}}}`,
		`{"$or":[{"name":[{"wildcard":"W*t"}]},{"count":[{"numeric":[">",0,"<=",5]}]}]}`,
		`{"tags":[{"anything-but":["red"]}],"missing":[{"exists":false}],"note":[null]}`,
		`{"name":[{"suffix":{"equals-ignore-case":"GET"}}],"items":{"sku":[{"anything-but":{"prefix":"A"}}]}}`,
		`{"a":[{"regex":"x"}]}`,
		`{}`,
	} {
		f.Add(seed)
	}
	record := decode(f, sampleRecord)
	f.Fuzz(func(t *testing.T, pattern string) {
		flt, err := Compile([]string{pattern})
		if err != nil {
			return
		}
		if flt.Match(record) != flt.Match(record) {
			t.Fatal("Match is not deterministic")
		}
	})
}
