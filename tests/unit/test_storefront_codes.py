"""The codes the site handles: one-time phone codes, and the keys of phones and browsers."""

from services.storefront import codes

SECRET = b"s" * 32


def test_a_phone_code_is_six_digits_and_kept_only_as_a_keyed_hash():
    code = codes.new_phone_code()
    kept = codes.phone_code_hash(SECRET, "check-1", code)

    assert len(code) == 6 and code.isdigit()
    assert codes.same_code(code, kept, SECRET, "check-1")
    assert not codes.same_code(code, kept, SECRET, "check-2")  # bound to its check
    assert not codes.same_code(code, kept, b"t" * 32, "check-1")  # and to the secret
    for wrong in ("", "12345", "1234567", "١٢٣٤٥٦", "12 456"):
        assert not codes.same_code(wrong, kept, SECRET, "check-1")
