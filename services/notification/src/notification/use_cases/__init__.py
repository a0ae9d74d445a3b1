"""What the notification service does, one module per capability."""
