"""The notification service's HTTP API: the SMS provider's status callback."""
