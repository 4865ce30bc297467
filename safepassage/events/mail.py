"""The RSVP confirmation mail (registered with the outbox)."""
