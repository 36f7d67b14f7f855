"""@mentions in a post's text: which members it names, and the text as safe HTML.

A mention is `@` and a member's username. It may follow any character but a username's
own (so an e-mail address is no mention) and is the longest username it starts with,
followed by anything but a letter, digit or underscore: "@mona-manager，请看" names
mona-manager in Chinese text without a space."""

from __future__ import annotations

import re

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from perfhub.names import display_name

# The start of a mention: "@" not preceded by a username character, then its characters.
MENTION = re.compile(r"(?<![A-Za-z0-9_.+@-])@([\w.@+-]{1,150})")
_WORD_AFTER = re.compile(r"[A-Za-z0-9_]")


def _longest(token: str, usernames) -> str | None:
    """The longest username the token starts with, ending at a word boundary."""
    best = None
    for name in usernames:
        if not token.startswith(name) or (best is not None and len(name) <= len(best)):
            continue
        if len(token) > len(name) and _WORD_AFTER.match(token[len(name)]):
            continue
        best = name
    return best


def find(text: str, usernames) -> list[tuple[int, int, str]]:
    """(start, end, username) of each mention of one of `usernames` in the text, in order;
    `start` is the position of the "@"."""
    names = list(usernames)
    found = []
    for match in MENTION.finditer(text or ""):
        name = _longest(match.group(1), names)
        if name is not None:
            found.append((match.start(), match.start() + 1 + len(name), name))
    return found


def candidates(text: str) -> set[str]:
    """Every username a mention in the text could name (each token after an "@" and its
    prefixes), to look the members up in one query."""
    return {
        token[:n]
        for token in (match.group(1) for match in MENTION.finditer(text or ""))
        for n in range(1, len(token) + 1)
    }


def render(text: str, users_by_name: dict) -> SafeString:
    """The text escaped, each mention of a known user as a highlighted name, line breaks
    kept (<br>)."""
    parts: list[str] = []
    at = 0
    for start, end, name in find(text, users_by_name):
        parts.append(conditional_escape(text[at:start]))
        user = users_by_name[name]
        parts.append(
            format_html(
                '<span class="mention" title="@{}">@{}</span>', name, display_name(user) or name
            )
        )
        at = end
    parts.append(conditional_escape(text[at:]))
    html = "".join(str(p) for p in parts).replace("\r\n", "\n").replace("\n", "<br>")
    return mark_safe(html)  # noqa: S308 - every piece above is escaped
