"""The page checks themselves catch what they are meant to (no browser needed)."""

from .journey import english_left_in, english_ui_strings


def test_the_catalogue_gives_english_strings_to_look_for():
    assert len(english_ui_strings()) > 300
    assert "Save all KPIs" in english_ui_strings()


def test_english_left_in_a_chinese_page_is_found():
    assert "Save all KPIs" in english_left_in("保存 Save all KPIs 取消")


def test_chinese_text_codes_and_words_inside_identifiers_are_not_english_left():
    assert english_left_in("保存所有指标 · 2026年12月") == []
    assert english_left_in("first_response_minutes email_reply_hours") == []
