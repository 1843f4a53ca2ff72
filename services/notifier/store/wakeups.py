"""The NOTIFY channels that wake the notifier's router and senders, and the statement that rings
the router (added to the writes that give it work, so it rings at their commit)."""

# Rung when a message or a recipient arrives, or a message must choose its channel again.
ROUTER_CHANNEL = "notifier_messages"
RING_ROUTER = f"SELECT pg_notify('{ROUTER_CHANNEL}', '')"


def lane_channel(channel: str) -> str:
    """The NOTIFY channel that wakes the sender of one channel ("whatsapp", "sms", "email")."""
    return f"notifier_{channel}"  # as store/routes.py's ROUTED rings it
