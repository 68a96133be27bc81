# sifa — 基层司法行政数据平台
GO      ?= go
TAGS    := duckdb_arrow
BIN     := bin/sifa
SOURCES := $(shell find . -name '*.go' -not -path './node_modules/*') go.mod go.sum

.PHONY: build run test bench vet clean

build: $(BIN)

$(BIN): $(SOURCES)
	$(GO) build -tags $(TAGS) -trimpath -ldflags="-s -w" -o $(BIN) ./cmd/sifa

# Builds, loads the demo data into the embedded warehouse when it is empty,
# and serves on 127.0.0.1:8080.
run: build
	./$(BIN) serve --demo-if-empty

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet -tags $(TAGS) ./...

# The ClickHouse tests start their own clickhouse-server on free ports; set
# SIFA_REQUIRE_CLICKHOUSE=1 to fail (not skip) when it is not installed.
test: vet
	$(GO) test -tags $(TAGS) -count=1 -timeout 40m ./...

# Ingest throughput on each engine beside the engine's own bulk load.
bench:
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchtime 3x -timeout 60m ./warehouse/

clean:
	rm -rf bin
