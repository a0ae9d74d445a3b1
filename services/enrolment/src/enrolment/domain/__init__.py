"""Enrolment rules by topic, free of I/O: values in, values (or refusals) out."""
