"""What the notification service does: queue messages, send them, record what became of
each, and announce it."""

SOURCE = "/onboarding/notification"
