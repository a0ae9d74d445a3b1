"""Notification service: tells people about their invitation, and records what it sent."""
