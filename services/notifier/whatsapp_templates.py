"""Every message template as Meta's "create message template" API takes it, for an operator to
submit for approval: `python -m services.notifier.whatsapp_templates > whatsapp.json`.

A body placeholder becomes {{n}} in order of first appearance, the order `render` gives
`Content.parameters` in; the examples Meta reviews are `render`'s own for realistic values.
"""

import json
from string import Template

from services.notifier.links import Link
from services.notifier.templates import LANGUAGES, known_templates, load, render

SAMPLE_NAME = "Ibu Siti Rahayu"
_ORDER = {
    "order_id": "5f0c2a9e-3b7d-4c61-9a8e-1d2f3b4c5d6e",
    "order_ref": "7K3QD-M9X2A",
    "tracking": Link("https://plut.kalteng.go.id/lacak/7K3QD-M9X2A"),
}
_HOLD_UNTIL = {
    "hold_until_id": "30 November 2026 14.00 WIB",
    "hold_until_en": "30 November 2026 14:00 WIB",
}
# What the consumers pass for each purpose, with realistic values.
SAMPLE_PARAMS: dict[str, dict] = {
    "order_received": {
        "product": "Masker kain 3 lapis",
        "quantity": 1500,
        "position": 4,
        "units_ahead": 2500,
        "estimate_id": "1 Desember 2026",
        "estimate_en": "1 December 2026",
        **_ORDER,
    },
    "order_allocated": {
        "product": "Masker kain 3 lapis",
        "quantity": 1500,
        "allocated_total": 1500,
        "requested": 1500,
        "pickup": "PLUT Kalimantan Tengah",
        **_HOLD_UNTIL,
        **_ORDER,
    },
    "order_partly_allocated": {
        "product": "Masker kain 3 lapis",
        "quantity": 1000,
        "allocated_total": 1000,
        "requested": 1500,
        "remaining": 500,
        "pickup": "PLUT Kalimantan Tengah",
        **_HOLD_UNTIL,
        **_ORDER,
    },
    "estimate_moved": {
        "product": "Masker kain 3 lapis",
        "position": 2,
        "units_ahead": 1200,
        "moved_id": "maju",
        "moved_en": "moved earlier",
        "estimate_id": "30 November 2026",
        "estimate_en": "30 November 2026",
        "previous_id": "1 Desember 2026",
        "previous_en": "1 December 2026",
        **_ORDER,
    },
    "order_expired": {"product": "Masker kain 3 lapis", "quantity": 1500, **_HOLD_UNTIL, **_ORDER},
    "order_cancelled": {"product": "Masker kain 3 lapis", **_ORDER},
    "delivery_recorded": {
        "product": "Masker kain 3 lapis",
        "quantity": 1200,
        "accepted": 1188,
        "rejected": 12,
        "delivery_id": "9b1d4e7a-2c3f-4a5b-8c6d-7e8f9a0b1c2d",
    },
    "units_sold": {
        "product": "Masker kain 3 lapis",
        "quantity": 1000,
        "unit_price_rupiah": 5000,
        "earned_rupiah": 5000000,
    },
    "units_returned": {"product": "Masker kain 3 lapis", "quantity": 500},
    "daily_summary": {
        "product": "Masker kain 3 lapis",
        "day_id": "30 November 2026",
        "day_en": "30 November 2026",
        "delivered": 1200,
        "accepted": 1188,
        "rejected": 12,
        "sold": 1000,
        "returned": 0,
        "earned_rupiah": 5000000,
    },
    "phone_code": {"code": "482913"},
    "window_opened": {"product": "Masker kain 3 lapis", "hub_name": "PLUT Kalimantan Tengah"},
    "programme_not_drawn": {
        "programme": "Masker Gratis Kota Palangka Raya",
        "programme_uuid": "0b6f1c2d-3e4a-4b5c-8d6e-7f8091a2b3c4",
        "draw_uuid": "c4b3a291-807f-4e6d-9c5b-4a3e2d1c0b6f",
        "seed": "4122896380513827521",
        "entrants": 1250,
        "ticket": "T-7K3QD9",
        "draw_page": Link(
            "https://plut.kalteng.go.id/program/0b6f1c2d-3e4a-4b5c-8d6e-7f8091a2b3c4"
            "/undian/c4b3a291-807f-4e6d-9c5b-4a3e2d1c0b6f"
        ),
        **_ORDER,
    },
}
# Meta's own category for one-time codes: delivered first, and priced apart.
CATEGORY = {"phone_code": "AUTHENTICATION"}


def numbered(body: Template) -> str:
    """The body with each distinct placeholder as {{1}}, {{2}}, ... in order of first appearance."""
    return body.substitute(
        {key: f"{{{{{n}}}}}" for n, key in enumerate(body.get_identifiers(), start=1)}
    )


def definition(purpose: str, language: str) -> dict:
    example = render(purpose, language, SAMPLE_NAME, SAMPLE_PARAMS[purpose])
    return {
        "name": f"plut_{purpose}",
        "language": language,
        "category": CATEGORY.get(purpose, "UTILITY"),
        "components": [
            {
                "type": "BODY",
                "text": numbered(load(purpose, language).body),
                "example": {"body_text": [list(example.parameters)]},
            }
        ],
    }


def definitions() -> list[dict]:
    return [
        definition(purpose, language)
        for purpose in sorted(known_templates())
        for language in LANGUAGES
    ]


if __name__ == "__main__":
    print(json.dumps(definitions(), ensure_ascii=False, indent=2))
