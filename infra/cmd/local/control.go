package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/devstack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/samtemplate"
)

// controlHandler serves the running stack's control endpoints on a loopback port of
// its own, away from the API: mail, invocations, tokens, TOTP codes, schedules and
// figures.
func controlHandler(d *devstack.Dev, chat *devstack.ChatSink) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /chat", chat)
	mux.HandleFunc("GET /chat", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = chatPage.Execute(w, chat.Messages())
	})
	mux.HandleFunc("GET /mail", func(w http.ResponseWriter, r *http.Request) {
		msgs, err := localaws.SentMail(r.Context(), d.Endpoint())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = mailPage.Execute(w, msgs)
	})
	mux.HandleFunc("POST /invoke/{function}", func(w http.ResponseWriter, r *http.Request) {
		payload, _ := io.ReadAll(r.Body)
		res, err := d.Invoke(r.Context(), r.PathValue("function"), payload)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("X-Cold", fmt.Sprint(res.Cold))
		w.Header().Set("X-Duration", res.Duration.String())
		w.Header().Set("X-Function-Error", res.FunctionError)
		w.Header().Set("X-Timed-Out", fmt.Sprint(res.TimedOut))
		_, _ = w.Write(res.Payload)
	})
	mux.HandleFunc("GET /token/{who}", func(w http.ResponseWriter, r *http.Request) {
		tok, err := d.Token(r.Context(), r.PathValue("who"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		fmt.Fprintln(w, tok)
	})
	mux.HandleFunc("GET /totp/{email}", func(w http.ResponseWriter, r *http.Request) {
		code, err := d.TOTPCode(r.Context(), r.PathValue("email"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		fmt.Fprintln(w, code)
	})
	mux.HandleFunc("POST /schedules/{id}", func(w http.ResponseWriter, r *http.Request) {
		res, err := d.FireSchedule(r.Context(), r.PathValue("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = w.Write(res.Payload)
	})
	mux.HandleFunc("POST /expire-ttl", func(w http.ResponseWriter, r *http.Request) {
		expired, err := d.ExpireTTL(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(expired)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"functions": d.Stats(), "mappings": d.MappingStats()})
	})
	return mux
}

var chatPage = template.Must(template.New("chat").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local chat</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}li{margin:.5rem 0}</style>
</head><body><h1>The committee's chat ({{len .}})</h1><ul>{{range .}}<li>{{.}}</li>{{else}}<li>Nothing yet.</li>{{end}}</ul></body></html>
`))

// The message body is shown as text, never rendered: it is the application's HTML.
var mailPage = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local mail</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}article{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}</style>
</head><body><h1>Mail sent through the local SES ({{len .}})</h1>
{{range .}}<article><h2>{{.Subject}}</h2><p>From {{.Source}} to {{range $k, $v := .Destinations}}{{$k}}: {{range $v}}{{.}} {{end}}{{end}}</p><pre>{{.Body}}</pre></article>
{{else}}<p>No mail yet.</p>{{end}}</body></html>
`))

// devClient reaches a running `local dev`, if there is one.
func devClient() (*state, error) {
	root, err := samtemplate.FindRoot()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(statePath(root))
	if err != nil {
		return nil, errNoDev
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, errNoDev
	}
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(st.Control + "/stats")
	if err != nil {
		return nil, errNoDev
	}
	resp.Body.Close()
	return &st, nil
}

var errNoDev = errors.New("no `make dev` is running")

func (st *state) call(ctx context.Context, method, path string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, st.Control+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp, out, fmt.Errorf("%s", bytes.TrimSpace(out))
	}
	return resp, out, err
}
