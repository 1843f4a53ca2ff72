"""What the orders API's document shows partners: an order as placed, read and cancelled (the
linters check each example against its schema, tests/integration/test_api_lint.py)."""

NEW_ORDER = {
    "hub": "kalteng",
    "sku": "masker-kain",
    "quantity": 10,
    "buyer": {
        "name": "Koperasi Sejahtera",
        "type": "business",
        "region": "Palangka Raya",
        "phone": "0812 3456 7890",
        "reference": "KS-0042",
        "channel": "whatsapp",
    },
}
ORDER = {
    "id": "0d6b9a36-54f1-4c38-9a55-8e3c1f0b7a21",
    "code": "7K3QD-M9X2A",
    "hub": "kalteng",
    "sku": "masker-kain",
    "quantity": 10,
    "allocated": 0,
    "fulfilled": 0,
    "expired": 0,
    "waiting": 10,
    "hold_until": None,
    "accept_partial": True,
    "priority_class": "public",
    "status": "queued",
    "buyer": {
        "name": "Koperasi Sejahtera",
        "type": "business",
        "region": "Palangka Raya",
        "phone": "+6281234567890",
        "email": None,
        "reference": "KS-0042",
        "language": "id",
        "channel": "whatsapp",
    },
    "placed_at": "2026-12-05T08:30:00Z",
    "fulfilled_at": None,
    "cancelled_at": None,
}
ORDER_WITH_STANDING = {
    **ORDER,
    "position": 3,
    "units_ahead": 25,
    "estimated_date": "2026-12-07",
    "explanation": [
        {
            "rule": "queued",
            "quantity": 10,
            "at": "2026-12-05T08:30:00Z",
            "id": "Menunggu di antrean, ke-3",
            "en": "Waiting in the queue, 3rd",
        }
    ],
}
CANCELLED = {**ORDER, "status": "cancelled", "cancelled_at": "2026-12-05T09:00:00Z"}
CATALOG = {
    "products": [
        {
            "hub": "kalteng",
            "sku": "masker-kain",
            "product_id": "6a1f0c1e-2b7d-4d1a-8f7e-3c9b5a2d4e10",
            "name": "Masker kain",
            "unit_price": 5000,
        }
    ]
}
