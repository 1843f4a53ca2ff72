"""Which channels a deployment gets from its settings: those with credentials, no others."""

from types import SimpleNamespace

from pydantic import SecretStr

from services.notifier.channels.email import Email
from services.notifier.channels.registry import build_channels, secret
from services.notifier.channels.sms import Sms
from services.notifier.channels.whatsapp import WhatsApp

NOTHING_CONFIGURED = {
    "whatsapp_base_url": "https://graph.facebook.com",
    "whatsapp_api_version": "v21.0",
    "whatsapp_phone_number_id": None,
    "whatsapp_access_token": None,
    "whatsapp_template_prefix": "plut_",
    "sms_base_url": None,
    "sms_api_key": None,
    "sms_sender_id": None,
    "smtp_host": None,
    "smtp_port": 25,
    "smtp_username": None,
    "smtp_password": None,
    "smtp_starttls": False,
    "mail_from": "PLUT <pesan@plut.test>",
    "provider_timeout_seconds": 10.0,
}


def settings(**configured) -> SimpleNamespace:
    return SimpleNamespace(**{**NOTHING_CONFIGURED, **configured})


async def test_without_credentials_there_is_no_channel():
    assert build_channels(settings()) == {}


async def test_each_configured_channel_is_built_under_its_name():
    channels = build_channels(
        settings(
            whatsapp_phone_number_id="106540352242922",
            whatsapp_access_token=SecretStr("EAAG-token"),
            sms_base_url="https://xyz.api.infobip.com",
            sms_api_key="infobip-key",
            smtp_host="mail.plut.test",
        )
    )

    assert {name: type(channel) for name, channel in channels.items()} == {
        "whatsapp": WhatsApp,
        "sms": Sms,
        "email": Email,
    }
    for channel in channels.values():
        await channel.close()


async def test_half_a_whatsapp_or_sms_configuration_builds_nothing():
    channels = build_channels(
        settings(whatsapp_phone_number_id="106540352242922", sms_api_key=SecretStr("k"))
    )

    assert channels == {}


def test_a_secret_reads_the_same_as_secret_str_or_str_and_empty_means_unset():
    assert secret(SecretStr("s3cret")) == secret("s3cret") == "s3cret"
    assert secret(SecretStr("")) is secret("") is secret(None) is None
