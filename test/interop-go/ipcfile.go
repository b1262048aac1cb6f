package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ipcFileOut writes record batches into an Arrow IPC file with arrow-go's
// ipc.FileWriter. It writes a temporary file next to the target and renames it
// on commit, so a failed command leaves no half-written file behind.
type ipcFileOut struct {
	path   string
	tmp    *os.File
	writer *ipc.FileWriter
	done   bool
}

func createIPCFile(path string, schema *arrow.Schema) (*ipcFileOut, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	writer, err := ipc.NewFileWriter(tmp, ipc.WithSchema(schema), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &ipcFileOut{path: path, tmp: tmp, writer: writer}, nil
}

func (o *ipcFileOut) write(rec arrow.RecordBatch) error {
	if err := o.writer.Write(rec); err != nil {
		return fmt.Errorf("write batch to %s: %w", o.path, err)
	}
	return nil
}

// commit writes the footer, syncs and renames the file into place.
func (o *ipcFileOut) commit() error {
	if err := o.writer.Close(); err != nil {
		return fmt.Errorf("finish %s: %w", o.path, err)
	}
	if err := o.tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := o.tmp.Sync(); err != nil {
		return err
	}
	if err := o.tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(o.tmp.Name(), o.path); err != nil {
		return err
	}
	o.done = true
	return nil
}

// abort removes the temporary file unless the output was committed; safe to defer.
func (o *ipcFileOut) abort() {
	if o.done {
		return
	}
	o.writer.Close()
	o.tmp.Close()
	os.Remove(o.tmp.Name())
}
