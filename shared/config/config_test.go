package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaultsAndOverrides(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		EnvTableName: "requests", EnvAmountCeiling: "1000", EnvAmountCeilingByCurr: "JPY=150000, KRW=1300000",
		EnvFiscalYearStartMonth: "7", EnvIdempotencyTTLHours: "48", EnvLogLevel: "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TableName != "requests" || cfg.Service.Rules.CeilingMajor != 1000 || cfg.Service.Rules.CeilingByCurrency["KRW"] != 1300000 ||
		cfg.Service.Calendar.StartMonth != time.July || cfg.Service.IdempotencyTTL != 48*time.Hour || cfg.LogLevel.String() != "DEBUG" {
		t.Errorf("unexpected config %+v", cfg)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{
		EnvAmountCeiling: "-1", EnvAmountCeilingByCurr: "XYZ=1", EnvFiscalYearStartMonth: "13", EnvIdempotencyTTLHours: "x", EnvLogLevel: "loud",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{EnvTableName, EnvAmountCeiling, EnvAmountCeilingByCurr, EnvFiscalYearStartMonth, EnvIdempotencyTTLHours, EnvLogLevel} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %s: %v", name, err)
		}
	}
}

// TestLoadConsole: the console's settings are read with trailing slashes trimmed, and a
// function missing them says which, all at once.
func TestLoadConsole(t *testing.T) {
	c, err := LoadConsole(env(map[string]string{
		EnvAuthBaseURL: "https://staff.auth.eu-west-1.amazoncognito.com/", EnvConsoleClientID: "abc123",
		EnvPublicBaseURL: "https://grants.example.org/tracker/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c != (Console{AuthBaseURL: "https://staff.auth.eu-west-1.amazoncognito.com", ClientID: "abc123", PublicBaseURL: "https://grants.example.org/tracker"}) {
		t.Errorf("console %+v", c)
	}
	_, err = LoadConsole(env(map[string]string{EnvAuthBaseURL: "staff.auth.example"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{EnvAuthBaseURL, EnvConsoleClientID, EnvPublicBaseURL} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %s: %v", name, err)
		}
	}
}
