// Package deploy holds what an administrator installs: the systemd unit,
// the nfpm description of the .deb, the Asterisk snippets. Its test builds
// the package with scripts/package.sh and checks it the way dpkg and
// systemd will, without a running systemd.
package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func need(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("%s is not installed (scripts/setup.sh installs it): %v", c, err)
		}
	}
}

func run(t *testing.T, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, o.String(), e.String())
	}
	return o.String(), e.String()
}

func TestDebianPackage(t *testing.T) {
	need(t, "dpkg-deb", "systemd-analyze", "bash")
	dist := t.TempDir()
	out, _ := run(t, "bash", "../scripts/package.sh", "-o", dist)
	deb := strings.TrimSpace(out)
	if !strings.HasPrefix(deb, dist) {
		deb = filepath.Join("..", deb)
	}
	m := regexp.MustCompile(`deskwatch_([0-9][^_]*)_amd64\.deb$`).FindStringSubmatch(deb)
	if m == nil {
		t.Fatalf("package name %q is not deskwatch_VERSION_amd64.deb", deb)
	}
	version := m[1]

	contents, _ := run(t, "dpkg-deb", "-c", deb)
	for _, path := range []string{
		"./usr/bin/deskwatch", "./lib/systemd/system/deskwatch.service", "./etc/deskwatch/deskwatch.yaml",
		"./usr/share/doc/deskwatch/asterisk/ari.conf", "./usr/share/doc/deskwatch/asterisk/http.conf",
		"./usr/share/doc/deskwatch/asterisk/pjsip-operators.conf", "./usr/share/doc/deskwatch/copyright",
	} {
		if !regexp.MustCompile(`(?m) ` + regexp.QuoteMeta(path) + `$`).MatchString(contents) {
			t.Errorf("the package lacks %s:\n%s", path, contents)
		}
	}
	if !regexp.MustCompile(`(?m)^drwx------ .* \./etc/deskwatch/credentials/$`).MatchString(contents) {
		t.Errorf("/etc/deskwatch/credentials must be 0700:\n%s", contents)
	}

	root := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, root)
	ctl := filepath.Join(t.TempDir(), "DEBIAN")
	run(t, "dpkg-deb", "-e", deb, ctl)
	conffiles, err := os.ReadFile(filepath.Join(ctl, "conffiles"))
	if err != nil || strings.TrimSpace(string(conffiles)) != "/etc/deskwatch/deskwatch.yaml" {
		t.Errorf("conffiles = %q (%v), want only /etc/deskwatch/deskwatch.yaml", conffiles, err)
	}
	if got, _ := run(t, filepath.Join(root, "usr/bin/deskwatch"), "version"); got != "deskwatch "+version+"\n" {
		t.Errorf("deskwatch version printed %q, want the package's %q", got, version)
	}
	conf, _ := os.ReadFile(filepath.Join(root, "etc/deskwatch/deskwatch.yaml"))
	if !strings.Contains(string(conf), "password_file: /run/credentials/deskwatch.service/ari-password") {
		t.Error("the packaged configuration does not read the ARI password from the unit's credential")
	}

	// systemd-analyze resolves the unit's dependencies and executables
	// inside --root: give it the host's units and /bin/kill (ExecReload).
	for _, dir := range []string{"bin", "usr/lib/systemd"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run(t, "cp", "/bin/kill", filepath.Join(root, "bin/kill"))
	run(t, "cp", "-rn", "/lib/systemd/system", filepath.Join(root, "usr/lib/systemd/"))
	unit := filepath.Join(root, "lib/systemd/system/deskwatch.service")
	if o, e := run(t, "systemd-analyze", "verify", "--root="+root, unit); o+e != "" {
		t.Errorf("systemd-analyze verify complains:\n%s%s", o, e)
	}
	o, e := run(t, "systemd-analyze", "security", "--offline=true", "--root="+root, "deskwatch.service")
	sm := regexp.MustCompile(`Overall exposure level for deskwatch\.service: ([0-9.]+)`).FindStringSubmatch(o + e)
	if sm == nil {
		t.Fatalf("no exposure level in:\n%s%s", o, e)
	}
	if score, _ := strconv.ParseFloat(sm[1], 64); score >= 4.0 {
		t.Errorf("systemd-analyze security rates the unit %.1f, want below 4.0", score)
	}
	unitText, _ := os.ReadFile(unit)
	for _, line := range []string{"Type=notify", "DynamicUser=yes", "StateDirectory=deskwatch", "ExecReload=/bin/kill -HUP $MAINPID", "LoadCredential=ari-password:"} {
		if !strings.Contains(string(unitText), line) {
			t.Errorf("the unit lacks %s", line)
		}
	}
	if !regexp.MustCompile(`(?m)^WatchdogSec=\d+`).Match(unitText) {
		t.Error("the unit has no WatchdogSec=")
	}
}
