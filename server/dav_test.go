package server

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDav: a sequence of WebDAV requests on a dav_methods location, each status and
// Location what Debian's nginx 1.22.1 answers to the same sequence (run as root, on the
// same configuration), then the tree both leave and nginx's error lines.
func TestDav(t *testing.T) {
	conf := "http { server { listen 127.0.0.1:0;\n" +
		"location / { root html; dav_methods PUT DELETE MKCOL COPY MOVE; create_full_put_path on; dav_access group:rw all:r; }\n" +
		"location /x/ { root html; dav_methods PUT; }\n" +
		"} }\n"
	base, logs, dir := startConf(t, conf, nil)
	host := strings.TrimPrefix(base, "http://")
	tests := []struct {
		method, path string
		hdr          map[string]string
		body         string
		status       int
		location     string
	}{
		{"PUT", "/d/a.txt", nil, "hello", 201, base + "/d/a.txt"},
		{"PUT", "/d/a.txt", nil, "hello2", 204, ""},
		{"PUT", "/d/", nil, "x", 409, ""},
		{"PUT", "/x/y/z.txt", nil, "x", 500, ""}, // no create_full_put_path there
		{"MKCOL", "/d/sub/", nil, "", 201, base + "/d/sub/"},
		{"MKCOL", "/d/sub/", nil, "", 405, ""},
		{"MKCOL", "/d/file", nil, "", 409, ""},
		{"MKCOL", "/nope/a/", nil, "", 409, ""},
		{"COPY", "/d/a.txt", map[string]string{"Destination": "/d/sub/b.txt"}, "", 204, ""},
		{"COPY", "/d/a.txt", map[string]string{"Destination": "/d/sub/b.txt", "Overwrite": "F"}, "", 412, ""},
		{"COPY", "/d/a.txt", nil, "", 400, ""},
		{"COPY", "/d/a.txt", map[string]string{"Destination": "/d/sub/"}, "", 409, ""},
		{"COPY", "/d/a.txt", map[string]string{"Destination": "http://other/d/c.txt"}, "", 400, ""},
		{"COPY", "/d/a.txt", map[string]string{"Destination": "http://" + host + "/d/c.txt"}, "", 204, ""},
		{"MOVE", "/d/sub/", map[string]string{"Destination": "/d/moved/"}, "", 201, ""},
		{"MOVE", "/d/a.txt", map[string]string{"Destination": "/e/f/g.txt"}, "", 204, ""},
		{"DELETE", "/d/moved", nil, "", 409, ""},
		{"DELETE", "/d/moved/", map[string]string{"Depth": "0"}, "", 400, ""},
		{"DELETE", "/d/moved/", nil, "", 204, ""},
		{"DELETE", "/d/nothere", nil, "", 404, ""},
		{"DELETE", "/d/c.txt", nil, "", 204, ""},
		{"GET", "/e/f/g.txt", nil, "", 200, ""},
		{"PROPFIND", "/d/", nil, "", 405, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
		if tt.body == "" {
			req.Body = nil
		}
		for k, v := range tt.hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
			t.Errorf("%s %s %v: %d Location %q; want %d %q", tt.method, tt.path, tt.hdr, resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.location)
		}
		if tt.method == "GET" && string(b) != "hello2" {
			t.Errorf("GET after MOVE: %q", b)
		}
	}
	var tree []string
	root := filepath.Join(dir, "html")
	_ = filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error {
		tree = append(tree, strings.TrimPrefix(p, root))
		return nil
	})
	if got := strings.Join(tree, " "); got != " /d /e /e/f /e/f/g.txt" {
		t.Errorf("tree: %q", got)
	}
	for _, want := range []string{
		`cannot PUT to a collection, client: 127.0.0.1`,
		`mkdir() "` + root + `/d/sub" failed (17: File exists)`,
		`MKCOL can create a collection only`,
		`"` + root + `/d/sub/b.txt" could not be created (17: File exists)`,
		`client sent no "Destination" header`,
		`both URI "/d/a.txt" and "Destination" URI "/d/sub/" should be either collections or non-collections`,
		`"Destination" URI "http://other/d/c.txt" is handled by different repository than the source URI`,
		`DELETE "` + root + `/d/moved" failed (21: Is a directory)`,
		`"Depth" header must be infinity`,
		`lstat() "` + root + `/d/nothere" failed (2: No such file or directory)`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}
