package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"
)

// jsonContentType is the Content-Type of every JSON request body.
const jsonContentType = "application/json; charset=utf-8"

// response is an upstream answer, body read in full.
type response struct {
	status int
	header http.Header
	body   []byte
	// secrets are the header values the Authorizer set, scrubbed from any
	// upstream text an *Error repeats.
	secrets []string
}

// outbound is one logical upstream request.
type outbound struct {
	method, target string
	body           []byte // JSON; nil for none
	// retry allows more attempts: the request is idempotent.
	retry bool
	// graphql marks a GraphQL request, whose errors come in an errors array.
	graphql bool
}

// maxRetryWait is the longest Retry-After a retried read waits for. A
// longer one, or one past the call's deadline, ends the call with the
// upstream's answer and its wait (retry_after_seconds), for the agent to
// decide.
const maxRetryWait = 5 * time.Second

// send makes one logical upstream request: headers in order (toolkit's
// static headers, User-Agent, Content-Type, then the credential), a timeout
// per attempt, and, when out.retry is set, up to len(e.backoff) more
// attempts on 502/503/504 and dropped connections, each after its backoff
// or the answer's Retry-After, whichever is longer, when that wait fits
// maxRetryWait and the context's deadline. It returns the 2xx response or
// an *Error.
func (e *Executor) send(ctx context.Context, kit *Toolkit, out outbound, auth Authorizer) (*response, error) {
	base := kit.BaseURL
	if u, ok := e.baseURLs[kit.Slug]; ok {
		base = u
	}
	for attempt := 0; ; attempt++ {
		start := time.Now()
		resp, err := e.attempt(ctx, kit, out.method, base+out.target, out.body, auth)
		if e.observe != nil {
			status := 0
			if resp != nil {
				status = resp.status
			}
			e.observe(kit.Slug, status, time.Since(start))
		}
		again := out.retry && attempt < len(e.backoff) && (transient(err) || (resp != nil && retryStatus(resp.status)))
		var wait time.Duration
		if again {
			wait, again = retryWait(ctx, e.backoff[attempt], resp)
		}
		if !again {
			if err != nil {
				return nil, err
			}
			if resp.status >= 200 && resp.status < 300 {
				return resp, nil
			}
			if out.graphql {
				if errs := graphqlErrors(parseJSON(resp.body)); len(errs) > 0 {
					return nil, graphqlError(kit, resp, errs)
				}
			}
			return nil, statusError(kit, resp)
		}
		select {
		case <-ctx.Done():
			return nil, errorf(CodeUpstreamUnavailable, ctx.Err(), "The call to %s was canceled before it finished.", kit.Name)
		case <-time.After(wait):
		}
	}
}

// retryWait returns how long to wait before retrying after resp (nil when
// no answer came): backoff, or the answer's Retry-After when longer. It
// reports false when the wait is longer than maxRetryWait or than what is
// left of ctx's deadline.
func retryWait(ctx context.Context, backoff time.Duration, resp *response) (time.Duration, bool) {
	wait := backoff
	if resp != nil {
		if asked, ok := retryAfterHeader(resp.header); ok {
			if asked > maxRetryWait {
				return 0, false
			}
			wait = max(wait, asked)
		}
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
		return 0, false
	}
	return wait, true
}

// attempt makes one HTTP request. A transport failure is returned as an
// *Error whose cause is the transport's error.
func (e *Executor) attempt(ctx context.Context, kit *Toolkit, method, target string, body []byte, auth Authorizer) (*response, error) {
	actx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return nil, errorf(CodeInternal, err, "Switchboard could not build the request to %s; tell the operator.", kit.Name)
	}
	for k, v := range kit.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", e.agent)
	if body != nil {
		// The charset is explicit: Slack warns (missing_charset) without it.
		req.Header.Set("Content-Type", jsonContentType)
	}
	var secrets []string
	if auth != nil {
		before := req.Header.Clone()
		if err := auth.Authorize(ctx, req); err != nil {
			var c interface{ ErrorCode() string }
			if errors.As(err, &c) {
				return nil, err
			}
			return nil, errorf(CodeInternal, err, "Switchboard could not attach the account's credential for %s; try again, and tell the operator if it persists.", kit.Name)
		}
		secrets = addedValues(before, req.Header)
	}
	res, err := e.client.Do(req)
	if err != nil {
		return nil, e.transportError(ctx, kit, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, e.maxBytes+1))
	if err != nil {
		return nil, e.transportError(ctx, kit, err)
	}
	if int64(len(data)) > e.maxBytes {
		return nil, errorf(CodeUpstreamError, nil, "%s's response is larger than Switchboard accepts (%d bytes); narrow the request (fewer items per page, more filters).", kit.Name, e.maxBytes)
	}
	return &response{status: res.StatusCode, header: res.Header, body: data, secrets: secrets}, nil
}

// addedValues returns the header values in after that before lacks, and
// each one's last word (the token of "Bearer <token>").
func addedValues(before, after http.Header) []string {
	var out []string
	for k, vs := range after {
		for _, v := range vs {
			if slices.Contains(before[k], v) {
				continue
			}
			out = append(out, v)
			if f := strings.Fields(v); len(f) > 1 {
				out = append(out, f[len(f)-1])
			}
		}
	}
	return out
}

// redact replaces every secret in s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func (e *Executor) transportError(ctx context.Context, kit *Toolkit, err error) *Error {
	switch {
	case ctx.Err() != nil:
		return errorf(CodeUpstreamUnavailable, err, "The call to %s was canceled before it finished.", kit.Name)
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(CodeUpstreamUnavailable, err, "%s did not answer within %s; try again later.", kit.Name, e.timeout)
	default:
		return errorf(CodeUpstreamUnavailable, err, "%s could not be reached; try again later.", kit.Name)
	}
}

// transient reports whether err is a dropped or refused connection, which
// an idempotent read may retry. Timeouts are not retried: the wait was paid.
func transient(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUpstreamUnavailable || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func retryStatus(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// decodeBody parses a 2xx JSON body (numbers as json.Number) and applies the
// toolkit's ok_field rule, or for a GraphQL answer the rule that a
// non-empty errors array is a failure. An empty body decodes to an empty
// object.
func decodeBody(kit *Toolkit, r *response, graphql bool) (any, error) {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, errorf(CodeUpstreamError, err, "%s answered with a body that is not JSON; try again later.", kit.Name)
	}
	if graphql {
		if errs := graphqlErrors(doc); len(errs) > 0 {
			return nil, graphqlError(kit, r, errs)
		}
	}
	if f := kit.Errors.OKField; f != "" {
		if ok, isBool := lookup(doc, f).(bool); isBool && !ok {
			return nil, refusedError(kit, r, doc)
		}
	}
	return doc, nil
}

// parseJSON decodes body leniently: nil when it is not JSON.
func parseJSON(body []byte) any {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil
	}
	return doc
}

// binaryResult describes a 2xx answer whose content is binary (an image, a
// PDF, an archive) instead of inlining it; nil when the answer is JSON or
// text.
func binaryResult(kit *Toolkit, r *response) *Result {
	ct := r.header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || len(r.body) == 0 || strings.HasPrefix(mt, "text/") ||
		mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "/xml") || strings.HasSuffix(mt, "+xml") {
		return nil
	}
	return &Result{
		Text:       fmt.Sprintf("%s returned %d bytes of %s; binary content is not inlined.", kit.Name, len(r.body), mt),
		Structured: map[string]any{"content_type": mt, "size_bytes": len(r.body), "inlined": false},
	}
}
