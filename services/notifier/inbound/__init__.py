"""What people send the hub and what providers report back, as their webhooks bring it:
Meta's WhatsApp Cloud API notifications (messages and statuses, signed with the app's secret)
and Infobip's inbound SMS. The request checks, parses and records, in one transaction; the
workers act after the commit (`worker.py`: each inbound message to `conversations.answer`)."""
