// Command deskwatch keeps an exact, auditable record of when each operator
// desk of the 122/117 hotlines could take calls. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/service"
	"deskwatch/sipprobe"
	"deskwatch/store"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// version is stamped at build time (scripts/package.sh: -X main.version=…).
var version = "dev"

const usage = `usage: deskwatch <command> [flags]

commands:
  serve  -config FILE          run the monitor and the HTTP API
  demo   [-listen ADDR]        run against a bundled simulated PBX with 20 desks
  report -config FILE -period 2026Q3 -format pdf|xlsx|csv|json [-out FILE]
                               write a quarter's report
  report submit -config FILE -period 2026Q3
                               freeze the quarter's report as submitted
  journal verify -config FILE [-anchor SEQ:HASH]
                               check the journal's hash chain, naming the first bad record,
                               against a head a report printed, and the spans in Redis against it
  access-log -config FILE -period 2026Q3 [-actor NAME] [-format csv|json]
                               who read personal data (152-FZ), for the auditor
  config check FILE            validate a configuration file
  version                      print the version

common flags: -log-format json|console, -log-level debug|info|warn|error
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "journal":
		if len(args) == 2 && helpAsked(args[1:]) {
			fmt.Fprint(stdout, "usage: deskwatch journal verify -config FILE [-anchor SEQ:HASH]\n")
			return 0
		}
		err = cmdJournal(ctx, args[1:], stdout, stderr)
	case "report":
		err = cmdReport(ctx, args[1:], stdout, stderr)
	case "access-log":
		err = cmdAccessLog(ctx, args[1:], stdout, stderr)
	case "config":
		if helpAsked(args[1:]) {
			fmt.Fprint(stdout, "usage: deskwatch config check FILE\n")
			return 0
		}
		if len(args) != 3 || args[1] != "check" {
			fmt.Fprint(stderr, "usage: deskwatch config check FILE\n")
			return 2
		}
		err = cmdConfigCheck(args[2], stdout)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "deskwatch %s\n", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "deskwatch: unknown command %q\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	var se *service.Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp): // -h printed the usage
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "deskwatch: %v\n", err)
		return 2
	case errors.As(err, &se):
		// For people: Russian first, then English with the cause.
		fmt.Fprintf(stderr, "deskwatch: %s / %v\n", se.RU, se)
		return 1
	default:
		fmt.Fprintf(stderr, "deskwatch: %v\n", err)
		return 1
	}
}

type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// helpAsked reports whether args ask for a command's usage.
func helpAsked(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// logFlags adds the logging flags to fs and returns a constructor.
func logFlags(fs *flag.FlagSet, stderr io.Writer) func() (zerolog.Logger, error) {
	format := fs.String("log-format", "json", "log format: json or console")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	return func() (zerolog.Logger, error) {
		lvl, err := zerolog.ParseLevel(*level)
		if err != nil || *level == "" {
			return zerolog.Nop(), usageError{fmt.Errorf("-log-level %q: want debug, info, warn or error", *level)}
		}
		var w io.Writer = stderr
		switch *format {
		case "json":
		case "console":
			w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.RFC3339}
		default:
			return zerolog.Nop(), usageError{fmt.Errorf("-log-format %q: want json or console", *format)}
		}
		zerolog.TimeFieldFormat = time.RFC3339Nano
		log := zerolog.New(w).Level(lvl).With().Timestamp().Logger()
		// The libraries' global loggers go into ours, once per process.
		sipprobe.BridgeSIPLogs(log)
		store.RouteLibraryLogs(log)
		return log, nil
	}
}

func cmdConfigCheck(path string, stdout io.Writer) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (%d workstations, zone %s)\n", path, len(cfg.Workstations), cfg.Location())
	return nil
}
