package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
)

// ConsoleRun is the console step's output: what the staff console costs a person in a
// real browser (Debian's Chromium) against the local stack.
type ConsoleRun struct {
	Command string `json:"command"`
	Note    string `json:"note"`
	// Assets are the scripts and styles the console loaded, by path, in bytes as served
	// (uncompressed), over every screen of every role.
	Assets      map[string]int  `json:"assets"`
	AssetsBytes int             `json:"assetsBytes"`
	Screens     []ConsoleScreen `json:"screens"`
	// SignInMs are the rounds' times from submitting the last sign-in step (the
	// authenticator's code) to an interactive queue, sorted.
	SignInMs []float64 `json:"signInToQueueMs"`
}

// ConsoleScreen is one screen as one role opened it: the API calls it made.
type ConsoleScreen struct {
	Role     string   `json:"role"`
	Screen   string   `json:"screen"`
	APICalls []string `json:"apiCalls"` // paths and queries, in the order made
}

// consoleScreens are the screens each demo role opens; "first" stands for the first
// request linked from the screen before it (a dossier from the queue, a ledger from
// the list of what is owed).
var consoleScreens = []struct {
	role    string
	screens []string
}{
	{"reviewer", []string{"#/queue", "#/review/first"}},
	{"finance", []string{"#/pay", "#/pay/first", "#/reports", "#/budgets"}},
	{"admin", []string{"#/staff", "#/companies", "#/settings", "#/budgets"}},
}

// interactive holds once a console screen has rendered what its API calls returned.
// The console marks main with the address whose screen it has finished showing.
const interactive = "document.querySelector('main').dataset.shown === location.hash"

func consoleStep(ctx context.Context, root, dir string, rounds int) error {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("chromium is missing (make bench installs it with apt): %w", err)
	}
	fmt.Fprintln(os.Stderr, "console: starting a local stack ...")
	dev, err := devstack.Start(ctx, devstack.Options{Root: root, Addr: "127.0.0.1:0", Log: io.Discard, StackName: "bench-console", NoPollers: true})
	if err != nil {
		return err
	}
	defer dev.Stop()
	// A fresh request waits for the reviewer's vote, so the queue links to a dossier.
	if err := submitConfirmed(ctx, dev); err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "bench-console-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile), chromedp.WindowSize(1100, 900))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		return fmt.Errorf("start chromium: %w", err)
	}

	run := ConsoleRun{
		Command: fmt.Sprintf("go run ./infra/cmd/bench -rounds %d console", rounds),
		Note: "Debian's Chromium, headless, against the local stack (moto, the Runtime Interface Emulator, the local managed login). " +
			"API calls are the fetches a screen makes after its address changes; sign-in time runs from submitting the authenticator's code " +
			"to the queue showing what its call returned (the code exchange, the console's start and the queue's call).",
		Assets: map[string]int{},
	}
	for _, who := range consoleScreens {
		email, err := dev.DemoEmail(who.role)
		if err != nil {
			return err
		}
		tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		if _, err := signInTab(ctx, tab, dev, email); err != nil {
			cancel()
			return err
		}
		for _, screen := range who.screens {
			// Clearing the browser's record of loads for the screen's count forgets the
			// scripts loaded so far, so they are counted first.
			if err := loadedAssets(tab, run.Assets); err != nil {
				cancel()
				return err
			}
			calls, err := openScreen(tab, screen)
			if err != nil {
				cancel()
				return fmt.Errorf("%s %s: %w", who.role, screen, err)
			}
			run.Screens = append(run.Screens, ConsoleScreen{Role: who.role, Screen: strings.Replace(screen, "first", "{id}", 1), APICalls: calls})
		}
		if err := loadedAssets(tab, run.Assets); err != nil {
			cancel()
			return err
		}
		cancel()
	}
	for _, n := range run.Assets {
		run.AssetsBytes += n
	}

	// The rounds take the demo reviewers in turn: the managed login accepts each code of
	// an authenticator once, so one person signing in again and again would wait for
	// the next 30-second step, which is no part of what is measured.
	var reviewers []string
	for _, u := range dev.Seed.Users {
		if slices.Contains(u.Groups, "reviewers") {
			reviewers = append(reviewers, u.Email)
		}
	}
	if len(reviewers) == 0 {
		return fmt.Errorf("the demo data has no reviewer")
	}
	for i := range rounds {
		email := reviewers[i%len(reviewers)]
		// A new browser context has no cookies and no storage (the managed login remembers a
		// session, as Cognito's does), so each round signs in from nothing.
		tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		took, err := signInTab(ctx, tab, dev, email)
		cancel()
		if err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		run.SignInMs = append(run.SignInMs, float64(took.Microseconds())/1000)
	}
	sort.Float64s(run.SignInMs)
	fmt.Fprintf(os.Stderr, "console: %d bytes of scripts and styles; sign-in to queue median %.0f ms\n", run.AssetsBytes, median(run.SignInMs))
	return writeJSON(dir, "console.json", run)
}

// signInTab opens the console in a fresh tab and signs in through the local managed
// login: e-mail and password, then the authenticator's code. It returns the time from
// submitting the code to an interactive queue.
func signInTab(ctx, tab context.Context, dev *devstack.Dev, email string) (time.Duration, error) {
	// The tab opens with its first action, bound to the context of that action: open it
	// with the tab's own context. Then chromedp waits for an element as long as its
	// context lives; a sign-in that shows something else fails after a minute instead
	// of hanging the run.
	if err := chromedp.Do(tab); err != nil {
		return 0, err
	}
	tab, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate(dev.URL()+"/console/")); err != nil {
		return 0, err
	}
	if err := waitIn(tab, "!!document.getElementById('email')"); err != nil {
		return 0, err
	}
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), dev.Seed.Password),
		chromedp.Click(chromedp.CSS("button[type=submit]"))); err != nil {
		return 0, err
	}
	if err := waitIn(tab, "!!document.getElementById('code')"); err != nil {
		return 0, err
	}
	code, err := dev.TOTPCode(ctx, email)
	if err != nil {
		return 0, err
	}
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("code"), code)); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("button[type=submit]"))); err != nil {
		return 0, err
	}
	if err := waitIn(tab, interactive); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// openScreen goes to a screen within the running console (a change of address, as a
