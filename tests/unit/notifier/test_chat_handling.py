"""A conversation by chat, step by step, against fakes of the notifier's records and of the
orders service: what each message changes, what it is answered, and what it never does."""

import uuid
from datetime import timedelta

import pytest

from services.notifier.conversations.handling import Hub, Rules, handle
from services.notifier.conversations.state import Conversation, Step
from tests.unit.notifier.fake_chat import NOW, FakeChatStore, FakeOrders, written

PHONE = "+6281234567890"
STRANGER = "+6281399990000"
SITE = "https://plut.example"
_count = iter(range(1_000_000))


def inbound(text=None, reply_id=None, phone=PHONE, **more):
    return written(f"wamid.{next(_count)}", phone, text, reply_id, **more)


@pytest.fixture
def store():
    return FakeChatStore()


@pytest.fixture
def orders():
    return FakeOrders()


RULES = Rules(site=SITE)


async def say(store, orders, message, now=NOW, rules=RULES):
    await handle(store, orders, message, rules, now)
    return store.replies[-1][2] if store.replies else None


async def test_stop_opts_the_number_out_of_the_channel_it_wrote_on_and_mulai_back(store, orders):
    reply = await say(store, orders, inbound("Stop"))
    assert ("whatsapp", PHONE) in store.opted_out
    assert "MULAI" in reply.text

    await say(store, orders, inbound("mulai"))
    assert store.opted_out == set()

    await say(store, orders, inbound("STOP", channel="sms"))
    assert store.opted_out == {("sms", PHONE)}


async def test_the_help_message_goes_once_an_hour(store, orders):
    await say(store, orders, inbound("halo"))
    await say(store, orders, inbound("ada masker?"), now=NOW + timedelta(minutes=59))
    assert len(store.said_to(PHONE)) == 1
    assert "PESAN" in store.said_to(PHONE)[0].text

    await say(store, orders, inbound("halo lagi"), now=NOW + timedelta(minutes=61))
    assert len(store.said_to(PHONE)) == 2


async def test_english_for_a_number_whose_orders_are_told_in_english(store, orders):
    store.languages[PHONE] = "en"
    reply = await say(store, orders, inbound("hello"))
    assert reply.text.startswith("Hello")


async def test_a_number_that_writes_an_english_keyword_is_answered_in_english_from_then_on(
    store, orders
):
    hubs = await say(store, orders, inbound("ORDER"))
    assert hubs.text.startswith("Choose the hub")
    await say(store, orders, inbound(reply_id="hub:kalteng"))
    await say(store, orders, inbound(reply_id="sku:masker-kain"))
    await say(store, orders, inbound("5"))
    await say(store, orders, inbound(reply_id="order:yes"))
    [order] = orders.orders.values()
    assert order["placed"]["buyer"]["language"] == "en", "and the order is told in English"

    help_ = await say(store, orders, inbound("hi"), now=NOW + timedelta(hours=2))
    assert help_.text.startswith("Hello"), "a word of no language keeps the last one"
    stop = await say(store, orders, inbound("BERHENTI"))
    assert "MULAI" in stop.text and store.conversations[PHONE].language == "id"


async def test_a_keyword_outweighs_the_language_of_the_numbers_orders(store, orders):
    store.languages[PHONE] = "en"
    reply = await say(store, orders, inbound("PESAN"))
    assert reply.text.startswith("Pilih hub")


async def test_status_lists_open_orders_with_place_estimate_hold_and_link(store, orders):
    _, queued = orders.add(PHONE, code="7K3QD-M9X2A")
    _, held = orders.add(
        PHONE,
        code="8ABCD-EFGH1",
        status="allocated",
        allocated=10,
        waiting=0,
        hold_until="2026-12-06T07:00:00+00:00",
        position=None,
    )
    _, done = orders.add(PHONE, code="9ZZZZ-ZZZZ1", status="fulfilled")
    store.buyers[PHONE] = [queued, held, done]

    reply = await say(store, orders, inbound("STATUS"))

    assert "7K3QD-M9X2A: 10 Masker kain 3 lapis, antrean ke-3, perkiraan 7 Desember 2026" in (
        reply.text
    )
    assert "8ABCD-EFGH1" in reply.text
    assert "10 disiapkan sampai 6 Desember 2026 14.00 WIB" in reply.text
    assert f"{SITE}/lacak/7K3QD-M9X2A" in reply.text
    assert "9ZZZZ" not in reply.text


async def test_status_with_no_orders_says_so_and_how_to_order(store, orders):
    reply = await say(store, orders, inbound("cek"))
    assert "Tidak ada pesanan terbuka" in reply.text


async def test_status_when_orders_cannot_be_read_says_so(store, orders):
    _, known = orders.add(PHONE)
    store.buyers[PHONE] = [known]
    orders.away = True
    reply = await say(store, orders, inbound("status"))
    assert "tidak bisa dibaca" in reply.text


