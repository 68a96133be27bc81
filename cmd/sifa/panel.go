package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"sifa/dashboards"
	"sifa/warehouse/panels"
)

// sifa panel: one panel answer as JSON on stdout.

func cmdPanel(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("panel", stderr)
	var c common
	c.register(fs)
	ff := addFilterFlags(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "用法：sifa panel ID [--org CODE] [--year YYYY] [--from YYYY-MM --to YYYY-MM]")
		return exitUsage
	}
	f, err := ff.filter()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	cfg, w, err := c.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	defer w.Close()
	e := &panels.Engine{Store: w, Standards: cfg.standards()}
	v, err := e.Run(ctx, pos[0], f)
	if err != nil {
		fmt.Fprintln(stderr, err)
		var fe *panels.FilterError
		if errors.As(err, &fe) {
			return exitUsage
		}
		return exitFailure
	}
	b, err := dashboards.MarshalPanel(v)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	stdout.Write(b)
	return exitOK
}
