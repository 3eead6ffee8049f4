package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// fullVersion returns v, the version given with -ldflags "-X main.version=…",
// or when none was given ("dev") the module version Go stamped into the
// binary: a tag, or a pseudo-version naming the commit of a git checkout.
func fullVersion(v string) string {
	if v != "dev" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return v
}

// versionText is what `switchboard version` prints.
func versionText(v string) string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(v, bi)
}

// formatVersion writes version v, then from bi the module version, the VCS
// revision and commit time, and the Go version.
func formatVersion(v string, bi *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "switchboard %s\n", v)
	if bi == nil {
		b.WriteString("(the binary holds no build information)\n")
		return b.String()
	}
	fmt.Fprintf(&b, "module:    %s %s\n", bi.Main.Path, bi.Main.Version)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (with uncommitted changes)"
		}
		fmt.Fprintf(&b, "revision:  %s\n", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, "committed: %s\n", t)
		}
	} else {
		b.WriteString("revision:  unknown (built without VCS information)\n")
	}
	fmt.Fprintf(&b, "go:        %s\n", bi.GoVersion)
	return b.String()
}
