"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last a
check character over the first 17 (weights 3^i mod 31, in the code's own 31-character alphabet)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first_17: str) -> str:
    total = sum(ALPHABET.index(character) * weight for character, weight in zip(first_17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def tax_id_problem(code: str) -> str | None:
    """Why ``code`` (upper case, no spaces) is not a unified social credit code; None when it is."""
    if len(code) != 18:
        return f"a unified social credit code has 18 characters, not {len(code)}"
    wrong = sorted({character for character in code if character not in ALPHABET})
    if wrong:
        return f"a unified social credit code has no {', '.join(repr(c) for c in wrong)}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"the check character is {code[17]!r} but the first 17 characters give {expected!r}: a typing error?"
    return None
