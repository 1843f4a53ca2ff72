"""The environment the test stacks run with: the providers' stand-ins, and time shrunk so that
retries, holds and callbacks happen within a test. Used by tests/conftest.py's shared stack and
by the faults suite's own stacks (tests/faults/conftest.py)."""

from tests.support.mailbox import Mailbox
from tests.support.provider_stubs import SmsGatewayStub, WhatsAppCloudStub

# The operator tokens the test stacks run with, one per role; `HubClient(...,
# operator_token=...)` sends the admin's, the console the one of whoever signed in.
OPERATOR_TOKEN = "test-operator-token"
# Partners' callback endpoints in the tests listen on this loopback address, the one private
# address the test stacks' callbacks may reach: every other (127.0.0.1 and `localhost` among
# them) stays refused, as in production, for the attacks of tests/security to meet.
PARTNER_HOST = "127.0.0.2"
# The buyer types the tests' partners may declare: agencies besides the public's (the tests'
# buyers are); health facilities stay the operator's, as by default.
PARTNERS_BUYER_TYPES = ["agency", "bank", "business", "individual"]
OPERATOR_STAFF_TOKEN = "test-operator-staff-token"
OPERATOR_VIEWER_TOKEN = "test-operator-viewer-token"
# What Prometheus would send to /metrics (the console's refuses a scrape without it).
METRICS_TOKEN = "test-metrics-token"
NIK_HASH_KEY = "test-nik-hash-key-of-at-least-32-characters"
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def stack_env(mailbox: Mailbox, whatsapp: WhatsAppCloudStub, sms: SmsGatewayStub) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "WHATSAPP_BASE_URL": whatsapp.base_url,
        "WHATSAPP_PHONE_NUMBER_ID": whatsapp.phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": whatsapp.access_token,
        "WHATSAPP_APP_SECRET": whatsapp.app_secret,
        "WHATSAPP_VERIFY_TOKEN": whatsapp.verify_token,
        "SMS_BASE_URL": sms.base_url,
        "SMS_API_KEY": sms.api_key,
        "SMS_INBOUND_USER": sms.inbound_user,
        "SMS_INBOUND_SECRET": sms.inbound_secret,
        # Messages' time shrunk as the callbacks' below: a provider down for "an hour" is
        # down for seconds here. But not the providers' timeout: far above any answer of the
        # stand-ins (in the test process) on a loaded machine, so that no answer becomes
        # "unknown" and is sent again (a second WhatsApp message) because the machine was
        # busy. A test of the timeout holds the answer back (`hold_next`) and waits it out.
        "PROVIDER_TIMEOUT_SECONDS": "10",
        "MESSAGE_FIRST_RETRY_SECONDS": "0.05",
        "MESSAGE_MAX_RETRY_SECONDS": "0.5",
        "MESSAGE_GIVE_UP_SECONDS": "30",
        "LOG_FORMAT": "json",
        "OPERATOR_TOKEN": OPERATOR_TOKEN,
        "OPERATOR_STAFF_TOKEN": OPERATOR_STAFF_TOKEN,
        "OPERATOR_VIEWER_TOKEN": OPERATOR_VIEWER_TOKEN,
        "METRICS_TOKEN": METRICS_TOKEN,
        # The orders service's key for citizens' NIKs in programmes (kept only as its HMAC).
        "NIK_HASH_KEY": NIK_HASH_KEY,
        # The whole suite calls from one address and sends wrong tokens and keys on purpose:
        # here that source is not slowed down. tests/security's own processes put the default
        # back (tests/support/replicas.py) and are attacked with it.
        "GUESS_FREE_FAILURES": "1000000",
        "CLOCK_SECONDS": "0.3",  # holds of a second or two expire within the test
        "STANDING_ORDERS_TICK_SECONDS": "0.2",  # a due occurrence is placed within the test
        "WINDOW_WATCH_SECONDS": "0.3",  # the site's look for windows opened again
        "WINDOW_SUMMARY_SECONDS": "0.3",  # the orders service's look for windows closed
        # Status callbacks' time shrunk: the cap of an hour is half a second here, giving up
        # after a day is five seconds. Not the timeout, as the providers' above: a partner's
        # answer on a busy machine must not become a timeout and a second post.
        "CALLBACK_FIRST_RETRY_SECONDS": "0.05",
        "CALLBACK_MAX_RETRY_SECONDS": "0.5",
        "CALLBACK_GIVE_UP_SECONDS": "5",
        "CALLBACK_TIMEOUT_SECONDS": "10",
        "CALLBACK_POLL_SECONDS": "0.1",
        # Few enough that two orders replicas must share a handful of partners' callbacks.
        "CALLBACK_IN_FLIGHT": "8",
        # The partners' endpoints are local and plain http: settings for tests only.
        "CALLBACK_ALLOW_HTTP": "true",
        "CALLBACK_UNSAFE_PRIVATE_NETWORKS": f'["{PARTNER_HOST}/32"]',
    }


def connect_webhooks(notifier_url: str, whatsapp: WhatsAppCloudStub, sms: SmsGatewayStub) -> None:
    """Point the stand-ins' webhooks (Meta's notifications, Infobip's inbound SMS) at a notifier."""
    whatsapp.webhook_url = f"{notifier_url}/v1/whatsapp/webhook"
    sms.inbound_url = f"{notifier_url}/v1/sms/inbound"
