"""HTTP contracts between the platform's own services (not for other products)."""
