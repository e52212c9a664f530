// Command uicheck is `make ui-check`: it starts the demo daemon against the fake upstreams
// (`go run ./cmd/demo -serve`), opens the status page and the demo tenant's page in headless
// Chromium, and saves a screenshot of each. It fails when a page answers other than 200, shows a
// template or render error, misses a tenant, logs a console error (a blocked style, a failed
// request, a script error), or when the first Tab does not reach the skip link.
//
//	go run ./cmd/uicheck                       # screenshots to docs/img/
//	go run ./cmd/uicheck -phone /tmp/phone     # also phone-sized screenshots there
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

func main() { os.Exit(run()) }

// wantTenants are the demo's tenants (cmd/demo -serve): each must be listed on the overview.
var wantTenants = []string{"demo", "revoked"}

// badTexts on a page mean it rendered wrong.
var badTexts = []string{"template:", "status page unavailable", "No tenant", "<no value>", "%!"}

func run() int {
	out := flag.String("out", "docs/img", "directory for status.png and tenant.png")
	phone := flag.String("phone", "", "also save phone-sized screenshots in this directory")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the Chromium binary")
	flag.Parse()
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Minute)
	defer stop()

	for _, d := range []string{*out, *phone} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fail("%v", err)
			}
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return fail("pick a port: %v", err)
	}
	base := "http://" + addr
	dir, err := os.MkdirTemp("", "syncd-uicheck")
	if err != nil {
		return fail("temp dir: %v", err)
	}
	defer os.RemoveAll(dir)

	// The demo runs in its own process group, so that stopping it stops `go run`'s child too.
	demo := exec.CommandContext(ctx, "go", "run", "./cmd/demo", "-db", filepath.Join(dir, "demo.db"), "-serve", addr)
	demo.Stdout, demo.Stderr = os.Stderr, os.Stderr
	demo.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	demo.Cancel = func() error { return syscall.Kill(-demo.Process.Pid, syscall.SIGINT) }
	demo.WaitDelay = 20 * time.Second
	if err := demo.Start(); err != nil {
		return fail("start the demo: %v", err)
	}
	defer func() {
		_ = syscall.Kill(-demo.Process.Pid, syscall.SIGINT)
		_ = demo.Wait()
	}()
	if err := waitReady(ctx, base+"/readyz"); err != nil {
		return fail("the demo daemon never became ready at %s: %v", base, err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(*chromium),
		chromedp.UserDataDir(filepath.Join(dir, "chromium-profile")), // fresh for every check
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	var problems []string
	check := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Every console message of the tab, for the whole check.
	var mu sync.Mutex
	var console []chromedp.ConsoleMessage
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1400, 900)); err != nil {
		return fail("start Chromium (%s): %v", *chromium, err)
	}
	msgs := chromedp.Console(bctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m)
			mu.Unlock()
		}
	}()

	pages := []struct {
		path, file, wantH1 string
		wantText           []string
	}{
		{"/", "status.png", "Tenants and jobs", append([]string{"Push ledger", "Credentials", "held", "failed", "succeeded"}, wantTenants...)},
		{"/tenants/demo", "tenant.png", "Tenant demo · Demo Property Management", []string{"Identity links", "Last runs", "set (env DEMO_RENTENGINE_TOKEN)", "held: units"}},
	}
	for _, p := range pages {
		shot, err := visit(bctx, base+p.path, p.wantH1, p.wantText, check)
		if err != nil {
			check("%s: %v", p.path, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(*out, p.file), shot, 0o644); err != nil {
			return fail("save %s: %v", p.file, err)
		}
		fmt.Printf("uicheck: %s → %s (%d KiB)\n", p.path, filepath.Join(*out, p.file), len(shot)/1024)
	}
	if *phone != "" {
		// A phone's first screens, one file per screen, to look at the card layout.
		if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
			return fail("emulate a phone: %v", err)
		}
		for _, p := range pages {
			if _, err := visit(bctx, base+p.path, p.wantH1, p.wantText, check); err != nil {
				check("%s (phone): %v", p.path, err)
				continue
			}
			for i := range 3 {
				if _, err := chromedp.Run(bctx, chromedp.Evaluate[any](fmt.Sprintf("window.scrollTo(0, %d)", i*800))); err != nil {
					return fail("scroll: %v", err)
				}
				shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
				if err != nil {
					return fail("screenshot: %v", err)
				}
				name := fmt.Sprintf("%s-%d.png", strings.TrimSuffix(p.file, ".png"), i+1)
				if err := os.WriteFile(filepath.Join(*phone, name), shot, 0o644); err != nil {
					return fail("save %s: %v", name, err)
				}
			}
		}
	}
	// Keyboard: the first Tab on a page reaches the skip link, and Enter on it moves to the
	// content.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1400, 900), chromedp.Navigate(base+"/"), chromedp.KeyEvent(kb.Tab)); err != nil {
		return fail("keyboard: %v", err)
	}
	if focused, err := chromedp.Run(bctx, chromedp.Evaluate[string]("document.activeElement.textContent")); err != nil || focused != "Skip to content" {
		check("the first Tab focuses %q, want the skip link (%v)", focused, err)
	}
	if err := chromedp.Do(bctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		return fail("keyboard: %v", err)
	}
	if focused, err := chromedp.Run(bctx, chromedp.Evaluate[string]("document.activeElement.id")); err != nil || focused != "main" {
		check("Enter on the skip link focuses %q, want #main (%v)", focused, err)
	}
	// An unknown tenant is a 404 page, which must render too (and says so).
	resp, err := chromedp.Run(bctx, chromedp.NavigateResponse(base+"/tenants/no-such-tenant"))
	switch {
	case err != nil:
		check("/tenants/no-such-tenant: %v", err)
	case resp.Status != http.StatusNotFound:
		check("/tenants/no-such-tenant: HTTP %d, want a 404 page", resp.Status)
	}
	// Console messages arrive on their own; give the last ones a moment before reading them.
	time.Sleep(time.Second)
	mu.Lock()
	for _, m := range console {
		// The 404 page's "Failed to load resource" is the one expected error.
		if strings.Contains(m.URL, "/tenants/no-such-tenant") && strings.Contains(m.Text, "404") {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			check("console %s: %s (%s)", m.Type, m.Text, m.URL)
		}
	}
	mu.Unlock()
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "uicheck: FAIL:", p)
		}
		return 1
	}
	fmt.Println("uicheck: ok")
	return 0
}

// visit opens url, checks its status, heading and text, and returns a full-page screenshot.
func visit(ctx context.Context, url, wantH1 string, wantText []string, check func(string, ...any)) ([]byte, error) {
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		check("%s: HTTP %d", url, resp.Status)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		return nil, fmt.Errorf("read the heading: %w", err)
	}
	if strings.TrimSpace(h1) != wantH1 {
		check("%s: heading %q, want %q", url, h1, wantH1)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		return nil, fmt.Errorf("read the page: %w", err)
	}
	for _, bad := range badTexts {
		if strings.Contains(body, bad) {
			check("%s shows %q", url, bad)
		}
	}
	for _, want := range wantText {
		if !strings.Contains(body, want) {
			check("%s does not show %q", url, want)
		}
	}
	return chromedp.Run(ctx, chromedp.FullScreenshot(100))
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string) error {
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func fail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "uicheck: "+format+"\n", args...)
	return 1
}
