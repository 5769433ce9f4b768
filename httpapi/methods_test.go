package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every path of the route table answers another method with 405, the
// methods it takes in Allow and the API's error in Russian (English on
// request), with or without a token; a path no route has stays 404.
func TestWrongMethodIs405WithAllow(t *testing.T) {
	s := New(Options{Reports: nopReports{}, Journal: nopJournal{}})
	srv := httptest.NewServer(s)
	defer srv.Close()
	// The concrete paths (a placeholder becomes "x") and their methods.
	placeholder := regexp.MustCompile(`\{[a-z]+\}`)
	paths := map[string][]string{"/healthz": {"GET"}}
	for _, rt := range s.routes {
		p := placeholder.ReplaceAllString(rt.path, "x")
		paths[p] = append(paths[p], rt.method)
	}
	for p, registered := range paths {
		want := append([]string(nil), registered...)
		if slices.Contains(want, "GET") {
			want = append(want, "HEAD")
		}
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if slices.Contains(registered, m) {
				continue
			}
			for _, lang := range []string{"ru", "en"} {
				req, _ := http.NewRequest(m, srv.URL+p+"?lang="+lang, strings.NewReader(`{}`))
				if lang == "en" {
					req.Header.Set("Authorization", "Bearer not-a-token")
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body struct{ Error, Code string }
				err = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				allow := strings.Split(resp.Header.Get("Allow"), ", ")
				if resp.StatusCode != 405 || err != nil || body.Code != "method_not_allowed" || !sameSet(allow, want) {
					t.Errorf("%s %s: %d Allow %q %+v (%v), want 405 Allow %v", m, p, resp.StatusCode, resp.Header.Get("Allow"), body, err, want)
					continue
				}
				if russian := strings.Contains(body.Error, "допустимы"); russian != (lang == "ru") || !strings.Contains(body.Error, m) {
					t.Errorf("%s %s (%s): message %q", m, p, lang, body.Error)
				}
			}
		}
	}
	for _, m := range []string{"GET", "POST"} {
		req, _ := http.NewRequest(m, srv.URL+"/api/v1/nope", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 || resp.Header.Get("Allow") != "" {
			t.Errorf("%s /api/v1/nope: %d Allow %q, want 404", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
