"""The ways a message reaches a person (WhatsApp, SMS, email), each behind the same small
interface, so the dispatcher never knows a provider's wire format."""
