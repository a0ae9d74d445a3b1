"""The ways a message reaches a person: a port per channel, and its adapters.

Only email is delivered today; SMS (the provider adapter with Twilio's API shape) is to come
as `channels/sms/`."""
