"""The bulk orders file (services/console/order_file.py), read without a console: headers and
values in either language, every row checked with the counter form's rules, formulas refused,
the per-buyer cap over a buyer's rows together; and the orders service's errors by index put
back on the spreadsheet's rows (pages/bulk_orders.py)."""

import pytest

from services.console.order_file import (
    MAX_ORDERS,
    Products,
    read_orders,
    template_csv,
    template_xlsx,
)
from services.console.pages.bulk_orders import sheet_errors
from services.console.uploads import UnreadableFile, read_table

SKU = "masker-kain"
HUB = Products({SKU: None, "sabun-cair": 2})
HEADER = ["Produk", "JUMLAH", "accept_partial", "Nama", "Buyer Type", "kabupaten", "No HP"]


def row(**changes) -> list:
    fields = {
        "sku": SKU,
        "quantity": 3,
        "accept": "Ya",
        "name": "Ibu Sari",
        "type": "Perorangan",
        "region": "Kapuas",
        "phone": 81234567001,  # a number cell: its leading 0 lost
    }
    return list({**fields, **changes}.values())


def test_headers_and_choices_in_either_language_become_the_forms_values():
    orders, errors = read_orders(
        [
            (1, HEADER),
            (2, row()),
            (3, [None] * 7),
            (4, row(accept="no", type="Health facility", phone="+62 812-3456-7002")),
        ],
        HUB,
    )
    assert errors == []
    assert [o.row for o in orders] == [2, 4]
    first, second = (o.order for o in orders)
    assert first["quantity"] == 3 and first["accept_partial"] is True
    assert first["buyer"]["phone"] == "+6281234567001" and first["buyer"]["type"] == "individual"
    assert second["accept_partial"] is False and second["buyer"]["type"] == "health_facility"
    assert second["buyer"]["phone"] == "+6281234567002" and second["buyer"]["language"] == "id"


def test_every_error_of_every_row_is_named_by_row_and_field():
    _, errors = read_orders(
        [
            (1, HEADER),
            (2, row(quantity=0, phone="12345")),
            (3, row()),
            (4, row(sku="tidak-ada", type="alien", name="")),
        ],
        HUB,
    )
    assert [(e.row, e.field) for e in errors] == [
        (2, "quantity"),
        (2, "phone"),
        (4, "sku"),
        (4, "name"),
        (4, "buyer_type"),
    ]


def test_the_product_chosen_on_the_page_serves_rows_without_one():
    header = ["jumlah", "nama", "jenis pembeli", "kabupaten/kota", "nomor hp"]
    table = [(1, header), (2, [2, "Pak Budi", "bank", "Sampit", "081234567003"])]
    orders, errors = read_orders(table, Products(HUB.caps, chosen="sabun-cair"))
    assert errors == [] and orders[0].sku == "sabun-cair"
    with pytest.raises(UnreadableFile, match="Choose the product"):
        read_orders(table, HUB)


@pytest.mark.parametrize(
    "cell", ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-1+cmd", '=HYPERLINK("x")']
)
def test_a_formula_is_refused_in_any_column(cell):
    _, errors = read_orders([(1, HEADER), (2, row(name=cell)), (3, row(region=cell))], HUB)
    assert [(e.row, e.field, e.message.english[:9]) for e in errors] == [
        (2, "name", "a formula"),
        (3, "region", "a formula"),
    ]


def test_the_per_buyer_cap_holds_for_a_buyers_rows_together():
    _, errors = read_orders(
        [
            (1, HEADER),
            (2, row(sku="sabun-cair", quantity=2)),
            (3, row(sku="sabun-cair", quantity=1, phone="0812 3456 7009")),
            (4, row(sku="sabun-cair", quantity=1)),
            (5, row(quantity=50)),  # another product, no cap
        ],
        HUB,
    )
    assert [(e.row, e.field) for e in errors] == [(4, "quantity")]
    assert "with rows 2, this phone orders 3 units" in errors[0].message.english
    assert "at most 2 a buyer a day" in errors[0].message.english


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ([], "empty"),
        ([(1, ["nama", "alamat"])], "Unknown columns: 'alamat'"),
        ([(1, ["nama", "jumlah", "jumlah"])], "Column 'jumlah' twice"),
        ([(1, ["nama", "jumlah"])], "Missing columns: buyer type, region, phone"),
        ([(1, HEADER)], "no orders"),
        ([(1, HEADER)] + [(n, row()) for n in range(2, MAX_ORDERS + 3)], "at most 500"),
    ],
)
def test_a_file_that_is_no_order_list_says_why(table, says):
    with pytest.raises(UnreadableFile) as refused:
        read_orders(table, HUB)
    assert says in refused.value.message.english


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("make", [template_xlsx, template_csv])
def test_the_templates_read_back_as_one_order(make, language):
    orders, errors = read_orders(read_table(make(language, SKU)), HUB)
    assert errors == []
    assert [(o.row, o.sku) for o in orders] == [(2, SKU)]
    assert orders[0].order["buyer"]["type"] == "agency"
    assert orders[0].order["buyer"]["language"] == language


def test_the_orders_services_errors_land_on_the_spreadsheets_rows():
    orders, _ = read_orders([(1, HEADER), (2, row()), (5, row()), (7, row())], HUB)
    refused = [
        {"field": "orders[2].sku", "message": "produk 'x' tidak dikenal"},
        {"field": "orders[1].buyer.phone", "message": "bukan nomor"},
        {"field": "orders[0].buyer.type", "message": "tidak boleh"},
        {"field": "orders[9].quantity", "message": "no such order"},
        {"field": "orders", "message": "the batch as a whole"},
    ]
    assert [(e.row, e.field, e.message.indonesian) for e in sheet_errors(refused, orders)] == [
        (7, "sku", "produk 'x' tidak dikenal"),
        (5, "phone", "bukan nomor"),
        (2, "buyer_type", "tidak boleh"),
    ]
