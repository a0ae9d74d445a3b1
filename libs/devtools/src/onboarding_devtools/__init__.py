"""Development and test tooling: the local stack, the SMTP sink, pytest fixtures. Never a
dependency of a service's wheel."""
