"""The invitation rules, by topic, with no I/O: `links` (tokens, accept links, expiry) and
`statuses` (an invitation's states and why a link may not be used)."""
