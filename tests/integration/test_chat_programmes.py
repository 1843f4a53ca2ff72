"""Applying to a free-mask programme by WhatsApp at the running stack: the person writes to the
stand-in's number, answers the notifier's questions, and the application is made through the
orders API with the notifier's own key; the NIK stays in none of the notifier's records."""

import random

import asyncpg
import pytest

from tests.support.chat import Chat, ChatHub, chat_hub
from tests.support.programmes import nik, open_programme
from tests.support.provider_stubs import WhatsAppCloudStub
from tests.support.stack import Stack
from tools.client import HubClient
from tools.sandbox import Sandbox


def new_phone() -> str:
    return "+62815" + "".join(random.choices("0123456789", k=8))


@pytest.fixture(scope="module")
async def shop(stack: Stack, box: Sandbox) -> ChatHub:
    return await chat_hub(stack, box.database_url)


async def test_a_citizen_applies_by_whatsapp_and_the_nik_is_kept_nowhere_in_the_notifier(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub, box: Sandbox
):
    programme = await open_programme(
        client, shop.hub, selection="lottery", name="Masker Gratis Lewat Chat"
    )
    phone, citizens_nik = new_phone(), nik(random.randint(1, 9999))
    chat = Chat(whatsapp, phone)

    listed = await chat.says("PROGRAM")
    assert (f"prog:{programme['id']}", "Masker Gratis Lewat Chat") in listed.rows
    asked = await chat.picks(f"prog:{programme['id']}", "Masker Gratis Lewat Chat")
    assert "nama lengkap" in asked.text
    assert "Kota Palangka Raya" in (await chat.says("Siti Rahayu")).text
    assert "1 sampai 2" in (await chat.says("kota palangka raya")).text
    assert "NIK" in (await chat.says("2")).text
    done = await chat.says(citizens_nik)

    assert "menunggu undian" in done.text, done.text
    applications = await client.call(
        "orders",
        "GET",
        f"/v1/programmes/{programme['id']}/applications",
        headers=client.as_operator(),
    )
    [application] = applications["applications"]
    assert application["code"] in done.text
    assert f"Nomor undian Anda: {application['ticket']}" in done.text  # as the draw names it
    assert (application["status"], application["quantity"]) == ("waiting", 2)
    assert (application["region"], application["recipient_type"]) == (
        "Kota Palangka Raya",
        "individual",
    )
    conn = await asyncpg.connect(box.database_url)
    try:
        for table in ("inbound_messages", "conversations", "messages", "recipients"):
            kept = await conn.fetchval(
                f"SELECT count(*) FROM notifier.{table} t"  # noqa: S608
                " WHERE t::text LIKE '%' || $1 || '%'",
                citizens_nik,
            )
            assert kept == 0, f"the NIK is in notifier.{table}"
    finally:
        await conn.close()


async def test_a_nik_of_no_citizens_form_is_asked_again(
    shop: ChatHub, client: HubClient, whatsapp: WhatsAppCloudStub
):
    programme = await open_programme(client, shop.hub, units_per_recipient=1, regencies=[])
    chat = Chat(whatsapp, new_phone())
    await chat.says("program")
    await chat.picks(f"prog:{programme['id']}", "Masker Gratis Kalteng")
    await chat.says("Siti Rahayu")
    assert "NIK" in (await chat.says("Barito Utara")).text

    again = await chat.says("1234")

    assert "NIK harus 16 angka" in again.text
