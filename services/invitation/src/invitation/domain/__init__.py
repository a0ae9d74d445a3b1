"""The invitation rules, by topic, with no I/O: `links` (tokens, accept links, expiry),
`statuses` (an invitation's states and why a link may not be used) and `resends` (when a
link may be replaced by a resend, a reminder or the person's own request)."""
