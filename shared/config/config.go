// Package config reads a function's configuration from its environment, as template.yaml
// sets it, and reports every missing or malformed variable at once.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/money"
	"github.com/sponsorship-tracker/sponsorship-tracker/shared/sponsorship"
)

// Config is the configuration the API functions share.
type Config struct {
	TableName string
	LogLevel  slog.Level
	Service   sponsorship.Config
}

// Environment variable names, as template.yaml sets them.
const (
	EnvTableName            = "TABLE_NAME"
	EnvLogLevel             = "LOG_LEVEL"
	EnvAmountCeiling        = "AMOUNT_CEILING"
	EnvAmountCeilingByCurr  = "AMOUNT_CEILING_BY_CURRENCY"
	EnvFiscalYearStartMonth = "FISCAL_YEAR_START_MONTH"
	EnvIdempotencyTTLHours  = "IDEMPOTENCY_TTL_HOURS"
)

// Load reads the configuration through getenv (os.Getenv in production). Optional
// variables fall back to the domain's defaults.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	cfg := Config{
		TableName: getenv(EnvTableName),
		Service: sponsorship.Config{
			Rules:          sponsorship.DefaultRules,
			Calendar:       sponsorship.FiscalCalendar{StartMonth: time.January},
			IdempotencyTTL: 24 * time.Hour,
		},
	}
	if cfg.TableName == "" {
		errs = append(errs, fmt.Errorf("%s is required", EnvTableName))
	}
	if v := getenv(EnvLogLevel); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvLogLevel, err))
		}
	}
	if v := getenv(EnvAmountCeiling); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive whole number", EnvAmountCeiling, v))
		}
		cfg.Service.Rules.CeilingMajor = n
	}
	if v := getenv(EnvAmountCeilingByCurr); v != "" {
		byCurrency, err := parseCeilings(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvAmountCeilingByCurr, err))
		}
		cfg.Service.Rules.CeilingByCurrency = byCurrency
	}
	if v := getenv(EnvFiscalYearStartMonth); v != "" {
		n, err := strconv.Atoi(v)
		cfg.Service.Calendar.StartMonth = time.Month(n)
		if err != nil || cfg.Service.Calendar.Validate() != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not a month number 1-12", EnvFiscalYearStartMonth, v))
		}
	}
	if v := getenv(EnvIdempotencyTTLHours); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive number of hours", EnvIdempotencyTTLHours, v))
		}
		cfg.Service.IdempotencyTTL = time.Duration(n) * time.Hour
	}
	return cfg, errors.Join(errs...)
}

// parseCeilings reads "JPY=40000000,KRW=350000000".
func parseCeilings(s string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, part := range strings.Split(s, ",") {
		code, units, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.ParseInt(units, 10, 64)
		if !ok || err != nil || n <= 0 || !money.KnownCurrency(code) {
			return nil, fmt.Errorf("%q is not CURRENCY=whole-units", part)
		}
		out[code] = n
	}
	return out, nil
}

// Notify is the configuration of the notification functions.
type Notify struct {
	Sender       string        // the verified SES sender address
	BaseURL      string        // where applicants and reviewers open links
	ChatWebhook  string        // a Slack-compatible incoming webhook; empty for none
	FinanceEmail string        // finance's mailbox; empty for none
	AdminsEmail  string        // the admins' mailbox; empty for none
	RemindAfter  time.Duration // how long a request waits before reminders mention it
}

// Environment variable names of the notification functions.
const (
	EnvSenderEmail       = "SENDER_EMAIL"
	EnvPublicBaseURL     = "PUBLIC_BASE_URL"
	EnvChatWebhookURL    = "CHAT_WEBHOOK_URL"
	EnvFinanceEmail      = "FINANCE_EMAIL"
	EnvAdminsEmail       = "ADMINS_EMAIL"
	EnvReminderAfterDays = "REMINDER_AFTER_DAYS"
)

// LoadNotify reads the notification settings, reporting every problem at once.
func LoadNotify(getenv func(string) string) (Notify, error) {
	var errs []error
	n := Notify{
		Sender: getenv(EnvSenderEmail), BaseURL: getenv(EnvPublicBaseURL), ChatWebhook: getenv(EnvChatWebhookURL),
		FinanceEmail: getenv(EnvFinanceEmail), AdminsEmail: getenv(EnvAdminsEmail), RemindAfter: 3 * 24 * time.Hour,
	}
	if n.Sender == "" {
		errs = append(errs, fmt.Errorf("%s is required", EnvSenderEmail))
	}
	if u, err := url.Parse(n.BaseURL); n.BaseURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, fmt.Errorf("%s must be an http(s) URL", EnvPublicBaseURL))
	}
	if n.ChatWebhook != "" {
		if u, err := url.Parse(n.ChatWebhook); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			// The value is a secret: the message does not repeat it.
			errs = append(errs, fmt.Errorf("%s is not an http(s) URL", EnvChatWebhookURL))
		}
	}
	if v := getenv(EnvReminderAfterDays); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 1 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive number of days", EnvReminderAfterDays, v))
		}
		n.RemindAfter = time.Duration(d) * 24 * time.Hour
	}
	return n, errors.Join(errs...)
}

