package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// session is one connection to a Flight server and the context its calls use
// (carrying the bearer token after basic-token authentication).
type session struct {
	uri    string
	client flight.Client
	ctx    context.Context
}

// dialTarget turns a Flight location URI into a gRPC dial target and credentials.
func dialTarget(uri string) (string, credentials.TransportCredentials, error) {
	parsed, err := url.Parse(uri)
	if err != nil {
		return "", nil, usagef("location %q is not a URI: %v", uri, err)
	}
	switch parsed.Scheme {
	case "grpc", "grpc+tcp":
		if parsed.Host == "" {
			return "", nil, usagef("location %q has no host:port", uri)
		}
		return parsed.Host, insecure.NewCredentials(), nil
	case "grpc+tls":
		if parsed.Host == "" {
			return "", nil, usagef("location %q has no host:port", uri)
		}
		return parsed.Host, credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12}), nil
	case "grpc+unix":
		if parsed.Path == "" {
			return "", nil, usagef("location %q has no socket path", uri)
		}
		return "unix://" + parsed.Path, insecure.NewCredentials(), nil
	default:
		return "", nil, usagef("location %q: unsupported scheme %q (grpc, grpc+tcp, grpc+tls, grpc+unix)", uri, parsed.Scheme)
	}
}

// connect opens a client to uri. With a user it authenticates with arrow-go's
// AuthenticateBasicToken, whose returned context carries the bearer token on every
// later call made with session.ctx. gRPC's default 4 MiB receive limit is kept on
// purpose: a compliant server never sends a larger message.
func connect(ctx context.Context, uri string, opts *options) (*session, error) {
	target, creds, err := dialTarget(uri)
	if err != nil {
		return nil, err
	}
	client, err := flight.NewClientWithMiddleware(target, nil, nil, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", uri, err)
	}
	s := &session{uri: uri, client: client, ctx: ctx}
	if opts.user != "" {
		authed, err := client.AuthenticateBasicToken(ctx, opts.user, opts.password)
		if err != nil {
			client.Close()
			return nil, fmt.Errorf("authenticate %q at %s: %w", opts.user, uri, err)
		}
		s.ctx = authed
	}
	return s, nil
}

func (s *session) close() {
	s.client.Close()
}

// sessions keeps one session per location URI (fetch talks to several servers).
type sessions struct {
	opts *options
	open map[string]*session
}

func newSessions(opts *options) *sessions {
	return &sessions{opts: opts, open: map[string]*session{}}
}

func (p *sessions) get(ctx context.Context, uri string) (*session, error) {
	if s, ok := p.open[uri]; ok {
		return s, nil
	}
	s, err := connect(ctx, uri, p.opts)
	if err != nil {
		return nil, err
	}
	p.open[uri] = s
	return s, nil
}

func (p *sessions) closeAll() {
	for _, s := range p.open {
		s.close()
	}
}

// descriptorPath splits every --path value on "/" into descriptor path components.
func descriptorPath(opts *options) ([]string, error) {
	var path []string
	for _, p := range opts.paths {
		path = append(path, strings.Split(p, "/")...)
	}
	if len(path) == 0 {
		return nil, usagef("--path is required")
	}
	return path, nil
}
