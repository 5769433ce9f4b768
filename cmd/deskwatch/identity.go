package main

import (
	"os"
	"os/user"
	"strconv"
)

// cliActor is who the CLI's writes are recorded as, beside the free-text
// -by: "cli:" and the OS user running it, as the system knows them.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return "cli:" + name
	}
	return "cli:uid" + strconv.Itoa(os.Getuid())
}

// orNone is s, or a dash for none.
func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