async def test_batal_asks_to_confirm_then_cancels_through_the_orders_api(store, orders):
    order_id, known = orders.add(PHONE, code="7K3QD-M9X2A", placed={"by": "chat"})
    store.buyers[PHONE] = [known]

    confirm = await say(store, orders, inbound("batal 7k3qdm9x2a"))
    assert [b.id for b in confirm.buttons] == [f"cancel:{order_id}", "keep"]
    assert orders.orders[order_id]["status"] == "queued"

    done = await say(store, orders, inbound(reply_id=f"cancel:{order_id}"))
    assert orders.orders[order_id]["status"] == "cancelled"
    assert "dibatalkan" in done.text
    assert orders.cancel_keys[0].startswith("notifier-chat-cancel:wamid.")
    assert store.conversations[PHONE].step is None


async def test_an_order_placed_on_the_site_for_this_number_is_cancelled_by_chat(store, orders):
    # The site checked the number before placing it: its phone is verified, not the chat's own.
    order_id, known = orders.add(PHONE, code="7K3QD-M9X2A", verified_phone=PHONE)
    store.buyers[PHONE] = [known]
    await say(store, orders, inbound("batal 7K3QD-M9X2A"))

    done = await say(store, orders, inbound(reply_id=f"cancel:{order_id}"))

    assert "dibatalkan" in done.text
    assert orders.orders[order_id]["status"] == "cancelled"
    assert orders.cancel_phones == [PHONE]  # the number that wrote, asserted to the orders API


async def test_an_order_whose_number_was_not_checked_is_cancelled_where_it_was_placed(
    store, orders
):
    order_id, known = orders.add(PHONE, code="7K3QD-M9X2A")  # the counter's or a partner's
    store.buyers[PHONE] = [known]
    await say(store, orders, inbound("batal 7K3QD-M9X2A"))

    told = await say(store, orders, inbound(reply_id=f"cancel:{order_id}"))

    assert "tidak diperiksa PLUT" in told.text
    assert orders.orders[order_id]["status"] == "queued"


async def test_a_strangers_batal_changes_nothing_and_reads_as_an_unknown_code(store, orders):
    order_id, known = orders.add(PHONE, code="7K3QD-M9X2A")
    store.buyers[PHONE] = [known]

    theirs = await say(store, orders, inbound("BATAL 7K3QD-M9X2A", phone=STRANGER))
    unknown = await say(store, orders, inbound("BATAL 22222-22222", phone=STRANGER))
    forged = await say(store, orders, inbound(reply_id=f"cancel:{order_id}", phone=STRANGER))

    assert theirs.text == unknown.text.replace("22222-22222", "7K3QD-M9X2A")
    assert not theirs.buttons
    assert "kedaluwarsa" in forged.text
    assert orders.orders[order_id]["status"] == "queued"
    assert orders.cancel_keys == []


async def test_a_confirm_from_an_old_question_cancels_nothing(store, orders):
    order_id, known = orders.add(PHONE)
    store.buyers[PHONE] = [known]
    await say(store, orders, inbound("batal 7K3QD-M9X2A"))

    late = NOW + timedelta(minutes=31)
    await say(store, orders, inbound(reply_id=f"cancel:{order_id}"), now=late)

    assert orders.orders[order_id]["status"] == "queued"


async def test_an_order_by_chat_step_by_step(store, orders):
    hubs = await say(store, orders, inbound("PESAN"))
    assert [r.id for r in hubs.rows] == ["hub:kalteng"]

    products = await say(store, orders, inbound(reply_id="hub:kalteng"))
    assert [r.id for r in products.rows] == ["sku:masker-kain"]

    ask = await say(store, orders, inbound(reply_id="sku:masker-kain"))
    assert "1 sampai 50" in ask.text
    assert "paling banyak 50 sehari" in ask.text

    bad = await say(store, orders, inbound("seribu"))
    assert "bilangan bulat dari 1 sampai 50" in bad.text
    too_many = await say(store, orders, inbound("51"))
    assert "1 sampai 50" in too_many.text
    assert store.conversations[PHONE].step is Step.QUANTITY

    confirm = await say(store, orders, inbound("20"))
    assert "Pesan 20 Masker kain 3 lapis, diambil di PLUT Kalimantan Tengah" in confirm.text
    assert [b.id for b in confirm.buttons] == ["order:yes", "order:no"]
    assert orders.orders == {}

    yes = inbound(reply_id="order:yes")
    placed = await say(store, orders, yes)

    [order] = orders.orders.values()
    assert order["placed"] == {
        "hub": "kalteng",
        "sku": "masker-kain",
        "quantity": 20,
        "accept_partial": True,
        "buyer": {
            "name": "Siti Aminah",
            "type": "individual",
            "region": "PLUT Kalimantan Tengah",
            "phone": PHONE,
            "language": "id",
            "channel": "whatsapp",
        },
    }
    assert order["code"] in placed.text
    assert f"{SITE}/lacak/{order['code']}" in placed.text
    assert "antrean ke-3" in placed.text
    assert store.conversations[PHONE].step is None
    key = f"notifier-chat-order:{yes.provider_id}"
    assert orders.placed_by_key == {key: uuid.UUID(order["id"])}


