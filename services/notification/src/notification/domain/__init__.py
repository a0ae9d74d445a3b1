"""What the notification service says and how it writes it down: no sending, no I/O."""
