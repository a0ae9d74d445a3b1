"""Account reports: who is in a selection and how far each got (`info`), or the username
and sign-in address each signs in with (`credentials`), as a paged PDF or as CSV. Never a
password or a link."""
