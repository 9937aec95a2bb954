"""Messages to people: the outbox, its dispatcher, the channels and the templates."""