// Reports is the configuration of the finance function's reports.
type Reports struct {
	Bucket      string // where reports too large for a response go
	InlineLimit int64  // the largest report answered inline, in bytes
}

// Environment variable names of the finance function.
const (
	EnvReportsBucket     = "REPORTS_BUCKET"
	EnvReportInlineLimit = "REPORT_INLINE_LIMIT_BYTES"
)

// LoadReports reads the report settings, reporting every problem at once.
func LoadReports(getenv func(string) string) (Reports, error) {
	r := Reports{Bucket: getenv(EnvReportsBucket), InlineLimit: 4 << 20}
	var errs []error
	if r.Bucket == "" {
		errs = append(errs, fmt.Errorf("%s is required", EnvReportsBucket))
	}
	if v := getenv(EnvReportInlineLimit); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > 5<<20 {
			errs = append(errs, fmt.Errorf("%s=%q is not a size from 1 byte to 5 MiB", EnvReportInlineLimit, v))
		}
		r.InlineLimit = n
	}
	return r, errors.Join(errs...)
}

// EnvEvidenceBucket names the private bucket of attachments.
const EnvEvidenceBucket = "EVIDENCE_BUCKET"

// LoadEvidenceBucket reads the name of the attachments' bucket.
func LoadEvidenceBucket(getenv func(string) string) (string, error) {
	if b := getenv(EnvEvidenceBucket); b != "" {
		return b, nil
	}
	return "", fmt.Errorf("%s is required", EnvEvidenceBucket)
}

// EnvPayoutKey names the KMS key that seals applicants' payout details.
const EnvPayoutKey = "PAYOUT_KEY_ID"

// LoadPayoutKey reads the KMS key (id, ARN or alias) of the payout details.
func LoadPayoutKey(getenv func(string) string) (string, error) {
	if k := getenv(EnvPayoutKey); k != "" {
		return k, nil
	}
	return "", fmt.Errorf("%s is required", EnvPayoutKey)
}

// Console is where the staff console signs staff in: the submissions function tells the
// console (GET /console/config.json).
type Console struct {
	AuthBaseURL   string // Cognito managed login's origin (the user pool domain), no trailing slash
	ClientID      string // the console's app client
	PublicBaseURL string // where the console lives (PUBLIC_BASE_URL/console/), no trailing slash
}

// Environment variable names of the console's sign-in settings; PUBLIC_BASE_URL is
// EnvPublicBaseURL.
const (
	EnvAuthBaseURL     = "AUTH_BASE_URL"
	EnvConsoleClientID = "CONSOLE_CLIENT_ID"
)

// LoadConsole reads the console's sign-in settings, reporting every problem at once.
func LoadConsole(getenv func(string) string) (Console, error) {
	c := Console{
		AuthBaseURL: strings.TrimRight(getenv(EnvAuthBaseURL), "/"), ClientID: getenv(EnvConsoleClientID),
		PublicBaseURL: strings.TrimRight(getenv(EnvPublicBaseURL), "/"),
	}
	var errs []error
	for _, v := range []struct{ name, value string }{{EnvAuthBaseURL, c.AuthBaseURL}, {EnvPublicBaseURL, c.PublicBaseURL}} {
		if u, err := url.Parse(v.value); v.value == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an http(s) URL", v.name))
		}
	}
	if c.ClientID == "" {
		errs = append(errs, fmt.Errorf("%s is required", EnvConsoleClientID))
	}
	return c, errors.Join(errs...)
}

// Log is the verifiable log's identity: its signing key in KMS and its origin, the
// name that begins every checkpoint and names the key.
type Log struct {
	KeyID  string
	Origin string
}

// Environment variable names of the log's settings.
const (
	EnvLogKey    = "LOG_KEY_ID"
	EnvLogOrigin = "LOG_ORIGIN"
)

// LoadLog reads the log's settings. The origin defaults to the host (and port) of
// PUBLIC_BASE_URL followed by /log, as C2SP asks: a schema-less URL that no other log
// uses.
func LoadLog(getenv func(string) string) (Log, error) {
	l := Log{KeyID: getenv(EnvLogKey), Origin: getenv(EnvLogOrigin)}
	var errs []error
	if l.KeyID == "" {
		errs = append(errs, fmt.Errorf("%s is required", EnvLogKey))
	}
	if l.Origin == "" {
		u, err := url.Parse(getenv(EnvPublicBaseURL))
		if err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s or a %s with a host is required", EnvLogOrigin, EnvPublicBaseURL))
		} else {
			l.Origin = u.Host + strings.TrimRight(u.Path, "/") + "/log"
		}
	}
	if strings.ContainsAny(l.Origin, " \n+") {
		errs = append(errs, fmt.Errorf("%s %q may not hold spaces, newlines or '+'", EnvLogOrigin, l.Origin))
	}
	return l, errors.Join(errs...)
}
