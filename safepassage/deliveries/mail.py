"""The delivery mail that carries a packet to a mission (registered with the outbox)."""
