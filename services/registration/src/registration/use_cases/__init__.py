"""What the registration service does, one module per capability."""
