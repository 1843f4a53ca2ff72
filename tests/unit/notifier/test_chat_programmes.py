"""Applying to a free-mask programme by WhatsApp, step by step, against fakes of the notifier's
records and of the orders service: the list, the answers, the NIK never kept, the refusals."""

import pytest

from services.notifier.conversations.handling import OrdersError, Rules, handle
from services.notifier.conversations.state import Step
from tests.unit.notifier.fake_chat import NOW, FakeChatStore, FakeOrders, written

PHONE = "+6281234567890"
NIK = "6271014506900001"
SITE = "https://plut.example"
RULES = Rules(site=SITE)
_count = iter(range(1_000_000))


def inbound(text=None, reply_id=None, phone=PHONE, **more):
    return written(f"wamid.p{next(_count)}", phone, text, reply_id, **more)


@pytest.fixture
def store():
    return FakeChatStore()


@pytest.fixture
def orders():
    return FakeOrders()


async def say(store, orders, message):
    await handle(store, orders, message, RULES, NOW)
    return store.replies[-1][2]


async def up_to_the_nik(store, orders, programme) -> None:
    await say(store, orders, inbound("PROGRAM"))
    await say(store, orders, inbound(reply_id=f"prog:{programme['id']}"))
    await say(store, orders, inbound("Siti Rahayu"))
    await say(store, orders, inbound("kapuas"))
    await say(store, orders, inbound("2"))


async def test_program_lists_the_open_programmes_at_the_chats_hubs(store, orders):
    shown = orders.add_programme()
    orders.add_programme(status="ended", name="Sudah Selesai")
    orders.add_programme(hub="elsewhere", name="Di Hub Lain")

    reply = await say(store, orders, inbound("program"))

    assert [row.id for row in reply.rows] == [f"prog:{shown['id']}"]
    assert reply.text.startswith("Program masker gratis")
    assert store.conversations[PHONE].step is Step.PROGRAMME


async def test_an_applicant_answers_name_regency_quantity_and_nik_and_the_application_goes(
    store, orders
):
    programme = orders.add_programme()
    await up_to_the_nik(store, orders, programme)
    assert store.conversations[PHONE].step is Step.PROGRAMME_NIK
    assert "NIK" in store.said_to(PHONE)[-1].text

    nik_message = inbound("6271 0145 0690 0001")
    done = await say(store, orders, nik_message)

    [(programme_id, body)] = orders.applications.values()
    assert programme_id == programme["id"]
    assert body == {
        "sku": "masker-kain",
        "quantity": 2,
        "recipient": {
            "name": "Siti Rahayu",
            "type": "individual",
            "region": "Kapuas",
            "phone": PHONE,
            "language": "id",
            "channel": "whatsapp",
            "nik": NIK,
        },
    }
    assert "menunggu undian" in done.text and "PPPPP-00001" in done.text
    assert f"{SITE}/lacak/PPPPP-00001" in done.text
    # Never kept: not in the conversation's state, and the message's text is forgotten.
    conversation = store.conversations[PHONE]
    assert conversation.step is None and NIK not in repr(conversation)
    assert nik_message.provider_id in store.forgotten


async def test_a_nik_of_no_citizens_form_is_asked_again_and_forgotten_too(store, orders):
    programme = orders.add_programme()
    await up_to_the_nik(store, orders, programme)

    wrong = inbound("6271013206900001")
    reply = await say(store, orders, wrong)

    assert "tanggal lahir" in reply.text and "6271013206900001" not in reply.text
    assert store.conversations[PHONE].step is Step.PROGRAMME_NIK
    assert wrong.provider_id in store.forgotten and not orders.applications


async def test_a_regency_the_programme_does_not_cover_is_asked_again(store, orders):
    programme = orders.add_programme()
    await say(store, orders, inbound("PROGRAM"))
    await say(store, orders, inbound(reply_id=f"prog:{programme['id']}"))
    await say(store, orders, inbound("Siti Rahayu"))

    reply = await say(store, orders, inbound("Barito Utara"))

    assert "Kota Palangka Raya, Kapuas" in reply.text
    assert store.conversations[PHONE].step is Step.PROGRAMME_REGION


async def test_a_programme_not_for_individuals_sends_them_to_the_site(store, orders):
    programme = orders.add_programme(buyer_types=["health_facility"])
    await say(store, orders, inbound("PROGRAM"))

    reply = await say(store, orders, inbound(reply_id=f"prog:{programme['id']}"))

    assert "situs" in reply.text and store.conversations[PHONE].step is None


async def test_a_refusal_is_told_with_what_the_orders_service_said(store, orders):
    programme = orders.add_programme()
    await up_to_the_nik(store, orders, programme)
    orders.refuse_next = OrdersError(
        409, {"type": "/problems/already-applied", "title": "Sudah terdaftar"}
    )

    reply = await say(store, orders, inbound(NIK))

    assert "tidak diterima: Sudah terdaftar" in reply.text
    assert store.conversations[PHONE].step is None


async def test_the_orders_service_away_at_the_nik_is_tried_again_with_the_same_key(store, orders):
    programme = orders.add_programme()
    await up_to_the_nik(store, orders, programme)
    orders.away = True
    message = inbound(NIK)

    with pytest.raises(OrdersError):
        await handle(store, orders, message, RULES, NOW)
    orders.away = False
    await handle(store, orders, message, RULES, NOW)
    await handle(store, orders, message, RULES, NOW)  # handled twice: one application

    assert list(orders.applications) == [f"notifier-chat-programme:{message.provider_id}"]


async def test_a_programme_that_closed_meanwhile_ends_the_application(store, orders):
    programme = orders.add_programme()
    await say(store, orders, inbound("PROGRAM"))
    await say(store, orders, inbound(reply_id=f"prog:{programme['id']}"))
    programme["status"] = "ended"

    await say(store, orders, inbound("Siti Rahayu"))

    assert store.conversations[PHONE].step is None and not orders.applications


async def test_a_keyword_midway_is_a_keyword_not_an_answer(store, orders):
    programme = orders.add_programme()
    await say(store, orders, inbound("PROGRAM"))
    await say(store, orders, inbound(reply_id=f"prog:{programme['id']}"))

    await say(store, orders, inbound("STOP"))

    assert ("whatsapp", PHONE) in store.opted_out
    assert store.conversations[PHONE].step is None


async def test_markup_in_a_programmes_name_is_made_harmless_in_the_list(store, orders):
    orders.add_programme(name="Gratis https://jahat.example/klik")

    reply = await say(store, orders, inbound("PROGRAM"))

    assert "jahat.example" not in reply.rows[0].title


async def test_status_tells_an_application_that_waits_for_the_draw(store, orders):
    order_id, known = orders.add(PHONE, programme_status="waiting", position=None)
    store.buyers[PHONE] = [known]

    reply = await say(store, orders, inbound("STATUS"))

    assert "menunggu undian" in reply.text and "antrean" not in reply.text


async def test_a_nik_typed_as_a_name_is_refused_and_forgotten(store, orders):
    programme = orders.add_programme()
    await say(store, orders, inbound("PROGRAM"))
    await say(store, orders, inbound(reply_id=f"prog:{programme['id']}"))

    early = inbound(f"Siti {NIK}")
    reply = await say(store, orders, early)

    assert "paling akhir" in reply.text
    conversation = store.conversations[PHONE]
    assert conversation.step is Step.PROGRAMME_NAME and NIK not in repr(conversation)
    assert early.provider_id in store.forgotten
