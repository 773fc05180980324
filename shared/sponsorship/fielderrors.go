package sponsorship

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one input field. Field is a dotted JSON path such as
// "conference.startDate" or "budgetItems[2].amount.value"; Code is a stable machine
// word; Message is a sentence for the person filling in the form.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Field error codes. Clients may rely on these words; messages may change.
const (
	CodeRequired         = "required"
	CodeTooShort         = "too_short"
	CodeTooLong          = "too_long"
	CodeTooMany          = "too_many"
	CodeInvalidFormat    = "invalid_format"
	CodeInvalidURL       = "invalid_url"
	CodeInvalidEmail     = "invalid_email"
	CodeInvalidDate      = "invalid_date"
	CodeDateOrder        = "date_order"
	CodeInPast           = "in_past"
	CodeOutOfRange       = "out_of_range"
	CodeUnknownValue     = "unknown_value"
	CodeUnknownCurrency  = "unknown_currency"
	CodeInvalidAmount    = "invalid_amount"
	CodeNotPositive      = "not_positive"
	CodeAboveCeiling     = "above_ceiling"
	CodeCurrencyMismatch = "currency_mismatch"
	CodeSumMismatch      = "sum_mismatch"
	CodeNotAllowed       = "not_allowed"
	CodeUnknownField     = "unknown_field"
	CodeDuplicateField   = "duplicate_field"
	CodeWrongType        = "wrong_type"
	CodeMalformed        = "malformed"
	CodeInvisible        = "invisible_character"
	CodeBidiControl      = "bidi_control"
	CodeTaken            = "taken"
)

// ValidationError carries every field error found in one input, so that a form can be
// fixed in one go.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.Field + ": " + fe.Code
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

// fieldErrors collects field errors while validating; err returns nil when there are none.
type fieldErrors struct {
	list []FieldError
}

func (f *fieldErrors) add(field, code, format string, args ...any) {
	f.list = append(f.list, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (f *fieldErrors) has(field string) bool {
	for _, fe := range f.list {
		if fe.Field == field || strings.HasPrefix(fe.Field, field+".") || strings.HasPrefix(fe.Field, field+"[") {
			return true
		}
	}
	return false
}

func (f *fieldErrors) err() error {
	if len(f.list) == 0 {
		return nil
	}
	return &ValidationError{Errors: f.list}
}
