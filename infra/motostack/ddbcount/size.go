package ddbcount

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Capacity unit sizes, as DynamoDB rounds them: a read unit covers up to 4 KB, a write
// unit up to 1 KB.
const (
	readUnitBytes  = 4096
	writeUnitBytes = 1024
)

// ItemSize is the size DynamoDB bills an item by: the UTF-8 length of every attribute
// name plus the size of its value (strings and binaries by their bytes, numbers at one
// byte per two significant digits plus one, booleans and nulls one byte, lists and maps
// three bytes plus one byte and the size of each element, map keys included).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += len(k) + 1 + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize is one byte per two significant digits, plus one: leading and trailing
// zeros, the sign, the decimal point and any exponent do not count.
func numberSize(s string) int {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, ".", "")
	s = strings.TrimRight(strings.TrimLeft(s, "0"), "0")
	digits := max(len(s), 1)
	return (digits+1)/2 + 1
}

// readUnits is what reading size bytes in one request costs: whole 4 KB units, at
// least one, halved for an eventually consistent read.
func readUnits(size int, consistent bool) float64 {
	u := float64(max(1, (size+readUnitBytes-1)/readUnitBytes))
	if !consistent {
		u /= 2
	}
	return u
}

// writeUnits is what writing an item of size bytes costs: whole 1 KB units, at least
// one.
func writeUnits(size int) float64 {
	return float64(max(1, (size+writeUnitBytes-1)/writeUnitBytes))
}
