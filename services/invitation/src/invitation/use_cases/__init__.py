"""What the invitation service does, one module per capability: `issuing` links,
`resending` them for an admin, `new_links` on a person's own request, `reminding`,
`expiring` them (the sweeper), `revoking` them, `redeeming` (and inspecting) them, and
recording the `accounts` made; `sending` is what every link sent shares."""

SOURCE = "/onboarding/invitation"  # the `source` of every event this service emits
