"""Enrolment service: who is enrolled into which course, and how far each person got."""
