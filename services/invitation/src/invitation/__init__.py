"""Invitation service: owns invitation links and is the single judge of their use."""
