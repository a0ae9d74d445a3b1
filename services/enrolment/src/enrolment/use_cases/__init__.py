"""What the enrolment service does, one module per capability. A use case called by a route
owns its transaction (`async with uow() as tx`); a reaction to an event works in the
consumer's."""
