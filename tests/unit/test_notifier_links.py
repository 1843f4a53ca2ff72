"""What a buyer's message says of their order as it is sent: its code and the link to its page
on the buyers' site, once both are known; whom to ask otherwise."""

from services.notifier.links import NO_LINK, Link, buyer_params, tracking_link
from services.notifier.templates import render
from services.notifier.whatsapp_templates import SAMPLE_NAME, SAMPLE_PARAMS

RECORDED = {"product": "Masker kain 3 lapis", "order_id": "5f0c2a9e", "order_ref": "5F0C2A9E"}
SITE = "https://plut.kalteng.go.id/"


def test_a_known_code_names_the_order_and_links_to_its_page():
    params = buyer_params(RECORDED, "7K3QD-M9X2A", SITE)

    assert params["order_ref"] == "7K3QD-M9X2A"
    assert params["tracking"] == "https://plut.kalteng.go.id/lacak/7K3QD-M9X2A"
    assert isinstance(params["tracking"], Link)


def test_without_a_code_the_short_reference_stays_and_the_message_says_whom_to_ask():
    params = buyer_params(RECORDED, None, SITE)

    assert params["order_ref"] == "5F0C2A9E" and "tracking" not in params
    assert (params["tracking_id"], params["tracking_en"]) == (NO_LINK.indonesian, NO_LINK.english)


def test_without_a_site_the_code_names_the_order_and_no_link_is_made():
    params = buyer_params(RECORDED, "7K3QD-M9X2A", "")

    assert params["order_ref"] == "7K3QD-M9X2A" and "tracking" not in params
    recorded = {k: v for k, v in SAMPLE_PARAMS["order_cancelled"].items() if k != "tracking"}
    content = render("order_cancelled", "en", SAMPLE_NAME, {**recorded, **params})
    assert "http" not in content.text and "Track your order: contact PLUT" in content.text


def test_only_our_own_link_goes_out_as_a_link():
    ours = render("order_cancelled", "id", SAMPLE_NAME, SAMPLE_PARAMS["order_cancelled"])
    planted = render(
        "order_cancelled",
        "id",
        SAMPLE_NAME,
        {**SAMPLE_PARAMS["order_cancelled"], "tracking": "https://jahat.example/lacak/x"},
    )

    assert tracking_link(SITE, "7K3QD-M9X2A") in ours.text
    assert "https://jahat.example" not in planted.text


DRAWN = {
    **RECORDED,
    "programme_uuid": "0b6f1c2d-3e4a-4b5c-8d6e-7f8091a2b3c4",
    "draw_uuid": "c4b3a291-807f-4e6d-9c5b-4a3e2d1c0b6f",
}


def test_a_message_about_a_draw_links_to_the_draw_published_on_the_site():
    params = buyer_params(DRAWN, "7K3QD-M9X2A", SITE)

    assert params["draw_page"] == (
        "https://plut.kalteng.go.id/program/0b6f1c2d-3e4a-4b5c-8d6e-7f8091a2b3c4"
        "/undian/c4b3a291-807f-4e6d-9c5b-4a3e2d1c0b6f"
    )
    assert isinstance(params["draw_page"], Link)
    assert "draw_page" not in buyer_params(RECORDED, "7K3QD-M9X2A", SITE)


def test_a_draw_without_a_site_or_with_ids_that_are_none_says_whom_to_ask():
    for params in (
        buyer_params(DRAWN, "7K3QD-M9X2A", ""),
        buyer_params({**DRAWN, "draw_uuid": "../../jahat"}, "7K3QD-M9X2A", SITE),
        buyer_params({**DRAWN, "programme_uuid": None}, None, SITE),
    ):
        assert "draw_page" not in params
        assert (params["draw_page_id"], params["draw_page_en"]) == (
            NO_LINK.indonesian,
            NO_LINK.english,
        )
