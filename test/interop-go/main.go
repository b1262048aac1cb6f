// Command go-flight-client is a small Arrow Flight client built on arrow-go's own
// Flight package (github.com/apache/arrow-go/v18/arrow/flight). The interop tests
// in test/interop/go-client.test.ts run it against our servers to prove that a Go
// user's client works unchanged.
//
// One command per invocation; the result is one JSON line on stdout. On failure it
// prints {"error": {"code": "<gRPC code name>", ...}} on stdout and exits non-zero
// (1 for a failed call or file, 2 for bad usage). See README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// usageError is a mistake in the command line (exit code 2, INVALID_ARGUMENT).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// command runs one subcommand with its parsed options and returns the JSON result.
type command func(ctx context.Context, opts *options) (any, error)

var commands = map[string]command{
	"list":    runList,
	"info":    runInfo,
	"schema":  runSchema,
	"get":     runGet,
	"put":     runPut,
	"fetch":   runFetch,
	"action":  runAction,
	"actions": runActions,
}

// options are the flags every command accepts; each command checks the ones it needs.
type options struct {
	location     string
	user         string
	password     string
	paths        multiFlag
	ticket       string
	ticketBase64 string
	in           string
	out          string
	actionType   string
	body         string
	criteria     string
	timeout      time.Duration
}

// multiFlag collects a repeatable flag (--path a --path b).
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(value string) error {
	*m = append(*m, value)
	return nil
}

func parseOptions(name string, args []string) (*options, error) {
	opts := &options{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.location, "location", "", "server URI: grpc://, grpc+tcp://, grpc+tls:// or grpc+unix://")
	fs.StringVar(&opts.user, "user", "", "user name for basic-token authentication")
	fs.StringVar(&opts.password, "password", "", "password for basic-token authentication")
	fs.Var(&opts.paths, "path", "descriptor path; repeat for several components, or give a/b")
	fs.StringVar(&opts.ticket, "ticket", "", "DoGet ticket as UTF-8 text")
	fs.StringVar(&opts.ticketBase64, "ticket-base64", "", "DoGet ticket as base64")
	fs.StringVar(&opts.in, "in", "", "Arrow IPC file to upload (put)")
	fs.StringVar(&opts.out, "out", "", "Arrow IPC file to write (get, fetch)")
	fs.StringVar(&opts.actionType, "type", "", "action type (action)")
	fs.StringVar(&opts.body, "body", "", "action body as UTF-8 text (action)")
	fs.StringVar(&opts.criteria, "criteria", "", "ListFlights criteria as UTF-8 text (list)")
	fs.DurationVar(&opts.timeout, "timeout", 60*time.Second, "deadline of the whole command")
	if err := fs.Parse(args); err != nil {
		return nil, usagef("%s: %v", name, err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("%s: unexpected argument %q", name, fs.Arg(0))
	}
	if opts.location == "" {
		return nil, usagef("%s: --location is required", name)
	}
	if (opts.user == "") != (opts.password == "") {
		return nil, usagef("%s: --user and --password go together", name)
	}
	if opts.timeout <= 0 {
		return nil, usagef("%s: --timeout must be positive", name)
	}
	return opts, nil
}

// errorJSON describes err: the gRPC status code name (canonical, e.g. NOT_FOUND) and
// Go's own name for it (NotFound), the message, and whether it came from the server
// (a gRPC status) or from this client (usage, files, Arrow decoding).
func errorJSON(err error) map[string]any {
	var usage *usageError
	if errors.As(err, &usage) {
		return map[string]any{"code": "INVALID_ARGUMENT", "goCode": codes.InvalidArgument.String(), "origin": "usage", "message": usage.msg}
	}
	if st, ok := status.FromError(err); ok {
		return map[string]any{
			"code":    canonicalName(st.Code()),
			"goCode":  st.Code().String(),
			"origin":  "grpc",
			"message": st.Message(),
			"error":   err.Error(),
		}
	}
	code := codes.Unknown
	if errors.Is(err, context.DeadlineExceeded) {
		code = codes.DeadlineExceeded
	}
	return map[string]any{"code": canonicalName(code), "goCode": code.String(), "origin": "client", "message": err.Error()}
}

// canonicalName is the gRPC spec's name of a code (NOT_FOUND for codes.NotFound).
func canonicalName(c codes.Code) string {
	names := map[codes.Code]string{
		codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
		codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
		codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
		codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
		codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
		codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
		codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
		codes.Unauthenticated: "UNAUTHENTICATED",
	}
	if name, ok := names[c]; ok {
		return name
	}
	return fmt.Sprintf("CODE_%d", uint32(c))
}

// printJSON writes value as one JSON line on stdout (json.Encoder adds the newline).
func printJSON(value any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(value); err != nil {
		fmt.Fprintf(os.Stdout, "{\"error\":{\"code\":\"INTERNAL\",\"origin\":\"client\",\"message\":%q}}\n", err.Error())
	}
}

func run(args []string) int {
	if len(args) == 0 {
		names := make([]string, 0, len(commands))
		for name := range commands {
			names = append(names, name)
		}
		sort.Strings(names)
		printJSON(map[string]any{"error": errorJSON(usagef("usage: go-flight-client <command> --location URI [flags]; commands: %s", strings.Join(names, ", ")))})
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		printJSON(map[string]any{"error": errorJSON(usagef("unknown command %q", args[0]))})
		return 2
	}
	opts, err := parseOptions(args[0], args[1:])
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), opts.timeout)
		defer cancel()
		var result any
		result, err = cmd(ctx, opts)
		if err == nil {
			printJSON(result)
			return 0
		}
	}
	printJSON(map[string]any{"error": errorJSON(err)})
	fmt.Fprintf(os.Stderr, "go-flight-client %s: %v\n", args[0], err)
	var usage *usageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}

func main() {
	os.Exit(run(os.Args[1:]))
}
