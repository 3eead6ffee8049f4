package tools

import "time"

// SetRetryBackoff replaces e's waits between retries, to keep tests fast.
func SetRetryBackoff(e *Executor, waits ...time.Duration) { e.backoff = waits }
