package transport

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus series of DESIGN.md's observability: tool
// calls by tool and outcome, upstream latency, token refreshes, sessions.
// The other layers report through the callbacks they take (server's
// OnToolCall, accounts' OnRefresh, the executor's Observe); main connects
// them to these methods. Labels hold tool and toolkit names, error codes
// and status classes — never a user, an account or anything secret. Safe
// for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	toolCalls   *prometheus.CounterVec
	toolSeconds *prometheus.HistogramVec
	upstream    *prometheus.HistogramVec
	refreshes   *prometheus.CounterVec
	sessions    *prometheus.CounterVec
}

// NewMetrics registers the series, with the Go runtime's and the process's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		toolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_tool_calls_total", Help: "Tool calls by tool and outcome (ok or the error code).",
		}, []string{"tool", "outcome"}),
		toolSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_tool_call_seconds", Help: "Duration of tool calls, upstream included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"tool"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_upstream_request_seconds", Help: "Duration of upstream HTTP requests by toolkit and status class (2xx…5xx, or none when no answer came).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"toolkit", "status"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_token_refreshes_total", Help: "OAuth token refresh attempts by toolkit and outcome (ok, invalid_grant, error).",
		}, []string{"toolkit", "outcome"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_sessions_created_total", Help: "Sessions created, by kind (mcp: a legacy initialize; standing: the shared session of stateless clients).",
		}, []string{"kind"}),
	}
	m.reg.MustRegister(m.toolCalls, m.toolSeconds, m.upstream, m.refreshes, m.sessions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ToolCall records one tool call.
func (m *Metrics) ToolCall(tool, outcome string, took time.Duration) {
	m.toolCalls.WithLabelValues(tool, outcome).Inc()
	m.toolSeconds.WithLabelValues(tool).Observe(took.Seconds())
}

// Upstream records one upstream HTTP attempt; status 0 is no answer.
func (m *Metrics) Upstream(toolkit string, status int, took time.Duration) {
	class := "none"
	if status > 0 {
		class = strconv.Itoa(status/100) + "xx"
	}
	m.upstream.WithLabelValues(toolkit, class).Observe(took.Seconds())
}

// Refresh records one token refresh attempt.
func (m *Metrics) Refresh(toolkit, outcome string) {
	m.refreshes.WithLabelValues(toolkit, outcome).Inc()
}

// Session records a created session of kind.
func (m *Metrics) Session(kind string) { m.sessions.WithLabelValues(kind).Inc() }

// Handler serves the series in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
