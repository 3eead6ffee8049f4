package main

import (
	"bytes"
	"io"
	"regexp"
	"sync"
)

// logSink receives the server's log (zap JSON lines): it counts lines by
// level, keeps the first warnings and errors and the last tailBytes, and
// copies everything to file when set. It is safe for concurrent use.
type logSink struct {
	file io.Writer // full copy of the log, or nil

	mu      sync.Mutex
	partial []byte         // the unterminated end of the last write
	lines   int            // complete lines seen
	levels  map[string]int // lines by zap level
	samples []string       // the first warn/error lines
	last    []byte         // the log's last tailBytes
}

const (
	tailBytes  = 16 << 10
	maxSamples = 5
	maxLine    = 400
)

var levelField = regexp.MustCompile(`"level":"([a-z]+)"`)

func newLogSink(file io.Writer) *logSink {
	return &logSink{file: file, levels: map[string]int{}}
}

// Write implements io.Writer for the server's stdout and stderr.
func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		l.file.Write(p)
	}
	l.last = append(l.last, p...)
	if over := len(l.last) - tailBytes; over > 0 {
		l.last = append(l.last[:0], l.last[over:]...)
	}
	data := append(l.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		l.line(data[:i])
		data = data[i+1:]
	}
	l.partial = append([]byte(nil), data...)
	return len(p), nil
}

// line accounts for one complete log line.
func (l *logSink) line(b []byte) {
	l.lines++
	level := "other"
	if m := levelField.FindSubmatch(b); m != nil {
		level = string(m[1])
	}
	l.levels[level]++
	if level != "info" && level != "debug" && level != "other" && len(l.samples) < maxSamples {
		if len(b) > maxLine {
			b = b[:maxLine]
		}
		l.samples = append(l.samples, string(b))
	}
}

// tail returns the log's last bytes, for error messages.
func (l *logSink) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.last)
}

// serverLog summarizes the server's log for the report.
type serverLog struct {
	Lines   int            `json:"lines"`
	ByLevel map[string]int `json:"by_level"`
	Samples []string       `json:"warn_error_samples,omitempty"`
}

func (l *logSink) summary() serverLog {
	l.mu.Lock()
	defer l.mu.Unlock()
	levels := make(map[string]int, len(l.levels))
	for k, v := range l.levels {
		levels[k] = v
	}
	return serverLog{Lines: l.lines, ByLevel: levels, Samples: append([]string(nil), l.samples...)}
}