@pytest.mark.parametrize(
    "profile",
    ["www.hadiah-gratis.id", "Budi\u202eadmin", "Sari\x00", "x" * 200],
)
async def test_a_profile_name_the_orders_api_would_refuse_orders_under_the_plain_name(
    store, orders, profile
):
    """The WhatsApp profile name is the person's to set: one that looks like a link, holds
    control characters or is too long is never echoed nor sent on; the order goes as a buyer's."""
    steps = ["PESAN", None, None, "5", None]
    ids = [None, "hub:kalteng", "sku:masker-kain", None, "order:yes"]
    for text, reply_id in zip(steps, ids, strict=True):
        await say(store, orders, inbound(text, reply_id, name=profile))
    [order] = orders.orders.values()
    assert order["placed"]["buyer"]["name"] == "Pembeli WhatsApp"
    assert all(profile not in (reply.text or "") for _, _, reply, _ in store.replies)


async def test_the_same_confirm_handled_twice_places_one_order(store, orders):
    store.conversations[PHONE] = Conversation(
        PHONE,
        Step.CONFIRM_ORDER,
        {"hub": "kalteng", "sku": "masker-kain", "most": 50, "quantity": 5},
        NOW,
    )
    before = store.conversations[PHONE]
    yes = inbound(reply_id="order:yes")
    await say(store, orders, yes)
    store.conversations[PHONE] = before  # the handling's transaction rolled back
    await say(store, orders, yes)

    assert len(orders.orders) == 1
    assert store.replies[0][2].text == store.replies[1][2].text


async def test_an_order_the_orders_service_cannot_take_now_is_handled_again_later(store, orders):
    store.conversations[PHONE] = Conversation(
        PHONE, Step.CONFIRM_ORDER, {"hub": "kalteng", "sku": "masker-kain", "quantity": 5}, NOW
    )
    orders.away = True
    with pytest.raises(Exception, match="503"):
        await say(store, orders, inbound(reply_id="order:yes"))
    assert orders.orders == {}


async def test_no_thanks_forgets_the_order_under_way(store, orders):
    await say(store, orders, inbound("pesan"))
    reply = await say(store, orders, inbound(reply_id="order:no"))
    assert "tidak ada yang diubah" in reply.text
    assert store.conversations[PHONE].step is None


async def test_a_stale_list_choice_is_told_to_start_again(store, orders):
    reply = await say(store, orders, inbound(reply_id="sku:masker-kain"))
    assert "PESAN" in reply.text
    assert orders.orders == {}


async def test_sms_has_stop_start_status_and_help_but_no_lists(store, orders):
    reply = await say(store, orders, inbound("PESAN", channel="sms"))
    assert not reply.rows
    assert "STATUS" in reply.text


async def test_a_flood_is_answered_once_and_not_read(store, orders):
    rules = Rules(site=SITE, most_per_minute=3)
    for n in range(10):
        await say(store, orders, inbound("STOP" if n == 9 else "halo"), rules=rules)
    texts = [r.text for r in store.said_to(PHONE)]
    assert len(texts) == 2  # the help, then one "slow down"
    assert "terlalu banyak" in texts[1]
    assert store.opted_out == set()  # the tenth was not read

    later = NOW + timedelta(minutes=1)
    await say(store, orders, inbound("STOP"), now=later, rules=rules)
    assert store.opted_out == {("whatsapp", PHONE)}


async def test_a_number_handled_under_the_limit_is_never_slowed(store, orders):
    rules = Rules(site=SITE, most_per_minute=3)
    for minute in range(5):
        for n in range(3):
            now = NOW + timedelta(minutes=minute, seconds=n)
            await say(store, orders, inbound("halo"), now=now, rules=rules)
    assert all("terlalu banyak" not in r.text for r in store.said_to(PHONE))


async def test_a_chat_orders_only_in_the_hubs_it_is_given(store, orders):
    store.hubs_known.append(Hub("other", "Hub Lain", "Asia/Makassar"))
    rules = Rules(site=SITE, hubs=frozenset({"other"}))
    hubs = await say(store, orders, inbound("pesan"), rules=rules)
    assert [r.id for r in hubs.rows] == ["hub:other"]
    stale = await say(store, orders, inbound(reply_id="hub:kalteng"), rules=rules)
    assert "kedaluwarsa" in stale.text


@pytest.mark.parametrize("text", ["STATUS", "PESAN", "BATAL 7K3QD-M9X2A"])
async def test_a_notifier_without_an_orders_key_says_orders_are_not_by_chat(store, orders, text):
    orders.open = False
    reply = await say(store, orders, inbound(text))
    assert "belum bisa dilihat atau dibuat lewat chat" in reply.text
    assert not reply.rows and not reply.buttons
