"""The ways a message reaches a person: a port per channel (`email`, `sms`), and its
adapters (SMTP; a provider with Twilio's Messages API)."""
