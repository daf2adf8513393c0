"""Tokens keep the formats already handed out: subscribed feed URLs, year-old unsubscribe links."""

from __future__ import annotations

from events.tokens import Tokens

KEY = "k" * 40
NOW = 1_800_000_000
# Made by the HMAC code tokens.py had before it used itsdangerous: these must keep verifying.
FEED_7_3 = "7-3-YPEXJ_OloS-7Olu6LNuEBhaMUuty1iRC"
UNSUBSCRIBE_42 = "42.1800000000.AQY5RKW_Tjfw6qK5oIuYjyNBjMqxwp_1"
RESET_42 = "42.1800000000.fXF6iPmzzQo5LH_PHCQ4GFrUHK9parkN"
REPORT_REF_42 = "ZG5pPeoT2b3BNhEAROvlCvuzDWti32Me"


def test_tokens_already_handed_out_still_verify() -> None:
    tokens = Tokens(KEY)
    assert tokens.feed_token(7, 3) == FEED_7_3
    assert tokens.read_feed_token(FEED_7_3) == (7, 3)
    assert tokens.make_link_token("unsubscribe", "42", now=NOW) == UNSUBSCRIBE_42
    assert tokens.read_link_token("unsubscribe", UNSUBSCRIBE_42, now=NOW + 86400) == "42"
    reset = tokens.read_link_token(
        "password-reset", RESET_42, bind_for={"42": "hashtail"}, now=NOW + 60
    )
    assert reset == "42"
    assert tokens.member_ref("report", 3, 5, 42) == REPORT_REF_42
    assert tokens.read_member_ref("report", REPORT_REF_42, 3, 5) == 42


def test_a_token_is_refused_with_another_key_purpose_bind_or_age() -> None:
    tokens, other = Tokens(KEY), Tokens("x" * 40)
    assert other.read_feed_token(FEED_7_3) is None
    assert tokens.read_feed_token("7-4-" + FEED_7_3.split("-", 2)[2]) is None
    assert tokens.read_link_token("password-reset", UNSUBSCRIBE_42, now=NOW) is None
    assert tokens.read_link_token("unsubscribe", UNSUBSCRIBE_42, max_age=60, now=NOW + 61) is None
    assert tokens.read_link_token("unsubscribe", UNSUBSCRIBE_42, now=NOW - 120) is None
    used = {"42": "another-hash"}
    assert tokens.read_link_token("password-reset", RESET_42, bind_for=used, now=NOW) is None
    assert tokens.read_member_ref("report", REPORT_REF_42, 3, 6) is None
    assert tokens.read_member_ref("note", REPORT_REF_42, 3, 5) is None


def test_only_the_canonical_spelling_of_a_token_verifies() -> None:
    tokens = Tokens(KEY)
    # base64 decoding skips stray characters; a feed has one URL, not many.
    assert tokens.read_feed_token(FEED_7_3 + "!") is None
    assert tokens.read_feed_token(FEED_7_3[:-1] + "=" + FEED_7_3[-1]) is None
    assert tokens.read_link_token("unsubscribe", UNSUBSCRIBE_42 + "=", now=NOW) is None
    assert KEY not in repr(tokens)
