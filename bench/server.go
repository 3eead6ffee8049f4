package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverProc is one running server (`switchboard serve`, or a reference
// server of the compare mode), a child process of the driver in its own
// process group, so that a terminal's Ctrl-C reaches only the driver, which
// then stops the server itself.
type serverProc struct {
	name    string // for messages: switchboard, mcp-go, typescript-sdk
	base    string // http://127.0.0.1:port
	debug   string // http://127.0.0.1:port of the debugport listener, or ""
	cmd     *exec.Cmd
	logs    *logSink
	waited  chan struct{} // closed when the process has been waited for
	waitErr error         // the process's exit, valid once waited is closed
}

// buildBinary builds switchboard into dir with the go tool; the working
// directory must be inside the switchboard module. With debug, the build
// adds one file to package main through -overlay, importing
// switchboard/bench/debugport, so that the server serves profiles when
// SWITCHBOARD_BENCH_DEBUG_ADDR is set; Switchboard's sources are not
// touched.
func buildBinary(ctx context.Context, dir string, debug bool, progress io.Writer) (string, error) {
	bin := filepath.Join(dir, "switchboard")
	args := []string{"build", "-o", bin}
	if debug {
		overlay, err := debugOverlay(dir)
		if err != nil {
			return "", err
		}
		args = append(args, "-overlay", overlay)
	}
	fmt.Fprintln(progress, "building switchboard")
	cmd := exec.CommandContext(ctx, "go", append(args, "switchboard")...)
	cmd.Stdout, cmd.Stderr = progress, progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build switchboard (run inside the module, or pass -binary): %w", err)
	}
	return bin, nil
}

// buildCeiling builds the mcp-go reference server (bench/ceiling) into dir.
func buildCeiling(ctx context.Context, dir string, progress io.Writer) (string, error) {
	bin := filepath.Join(dir, "ceiling")
	fmt.Fprintln(progress, "building the mcp-go ceiling")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "switchboard/bench/ceiling")
	cmd.Stdout, cmd.Stderr = progress, progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build switchboard/bench/ceiling: %w", err)
	}
	return bin, nil
}

// debugOverlay writes, into dir, a Go file that imports debugport and an
// overlay that adds it to the module's root package (package main), and
// returns the overlay's path.
func debugOverlay(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "bench_debugport.go")
	code := "package main\n\nimport _ \"switchboard/bench/debugport\"\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		return "", err
	}
	target := filepath.Join(root, "zz_bench_debugport.go")
	overlay, err := json.Marshal(map[string]any{"Replace": map[string]string{target: src}})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "overlay.json")
	return path, os.WriteFile(path, overlay, 0o644)
}

// moduleRoot is the directory of the switchboard module the driver runs in.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("finding the switchboard module (run inside it): %v", err)
	}
	return filepath.Dir(gomod), nil
}

// freeLoopbackAddr returns a loopback address with a port nobody listens on.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer runs bin serve on a free loopback port with dataDir, the fake
// GitHub at githubURL and key as the only operator API key, and waits until
// /healthz answers. Its log goes to logs. With debug, it also asks the
// server for the debugport listener (a binary built with debug). extra are
// more flags, and NAME=value entries for the environment.
func startServer(ctx context.Context, bin, dataDir, githubURL, key string, debug bool, logs *logSink, extra ...string) (*serverProc, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr, "--data-dir", dataDir, "--toolkit-url", "github=" + githubURL}
	env := append(cleanEnv(), "SWITCHBOARD_API_KEYS="+key)
	for _, x := range extra {
		if strings.HasPrefix(x, "SWITCHBOARD_") {
			env = append(env, x)
		} else {
			args = append(args, x)
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return startProc(ctx, "switchboard", cmd, addr, debug, logs)
}

// startProc starts cmd, a server that listens on addr and answers GET
// /healthz, in its own process group, and waits until it is healthy. With
// debug, the process gets a free loopback address for debugport in its
// environment.
func startProc(ctx context.Context, name string, cmd *exec.Cmd, addr string, debug bool, logs *logSink) (*serverProc, error) {
	s := &serverProc{name: name, base: "http://" + addr, cmd: cmd, logs: logs, waited: make(chan struct{})}
	if debug {
		daddr, err := freeLoopbackAddr()
		if err != nil {
			return nil, err
		}
		if cmd.Env == nil {
			cmd.Env = cleanEnv()
		}
		cmd.Env = append(cmd.Env, "SWITCHBOARD_BENCH_DEBUG_ADDR="+daddr)
		s.debug = "http://" + daddr
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.waited)
	}()
	if err := s.awaitHealthy(ctx, 15*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; %s log:\n%s", err, name, logs.tail())
	}
	return s, nil
}

// cleanEnv is the driver's environment without SWITCHBOARD_ variables, so
// that the operator's settings do not change what is measured.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			out = append(out, kv)
		}
	}
	return out
}

// awaitHealthy polls /healthz until it answers 200, the process exits, ctx
// ends or limit passes.
func (s *serverProc) awaitHealthy(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not become healthy within %s", s.name, limit)
		}
		select {
		case <-s.waited:
			return fmt.Errorf("%s exited during start: %v", s.name, s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the server gracefully (SIGTERM) and waits for it, killing it
// after 15s. It reports an unclean exit.
func (s *serverProc) stop() error {
	select {
	case <-s.waited:
		return fmt.Errorf("%s had already exited: %v", s.name, s.waitErr)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-s.waited:
		if s.waitErr != nil {
			return fmt.Errorf("%s exited uncleanly after SIGTERM: %v", s.name, s.waitErr)
		}
		return nil
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.waited
		return fmt.Errorf("%s did not stop within 15s of SIGTERM; killed", s.name)
	}
}

// rssKB reads the server's resident set size (VmRSS) from /proc.
func (s *serverProc) rssKB() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// cpuSeconds reads the CPU time (user and system) the server has used,
// from /proc/<pid>/stat, at Linux's USER_HZ of 100 ticks a second.
func (s *serverProc) cpuSeconds() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is the first, utime the 12th, stime the 13th.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, errors.New("malformed /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return float64(utime+stime) / 100, nil
}

// selfCPUSeconds is the CPU time the driver itself (with the in-process
// fake GitHub) has used.
func selfCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// gauges scrapes the server's /metrics (behind the operator key) for the
// unlabeled series named, e.g. go_goroutines.
func (s *serverProc) gauges(ctx context.Context, client *http.Client, key string, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics answered %s", resp.Status)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}
