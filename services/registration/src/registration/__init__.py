"""Registration service: turns an invitation link into an account."""
