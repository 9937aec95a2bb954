"""Events for other systems: webhook subscriptions, deliveries and their worker."""
