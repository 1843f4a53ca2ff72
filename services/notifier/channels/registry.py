"""The channels this deployment can use: each one whose credentials are configured, no other.

A PLUT may run with email only, or add SMS and WhatsApp once it has accounts for them; a channel
left out here is one the dispatcher never tries, rather than one that fails on every message.
"""

from typing import Any

from pydantic import SecretStr

from services.notifier.channels.base import Channel
from services.notifier.channels.email import Email
from services.notifier.channels.sms import Sms
from services.notifier.channels.whatsapp import WhatsApp


def build_channels(settings: Any) -> dict[str, Channel]:
    """Channels by name, from the notifier's settings (attributes named as below)."""
    timeout = settings.provider_timeout_seconds
    channels: dict[str, Channel] = {}
    token = secret(settings.whatsapp_access_token)
    if settings.whatsapp_phone_number_id and token:
        channels[WhatsApp.name] = WhatsApp(
            base_url=settings.whatsapp_base_url,
            api_version=settings.whatsapp_api_version,
            phone_number_id=settings.whatsapp_phone_number_id,
            access_token=token,
            template_prefix=settings.whatsapp_template_prefix,
            timeout=timeout,
        )
    api_key = secret(settings.sms_api_key)
    if settings.sms_base_url and api_key:
        channels[Sms.name] = Sms(
            base_url=settings.sms_base_url,
            api_key=api_key,
            sender_id=settings.sms_sender_id,
            timeout=timeout,
        )
    if settings.smtp_host:
        channels[Email.name] = Email(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=secret(settings.smtp_password),
            start_tls=settings.smtp_starttls,
            sender=settings.mail_from,
            timeout=timeout,
        )
    return channels


def secret(value: SecretStr | str | None) -> str | None:
    """A credential's text, whether the settings hold it as SecretStr or as str; None if unset."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return value or None
