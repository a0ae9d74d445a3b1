"""Registration rules, by topic, without I/O: the sign-up form (names, usernames,
passwords, phone numbers), accounts and their activation, invitation links."""
