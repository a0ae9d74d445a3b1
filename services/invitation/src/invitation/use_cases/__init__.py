"""What the invitation service does, one module per capability: `issuing` links,
`revoking` them, `redeeming` (and inspecting) them, and recording the `accounts` made."""

SOURCE = "/onboarding/invitation"  # the `source` of every event this service emits
