// Package whtest starts the real engines for tests: a throwaway ClickHouse
// server on free ports in a temporary directory, and DuckDB files in a
// test's temporary directory. Tests never mock an engine.
package whtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
)

// RequireEnv, when set to 1, makes a missing ClickHouse a test failure
// instead of a skip (CI sets it, so ClickHouse tests cannot silently skip).
const RequireEnv = "SIFA_REQUIRE_CLICKHOUSE"

// Server is a running throwaway ClickHouse.
type Server struct {
	Dir      string
	TCPPort  int
	HTTPPort int
	cmd      *exec.Cmd
	bin      string
	args     []string
}

// DSN is a sifa warehouse DSN for a database on the server, loading over
// its HTTP port as a deployment is advised to.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/%s?http_port=%d", s.TCPPort, db, s.HTTPPort)
}

// NativeDSN is a DSN for a database on the server that loads through the
// native protocol only (no http_port).
func (s *Server) NativeDSN(db string) string {
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/%s", s.TCPPort, db)
}

// Stop ends the server.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
		s.cmd = nil
	}
}

// Binary finds clickhouse-server (or the single clickhouse binary).
func Binary() (path string, args []string, ok bool) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil, true
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return p, []string{"server"}, true
	}
	return "", nil, false
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

const config = `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/ch.log</log><errorlog>%[1]s/err.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <interserver_http_port>%[4]d</interserver_http_port>
  <path>%[1]s/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  %[5]s
</yandex>
`

// users is the servers' users.xml. max_threads is the machine's CPUs:
// 18.16 takes its default from the physical cores it counts, and on this
// project's VM it counts one, so every query ran on one thread
// (docs/engines.md).
const users = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><max_threads>%d</max_threads></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`

// Start starts a ClickHouse server with its own data directory and ports.
// extra is inserted into the server configuration (remote_servers for a cluster).
func Start(dir, extra string) (*Server, error) {
	ports, err := freePorts()
	if err != nil {
		return nil, err
	}
	return start(dir, ports, extra)
}

func freePorts() ([3]int, error) {
	var ports [3]int
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return ports, err
		}
		ports[i] = p
	}
	return ports, nil
}

// StartCluster starts n servers that each know the cluster name: one shard
// per server (remote_servers), for Distributed tables over them. The caller stops them.
func StartCluster(n int, name string) ([]*Server, error) {
	all := make([][3]int, n)
	xml := "<remote_servers><" + name + ">"
	for i := range all {
		p, err := freePorts()
		if err != nil {
			return nil, err
		}
		all[i] = p
		xml += fmt.Sprintf("<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>", p[0])
	}
	xml += "</" + name + "></remote_servers>"
	var out []*Server
	for i := range all {
		dir, err := os.MkdirTemp("", fmt.Sprintf("sifa-ch-shard%d-*", i+1))
		if err == nil {
			var s *Server
			if s, err = start(dir, all[i], xml); err == nil {
				out = append(out, s)
				continue
			}
		}
		for _, s := range out {
			s.Stop()
		}
		return nil, err
	}
	return out, nil
}

// Cluster starts a two-shard cluster for the test (stopped when it ends)
// and returns the DSN of a warehouse on it, or skips (fails with
// SIFA_REQUIRE_CLICKHOUSE=1) when ClickHouse is not installed.
func Cluster(t testing.TB) (string, []*Server) {
	t.Helper()
	if _, _, ok := Binary(); !ok {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("ClickHouse is required (%s=1) but not installed", RequireEnv)
		}
		t.Skip("ClickHouse not installed")
	}
	servers, err := StartCluster(2, "sifa2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Stop()
			os.RemoveAll(s.Dir)
		}
	})
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/sifa?cluster=sifa2&http_port=%d", servers[0].TCPPort, servers[0].HTTPPort), servers
}

func start(dir string, ports [3]int, extra string) (*Server, error) {
	bin, args, ok := Binary()
	if !ok {
		return nil, fmt.Errorf("clickhouse-server is not installed")
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "config.xml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(config, dir, ports[0], ports[1], ports[2], extra)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(fmt.Sprintf(users, runtime.NumCPU())), 0o644); err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, TCPPort: ports[0], HTTPPort: ports[1], bin: bin, args: append(args, "--config-file="+cfgPath)}
	if err := s.Restart(); err != nil {
		return nil, err
	}
	return s, nil
}

// Restart starts a stopped server again, on the same ports and data.
func (s *Server) Restart() error {
	cmd := exec.Command(s.bin, s.args...)
	out, _ := os.OpenFile(filepath.Join(s.Dir, "stdout.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.TCPPort), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.Stop()
	log, _ := os.ReadFile(filepath.Join(s.Dir, "err.log"))
	return fmt.Errorf("clickhouse-server did not start on port %d: %s", s.TCPPort, tail(log))
}

// Own starts a server of the test's own (one it may stop and restart), or
// skips (fails with SIFA_REQUIRE_CLICKHOUSE=1) when none is installed.
func Own(t testing.TB) *Server {
	t.Helper()
	if _, _, ok := Binary(); !ok {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("ClickHouse is required (%s=1) but not installed", RequireEnv)
		}
		t.Skip("ClickHouse not installed")
	}
	dir, err := os.MkdirTemp("", "sifa-ch-own-*")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(); os.RemoveAll(dir) })
	return s
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	dbSeq      int
	dbMu       sync.Mutex
)

// ClickHouse returns a DSN of a fresh database on a server shared by the
// package's tests (started on first use; stop it with StopShared in
// TestMain). Without ClickHouse installed the test is skipped, or fails when
// SIFA_REQUIRE_CLICKHOUSE=1.
func ClickHouse(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() {
		if _, _, ok := Binary(); !ok {
			sharedErr = fmt.Errorf("clickhouse-server is not installed")
			return
		}
		dir, err := os.MkdirTemp("", "sifa-ch-*")
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = Start(dir, "")
	})
	if sharedErr != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("ClickHouse is required (%s=1) but not available: %v", RequireEnv, sharedErr)
		}
		t.Skipf("ClickHouse not available: %v", sharedErr)
	}
	dbMu.Lock()
	dbSeq++
	n := dbSeq
	dbMu.Unlock()
	return shared.DSN(fmt.Sprintf("t%d_%d", os.Getpid(), n))
}

// StopShared stops the shared server and removes its directory.
func StopShared() {
	if shared != nil {
		shared.Stop()
		os.RemoveAll(shared.Dir)
	}
}

// SharedServer returns the shared server, if one was started.
func SharedServer() *Server { return shared }

// DuckDB opens a fresh embedded warehouse in dir (closed when the test
// ends) and a pipeline over it, archiving into dir/archive.
func DuckDB(t testing.TB, dir string) (*warehouse.Warehouse, *load.Pipeline) {
	t.Helper()
	w, err := warehouse.Open(context.Background(), "duckdb:"+filepath.Join(dir, "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(dir, "archive")}, Config: transform.Config{Secret: []byte("k")}}
}
