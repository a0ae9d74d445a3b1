"""Registration rules, by topic, without I/O: the sign-up form and invitation links."""
