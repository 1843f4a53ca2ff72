"""Which channel a message goes by: preference, then WhatsApp, SMS, email; never one the person
opted out of, one that failed for good, or one without a provider."""

from hypothesis import given
from hypothesis import strategies as st

from services.notifier.channel_rules import CHANNELS, Reachable, address_on, choose

ALL = frozenset(CHANNELS)
NONE: frozenset[str] = frozenset()
PHONE = "+6281234567890"
EMAIL = "wati@contoh.id"


def pick(person: Reachable, *, configured=ALL, failed=NONE, opted_out=NONE):
    return choose(person, configured=configured, failed=failed, opted_out=opted_out)


def test_whatsapp_first_for_a_phone():
    choice = pick(Reachable(PHONE, EMAIL, None))
    assert (choice.channel, choice.address) == ("whatsapp", PHONE)


def test_the_persons_preference_comes_first():
    assert pick(Reachable(PHONE, EMAIL, "email")).channel == "email"
    assert pick(Reachable(PHONE, EMAIL, "sms")).channel == "sms"


def test_a_preference_without_its_address_falls_to_the_default_order():
    assert pick(Reachable(PHONE, None, "email")).channel == "whatsapp"


def test_a_failed_channel_falls_back_to_the_next():
    person = Reachable(PHONE, EMAIL, None)
    assert pick(person, failed=frozenset({"whatsapp"})).channel == "sms"
    assert pick(person, failed=frozenset({"whatsapp", "sms"})).channel == "email"


def test_email_only_when_there_is_no_phone():
    choice = pick(Reachable(None, EMAIL, None))
    assert (choice.channel, choice.address) == ("email", EMAIL)


def test_an_opted_out_channel_is_passed_over_and_said():
    choice = pick(Reachable(PHONE, EMAIL, None), opted_out=frozenset({"whatsapp"}))
    assert choice.channel == "sms"
    assert choice.opted_out == ("whatsapp",)


def test_opted_out_of_every_channel_ends_as_opted_out():
    choice = pick(Reachable(PHONE, None, None), opted_out=frozenset({"whatsapp", "sms"}))
    assert choice.channel is None
    assert choice.ending == "opted_out"
    assert choice.opted_out == ("whatsapp", "sms")


def test_every_channel_failed_ends_as_failed():
    choice = pick(Reachable(PHONE, None, None), failed=frozenset({"whatsapp", "sms"}))
    assert (choice.channel, choice.ending) == (None, "failed")
    assert "whatsapp" in choice.why and "sms" in choice.why


def test_no_address_at_all_is_skipped():
    choice = pick(Reachable(None, None, "sms"))
    assert (choice.channel, choice.ending) == (None, "skipped")


def test_a_channel_without_a_provider_is_never_chosen():
    choice = pick(Reachable(PHONE, EMAIL, "whatsapp"), configured=frozenset({"email"}))
    assert choice.channel == "email"
    choice = pick(Reachable(PHONE, None, None), configured=frozenset({"email"}))
    assert (choice.channel, choice.ending) == (None, "skipped")
    assert "no provider" in choice.why


channel_sets = st.frozensets(st.sampled_from(CHANNELS))


@given(
    phone=st.sampled_from([None, PHONE]),
    email=st.sampled_from([None, EMAIL]),
    preferred=st.sampled_from([None, *CHANNELS]),
    configured=channel_sets,
    failed=channel_sets,
    opted_out=channel_sets,
)
def test_the_choice_is_always_one_allowed_or_an_ending(
    phone, email, preferred, configured, failed, opted_out
):
    person = Reachable(phone, email, preferred)
    choice = pick(person, configured=configured, failed=failed, opted_out=opted_out)
    if choice.channel is None:
        assert choice.ending in {"skipped", "opted_out", "failed"} and choice.why
        return
    assert choice.channel in configured - failed - opted_out
    assert choice.address == (email if choice.channel == "email" else phone)
    if preferred in configured - failed - opted_out and address_on(preferred, person):
        assert choice.channel == preferred
