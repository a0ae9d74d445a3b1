"""Shared kit of the onboarding services: each mechanism is written here once."""
