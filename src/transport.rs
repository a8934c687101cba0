//! HTTP transport shared by v1 and v2: one ureq agent, retries with backoff, error classification.
