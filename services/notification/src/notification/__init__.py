"""Notification service: tells people about their invitation, and that their account is
ready once it is; and records what it sent."""
