package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// bytesJSON describes bytes as the tests read them: null when empty, {"utf8": text}
// when valid UTF-8, else {"base64": ...}.
func bytesJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	if utf8.Valid(b) {
		return map[string]string{"utf8": string(b)}
	}
	return map[string]string{"base64": base64.StdEncoding.EncodeToString(b)}
}

func descriptorJSON(d *flight.FlightDescriptor) any {
	if d == nil {
		return nil
	}
	switch d.Type {
	case flight.DescriptorPATH:
		return map[string]any{"path": d.Path}
	case flight.DescriptorCMD:
		return map[string]any{"command": bytesJSON(d.Cmd)}
	default:
		return map[string]any{"type": d.Type.String()}
	}
}

// schemaJSON lists fields with their types as arrow-go prints them.
func schemaJSON(schema *arrow.Schema) map[string]any {
	fields := make([]map[string]any, 0, schema.NumFields())
	for _, f := range schema.Fields() {
		fields = append(fields, map[string]any{"name": f.Name, "type": f.Type.String(), "nullable": f.Nullable})
	}
	meta := map[string]string{}
	for i, k := range schema.Metadata().Keys() {
		meta[k] = schema.Metadata().Values()[i]
	}
	return map[string]any{"fields": fields, "metadata": meta}
}

func infoJSON(info *flight.FlightInfo) (map[string]any, error) {
	endpoints := make([]map[string]any, 0, len(info.Endpoint))
	for _, ep := range info.Endpoint {
		locations := make([]string, 0, len(ep.Location))
		for _, l := range ep.Location {
			locations = append(locations, l.Uri)
		}
		var expiration any
		if ep.ExpirationTime != nil {
			expiration = ep.ExpirationTime.AsTime().UnixMilli()
		}
		var ticket []byte
		if ep.Ticket != nil {
			ticket = ep.Ticket.Ticket
		}
		endpoints = append(endpoints, map[string]any{
			"ticket":       base64.StdEncoding.EncodeToString(ticket),
			"locations":    locations,
			"expirationMs": expiration,
			"appMetadata":  bytesJSON(ep.AppMetadata),
		})
	}
	out := map[string]any{
		"descriptor":   descriptorJSON(info.FlightDescriptor),
		"totalRecords": info.TotalRecords,
		"totalBytes":   info.TotalBytes,
		"ordered":      info.Ordered,
		"appMetadata":  bytesJSON(info.AppMetadata),
		"endpoints":    endpoints,
		"schema":       nil,
	}
	if len(info.Schema) > 0 {
		schema, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
		if err != nil {
			return nil, err
		}
		out["schema"] = schemaJSON(schema)
	}
	return out, nil
}

func runList(ctx context.Context, opts *options) (any, error) {
	s, err := connect(ctx, opts.location, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	stream, err := s.client.ListFlights(s.ctx, &flight.Criteria{Expression: []byte(opts.criteria)})
	if err != nil {
		return nil, err
	}
	flights := []map[string]any{}
	for {
		info, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		flights = append(flights, map[string]any{
			"descriptor":   descriptorJSON(info.FlightDescriptor),
			"totalRecords": info.TotalRecords,
			"totalBytes":   info.TotalBytes,
			"endpoints":    len(info.Endpoint),
		})
	}
	return map[string]any{"flights": flights, "authenticated": opts.user != ""}, nil
}

func runInfo(ctx context.Context, opts *options) (any, error) {
	path, err := descriptorPath(opts)
	if err != nil {
		return nil, err
	}
	s, err := connect(ctx, opts.location, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	info, err := s.client.GetFlightInfo(s.ctx, &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: path})
	if err != nil {
		return nil, err
	}
	return infoJSON(info)
}

func runSchema(ctx context.Context, opts *options) (any, error) {
	path, err := descriptorPath(opts)
	if err != nil {
		return nil, err
	}
	s, err := connect(ctx, opts.location, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	result, err := s.client.GetSchema(s.ctx, &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: path})
	if err != nil {
		return nil, err
	}
	schema, err := flight.DeserializeSchema(result.Schema, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	out := schemaJSON(schema)
	out["text"] = schema.String()
	return out, nil
}

func runAction(ctx context.Context, opts *options) (any, error) {
	if opts.actionType == "" {
		return nil, usagef("action: --type is required")
	}
	s, err := connect(ctx, opts.location, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	stream, err := s.client.DoAction(s.ctx, &flight.Action{Type: opts.actionType, Body: []byte(opts.body)})
	if err != nil {
		return nil, err
	}
	results := []any{}
	for {
		result, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		results = append(results, bytesJSON(result.Body))
	}
	return map[string]any{"results": results}, nil
}

func runActions(ctx context.Context, opts *options) (any, error) {
	s, err := connect(ctx, opts.location, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	stream, err := s.client.ListActions(s.ctx, &flight.Empty{})
	if err != nil {
		return nil, err
	}
	actions := []map[string]string{}
	for {
		action, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		actions = append(actions, map[string]string{"type": action.Type, "description": action.Description})
	}
	return map[string]any{"actions": actions}, nil
}
