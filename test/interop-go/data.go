package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// streamSummary counts what one DoGet stream delivered.
type streamSummary struct {
	Batches int              `json:"batches"`
	Rows    int64            `json:"rows"`
	Chunks  []map[string]any `json:"chunks"`
}

// doGet redeems ticket on s and hands every record batch, with its app_metadata,
// to the file that open returns for the stream's schema.
func doGet(s *session, ticket []byte, open func(*arrow.Schema) (*ipcFileOut, error)) (*streamSummary, error) {
	stream, err := s.client.DoGet(s.ctx, &flight.Ticket{Ticket: ticket})
	if err != nil {
		return nil, err
	}
	reader, err := flight.NewRecordReader(stream, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, err
	}
	defer reader.Release()
	out, err := open(reader.Schema())
	if err != nil {
		return nil, err
	}
	summary := &streamSummary{Chunks: []map[string]any{}}
	for reader.Next() {
		rec := reader.RecordBatch()
		summary.Batches++
		summary.Rows += rec.NumRows()
		summary.Chunks = append(summary.Chunks, map[string]any{
			"rows":        rec.NumRows(),
			"appMetadata": bytesJSON(reader.LatestAppMetadata()),
		})
		if err := out.write(rec); err != nil {
			return nil, err
		}
	}
	if err := reader.Err(); err != nil {
		return nil, err
	}
	return summary, nil
}

func ticketBytes(opts *options) ([]byte, error) {
	switch {
	case opts.ticket != "" && opts.ticketBase64 != "":
		return nil, usagef("get: give --ticket or --ticket-base64, not both")
	case opts.ticketBase64 != "":
		b, err := base64.StdEncoding.DecodeString(opts.ticketBase64)
		if err != nil {
			return nil, usagef("get: --ticket-base64 is not base64: %v", err)
		}
		return b, nil
	case opts.ticket != "":
		return []byte(opts.ticket), nil
	default:
		return nil, usagef("get: --ticket or --ticket-base64 is required")
	}
}

func runGet(ctx context.Context, opts *options) (any, error) {
	ticket, err := ticketBytes(opts)
	if err != nil {
		return nil, err
	}
	if opts.out == "" {
		return nil, usagef("get: --out is required")
	}
	s, err := connect(ctx, opts.location, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	var out *ipcFileOut
	defer func() {
		if out != nil {
			out.abort()
		}
	}()
	var schema *arrow.Schema
	summary, err := doGet(s, ticket, func(sc *arrow.Schema) (*ipcFileOut, error) {
		schema = sc
		out, err = createIPCFile(opts.out, sc)
		return out, err
	})
	if err != nil {
		return nil, err
	}
	if err := out.commit(); err != nil {
		return nil, err
	}
	return map[string]any{
		"batches": summary.Batches,
		"rows":    summary.Rows,
		"chunks":  summary.Chunks,
		"schema":  schemaJSON(schema),
		"out":     opts.out,
	}, nil
}

// endpointLocation is the URI an endpoint is redeemed at: its first location, or
// the server that answered GetFlightInfo when it has none or names the reuse URI.
func endpointLocation(ep *flight.FlightEndpoint, planner string) string {
	if len(ep.Location) == 0 || ep.Location[0].Uri == flight.LocationReuseConnection {
		return planner
	}
	return ep.Location[0].Uri
}

func runFetch(ctx context.Context, opts *options) (any, error) {
	path, err := descriptorPath(opts)
	if err != nil {
		return nil, err
	}
	if opts.out == "" {
		return nil, usagef("fetch: --out is required")
	}
	pool := newSessions(opts)
	defer pool.closeAll()
	planner, err := pool.get(ctx, opts.location)
	if err != nil {
		return nil, err
	}
	info, err := planner.client.GetFlightInfo(planner.ctx, &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: path})
	if err != nil {
		return nil, err
	}
	var out *ipcFileOut
	defer func() {
		if out != nil {
			out.abort()
		}
	}()
	open := func(sc *arrow.Schema) (*ipcFileOut, error) {
		if out == nil {
			out, err = createIPCFile(opts.out, sc)
		}
		return out, err
	}
	endpoints := make([]map[string]any, 0, len(info.Endpoint))
	var rows int64
	batches := 0
	for i, ep := range info.Endpoint {
		uri := endpointLocation(ep, opts.location)
		s, err := pool.get(ctx, uri)
		if err != nil {
			return nil, fmt.Errorf("endpoint %d: %w", i, err)
		}
		summary, err := doGet(s, ep.Ticket.GetTicket(), open)
		if err != nil {
			return nil, fmt.Errorf("endpoint %d at %s: %w", i, uri, err)
		}
		rows += summary.Rows
		batches += summary.Batches
		endpoints = append(endpoints, map[string]any{
			"location":    uri,
			"locations":   len(ep.Location),
			"rows":        summary.Rows,
			"batches":     summary.Batches,
			"appMetadata": bytesJSON(ep.AppMetadata),
		})
	}
	if out == nil {
		// No endpoint: the file holds the FlightInfo's schema and no batch.
		schema, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
		if err != nil {
			return nil, fmt.Errorf("no endpoints, and the FlightInfo schema cannot be read: %w", err)
		}
		if _, err := open(schema); err != nil {
			return nil, err
		}
	}
	if err := out.commit(); err != nil {
		return nil, err
	}
	return map[string]any{
		"endpoints":    endpoints,
		"rows":         rows,
		"batches":      batches,
		"totalRecords": info.TotalRecords,
		"ordered":      info.Ordered,
		"out":          opts.out,
	}, nil
}

func runPut(ctx context.Context, opts *options) (any, error) {
	path, err := descriptorPath(opts)
	if err != nil {
		return nil, err
	}
	if opts.in == "" {
		return nil, usagef("put: --in is required")
	}
	file, err := os.Open(opts.in)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	fileReader, err := ipc.NewFileReader(file, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", opts.in, err)
	}
	defer fileReader.Close()
	s, err := connect(ctx, opts.location, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	stream, err := s.client.DoPut(s.ctx)
	if err != nil {
		return nil, err
	}
	// PutResults are read while batches are sent, so a server that acknowledges each
	// message never waits on us.
	var (
		results []any
		recvErr error
		wg      sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			result, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				recvErr = err
				return
			}
			results = append(results, bytesJSON(result.AppMetadata))
		}
	}()
	sendErr := func() error {
		writer := flight.NewRecordWriter(stream, ipc.WithSchema(fileReader.Schema()), ipc.WithAllocator(memory.DefaultAllocator))
		writer.SetFlightDescriptor(&flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: path})
		for i := 0; i < fileReader.NumRecords(); i++ {
			rec, err := fileReader.RecordBatch(i)
			if err != nil {
				return fmt.Errorf("read batch %d of %s: %w", i, opts.in, err)
			}
			if err := writer.WriteWithAppMetadata(rec, []byte(fmt.Sprintf("go-put-%d", i))); err != nil {
				return err
			}
		}
		if err := writer.Close(); err != nil {
			return err
		}
		return stream.CloseSend()
	}()
	if sendErr != nil && !errors.Is(sendErr, io.EOF) {
		// Our own failure (not the server ending the call): stop the call.
		return nil, sendErr
	}
	wg.Wait()
	if recvErr != nil {
		return nil, recvErr
	}
	if sendErr != nil {
		return nil, fmt.Errorf("the server ended the upload early: %w", sendErr)
	}
	if results == nil {
		results = []any{}
	}
	return map[string]any{"sent": fileReader.NumRecords(), "results": results}, nil
}