// click on a link does) and returns the API calls it made, method aside.
func openScreen(tab context.Context, screen string) ([]string, error) {
	if strings.HasSuffix(screen, "/first") {
		link := strings.TrimSuffix(screen, "first")
		href, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(\"main a[href^='%s']\")?.getAttribute('href') || ''", link)))
		if err != nil {
			return nil, err
		}
		if href == "" {
			text, _ := chromedp.Run(tab, chromedp.Evaluate[string]("document.querySelector('main').innerText.slice(0, 600)"))
			return nil, fmt.Errorf("no link to %s… on the screen before: %s", link, text)
		}
		screen = href
	}
	// The same address again (the queue, right after sign-in) shows the screen anew, as
	// the console does after a change.
	change := fmt.Sprintf(`performance.clearResourceTimings();
		if (location.hash === %[1]q) dispatchEvent(new HashChangeEvent("hashchange")); else location.hash = %[1]q;`, screen)
	if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](change)); err != nil {
		return nil, err
	}
	if err := waitIn(tab, fmt.Sprintf("location.hash === %q && %s", screen, interactive)); err != nil {
		return nil, err
	}
	paths, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource")
		.filter((e) => e.initiatorType === "fetch").map((e) => new URL(e.name)).filter((u) => u.origin === location.origin && !u.pathname.startsWith("/console/"))
		.map((u) => u.pathname + u.search)`))
	if err != nil {
		return nil, err
	}
	return paths, nil
}

// loadedAssets adds the console's scripts and styles the tab loaded, by path, with
// their size as served.
func loadedAssets(tab context.Context, into map[string]int) error {
	type entry struct {
		Name string `json:"name"`
		Size int    `json:"size"`
	}
	entries, err := chromedp.Run(tab, chromedp.Evaluate[[]entry](`performance.getEntriesByType("resource").concat(performance.getEntriesByType("navigation"))
		.filter((e) => /\.(js|css)$/.test(new URL(e.name).pathname)).map((e) => ({ name: e.name, size: e.decodedBodySize }))`))
	if err != nil {
		return err
	}
	for _, e := range entries {
		u, err := url.Parse(e.Name)
		if err != nil {
			return err
		}
		into[u.Path] = max(into[u.Path], e.Size)
	}
	return nil
}

// submitConfirmed submits one application through the API and confirms it.
func submitConfirmed(ctx context.Context, dev *devstack.Dev) error {
	body, _ := json.Marshal(benchApplication(time.Now().UnixNano() % 1_000_000))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dev.URL()+"/requests", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("submit: status %d: %s", resp.StatusCode, b)
	}
	var rc receipts
	rc.add(b)
	return rc.confirmAll(ctx, http.DefaultClient, dev)
}

// waitIn waits for a condition in the tab's page, across the navigations of a sign-in.
func waitIn(tab context.Context, cond string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := chromedp.Run(tab, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(5*time.Millisecond)))
		switch {
		case err == nil:
			return nil
		case (strings.Contains(err.Error(), "navigated or closed") || strings.Contains(err.Error(), "Cannot find context")) && time.Now().Before(deadline):
			time.Sleep(5 * time.Millisecond)
		default:
			text, _ := chromedp.Run(tab, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 500) : ''"))
			return fmt.Errorf("waiting for %s: %w; the page: %s", cond, err, text)
		}
	}
}

// consoleTable is the console step's figures for BENCHMARKS.md.
func consoleTable(dir string) (string, error) {
	var run ConsoleRun
	if err := readJSON(dir, "console.json", &run); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`%s`. %s\n\n", run.Command, run.Note)
	b.WriteString("| role | screen | API calls |\n|---|---|---|\n")
	for _, s := range run.Screens {
		calls := "none"
		if len(s.APICalls) > 0 {
			calls = fmt.Sprintf("%d: %s", len(s.APICalls), cell(strings.Join(quoteAll(s.APICalls), ", ")))
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", s.Role, s.Screen, calls)
	}
	b.WriteString("\n| script or style | bytes |\n|---|---:|\n")
	paths := make([]string, 0, len(run.Assets))
	for p := range run.Assets {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		fmt.Fprintf(&b, "| `%s` | %d |\n", p, run.Assets[p])
	}
	fmt.Fprintf(&b, "| **together** | **%d** |\n", run.AssetsBytes)
	if n := len(run.SignInMs); n > 0 {
		fmt.Fprintf(&b, "\nSign-in to an interactive queue, %d rounds: median %.0f ms, fastest %.0f ms, slowest %.0f ms.\n",
			n, median(run.SignInMs), run.SignInMs[0], run.SignInMs[n-1])
	}
	return b.String(), nil
}

// quoteAll puts each API path in code, its request id as a placeholder.
func quoteAll(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		parts := strings.Split(p, "/")
		for j, x := range parts {
			if len(x) == 26 && strings.ToUpper(x) == x {
				parts[j] = "{id}"
			}
		}
		out[i] = "`" + strings.Join(parts, "/") + "`"
	}
	return out
}
