"""The Chinese catalog is complete, compiled and in step with the code.

Pages must be whole in Simplified Chinese and English. English is the source language, so
locale/en only needs to exist; every msgid of locale/zh_Hans needs a translation. When a
test here fails after a string was added or changed, run `make messages`, translate the new
entries in locale/zh_Hans/LC_MESSAGES/django.po (no "fuzzy" flags), and run `make messages`
again to recompile the .mo files. No database is needed."""

import ast
import gettext
import io
import os
import re
import shutil
import subprocess
import tokenize
from collections import Counter
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE = BASE_DIR / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ZH_PO.with_suffix(".mo")
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")

# Top-level folders makemessages is told to skip, plus the tests and the catalogs.
SKIPPED_DIRS = {".venv", "static", "staticfiles", "node_modules", "locale", "tests", "media"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}

HOW_TO_FIX = (
    "Run `make messages`, translate the new or changed entries in "
    "locale/zh_Hans/LC_MESSAGES/django.po (remove any fuzzy flag), then run "
    "`make messages` again to recompile the .mo files."
)


# --- A small PO reader (the stdlib has none) --------------------------------------------


class Entry:
    def __init__(self) -> None:
        self.flags: set[str] = set()
        self.msgctxt: str | None = None
        self.msgid: str | None = None
        self.msgid_plural: str | None = None
        self.msgstr: dict[int, str] = {}
        self.line = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid or "")


_PO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_PO_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _po_string(literal: str) -> str:
    assert literal.startswith('"') and literal.endswith('"'), literal
    return re.sub(r"\\(.)", lambda m: _PO_ESCAPES.get(m.group(1), m.group(1)), literal[1:-1])


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file in order; the header is the entry with msgid ""."""
    entries: list[Entry] = []
    entry, field = Entry(), None

    def finish() -> None:
        nonlocal entry, field
        if entry.msgid is not None:
            entries.append(entry)
        entry, field = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):  # blank line or obsolete entry
            finish()
        elif line.startswith("#"):
            if entry.msgid is not None:
                finish()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith('"'):
            assert field is not None, f"{path}:{number}: continuation without a keyword"
            text = _po_string(line)
            if isinstance(field, int):
                entry.msgstr[field] += text
            else:
                setattr(entry, field, getattr(entry, field) + text)
        else:
            match = _PO_KEYWORD.match(line)
            assert match, f"{path}:{number}: cannot read {raw!r}"
            keyword, index, literal = match.groups()
            if keyword == "msgctxt" and entry.msgid is not None:
                finish()
            if keyword.startswith("msgstr"):
                field = int(index or 0)
                entry.msgstr[field] = _po_string(literal)
            else:
                field = keyword
                setattr(entry, keyword, _po_string(literal))
                if keyword == "msgid":
                    entry.line = number
    finish()
    return entries


def _messages(path: Path) -> list[Entry]:
    return [e for e in read_po(path) if e.msgid]


def _header(path: Path) -> Entry:
    return next(e for e in read_po(path) if e.msgid == "")


# --- Placeholders ---------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc]"  # %(name)s, %(count)d
    r"|%[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc]"  # %s, %d
    r"|\{\{\s*[\w.]+\s*\}\}"  # {{ var }}
    r"|\{\w*\}"  # {}, {name}, {0}
)


def placeholders(text: str) -> Counter:
    return Counter(_PLACEHOLDER.findall(text.replace("%%", "")))


# --- Catalog tests --------------------------------------------------------------------


def test_catalogs_exist():
    for path in (ZH_PO, ZH_MO, EN_PO, EN_MO):
        assert path.is_file(), f"{path.relative_to(BASE_DIR)} is missing. {HOW_TO_FIX}"


def test_headers_are_utf8_and_chinese_has_one_plural_form():
    for path in (ZH_PO, EN_PO):
        header = _header(path)
        assert "fuzzy" not in header.flags, f"{path}: the header is marked fuzzy"
        assert "charset=UTF-8" in header.msgstr[0], f"{path}: the header charset is not UTF-8"
    assert "Plural-Forms: nplurals=1; plural=0;" in _header(ZH_PO).msgstr[0]


def test_every_chinese_entry_is_translated_and_not_fuzzy():
    entries = _messages(ZH_PO)
    assert entries, f"{ZH_PO} has no entries. {HOW_TO_FIX}"
    problems = []
    for e in entries:
        if "fuzzy" in e.flags:
            problems.append(f"line {e.line}: fuzzy: {e.msgid!r}")
        if sorted(e.msgstr) != [0]:
            problems.append(f"line {e.line}: needs exactly msgstr[0] (nplurals=1): {e.msgid!r}")
        if not e.msgstr.get(0, "").strip():
            problems.append(f"line {e.line}: untranslated: {e.msgid!r}")
    assert not problems, f"{ZH_PO}:\n" + "\n".join(problems) + f"\n{HOW_TO_FIX}"


def test_english_catalog_has_the_same_entries():
    """locale/en keeps msgstr empty (English falls back to the msgid) but must list the
    same strings, which a shared `make messages` run guarantees."""
    zh = {e.key for e in _messages(ZH_PO)}
    en = {e.key for e in _messages(EN_PO)}
    assert zh == en, (
        f"Only in zh_Hans: {sorted(zh - en)[:10]}; only in en: {sorted(en - zh)[:10]}. "
        + HOW_TO_FIX
    )


def test_placeholders_of_each_translation_match_its_msgid():
    problems = []
    for e in _messages(ZH_PO):
        source = e.msgid_plural if e.msgid_plural is not None else e.msgid
        for index, text in e.msgstr.items():
            if text and placeholders(text) != placeholders(source):
                problems.append(
                    f"line {e.line}: {e.msgid!r}: msgstr[{index}] has "
                    f"{sorted(placeholders(text).elements())}, the msgid has "
                    f"{sorted(placeholders(source).elements())}"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("path", [ZH_PO, EN_PO], ids=["zh_Hans", "en"])
def test_msgfmt_accepts_the_catalog(path):
    result = subprocess.run(
        ["msgfmt", "--check", "--output-file=/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compiled_chinese_catalog_is_up_to_date():
    """The committed .mo gives exactly the translations of the .po."""
    with ZH_MO.open("rb") as fp:
        mo = gettext.GNUTranslations(fp)
    stale = []
    for e in _messages(ZH_PO):
        context = e.msgctxt
        if e.msgid_plural is None:
            got = mo.pgettext(context, e.msgid) if context else mo.gettext(e.msgid)
            if got != e.msgstr[0]:
                stale.append(e.msgid)
            continue
        for n in (1, 2, 5):
            if context:
                got = mo.npgettext(context, e.msgid, e.msgid_plural, n)
            else:
                got = mo.ngettext(e.msgid, e.msgid_plural, n)
            if got != e.msgstr[0]:
                stale.append(e.msgid)
                break
    assert not stale, (
        f"{ZH_MO.relative_to(BASE_DIR)} does not match its .po for {len(stale)} string(s), "
        f"e.g. {stale[:5]}. {HOW_TO_FIX}"
    )


def test_django_serves_both_languages():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Departments") == "部门"
    with translation.override("en"):
        assert translation.gettext("Departments") == "Departments"


# --- Strings in the code that the catalog lacks ----------------------------------------

_PY_FUNCS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}
_PY_CONTEXT_FUNCS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
_PY_SKIPPED_TOKENS = {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT}
_TPL_LITERAL = r"""(?:"[^"\n]*"|'[^'\n]*')"""
_TPL_TRANSLATE = re.compile(
    rf"\{{%\s*(?:translate|trans)\s+(?P<msg>{_TPL_LITERAL})"
    rf"(?:\s+context\s+(?P<ctx>{_TPL_LITERAL}))?(?:\s+noop)?(?:\s+as\s+\w+)?\s*%\}}"
)
_TPL_BLOCK = re.compile(
    r"\{%\s*(?:blocktranslate|blocktrans)\b(?P<args>[^%\n]*)%\}"
    r"(?P<body>[^\n]*?)\{%\s*(?:endblocktranslate|endblocktrans)\s*%\}"
)
_TPL_BLOCK_CONTEXT = re.compile(rf"\bcontext\s+(?P<ctx>{_TPL_LITERAL})")


def _python_strings(text: str):
    """(msgctxt, msgid, line) of each gettext call whose first argument(s) are string
    literals, as xgettext reads them: comments and docstrings are not calls, adjacent
    literals are joined, f-strings are skipped."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(text).readline)
        if t.type not in _PY_SKIPPED_TOKENS
    ]

    def literal_at(i: int) -> tuple[str | None, int]:
        parts = []
        while i < len(tokens) and tokens[i].type == tokenize.STRING:
            prefix = re.match(r"[a-zA-Z]*", tokens[i].string).group().lower()
            if "f" in prefix or "b" in prefix:
                return None, i
            parts.append(ast.literal_eval(tokens[i].string))
            i += 1
        return ("".join(parts) if parts else None), i

    for i, token in enumerate(tokens[:-2]):
        name = token.string
        if token.type != tokenize.NAME or name not in _PY_FUNCS | _PY_CONTEXT_FUNCS:
            continue
        if i and tokens[i - 1].string in {".", "def"} or tokens[i + 1].string != "(":
            continue
        first, j = literal_at(i + 2)
        if first is None or tokens[j].string not in {",", ")"}:
            continue
        if name in _PY_FUNCS:
            yield None, first, token.start[0]
        elif tokens[j].string == ",":
            second, k = literal_at(j + 1)
            if second is not None and tokens[k].string in {",", ")"}:
                yield first, second, token.start[0]


def _source_files():
    for root, dirs, files in os.walk(BASE_DIR):
        at_top = Path(root) == BASE_DIR
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith((".", "__"))
            and not d.endswith(".egg-info")
            and not (at_top and d in SKIPPED_DIRS)
        )
        for name in sorted(files):
            path = Path(root) / name
            if path.suffix in SOURCE_SUFFIXES:
                yield path, path.relative_to(BASE_DIR)


def _strings_in(path: Path):
    """(msgctxt, msgid, line) of each literal marked for translation (in templates: the
    single-line {% translate %} and {% blocktranslate %} tags without a plural)."""
    text = path.read_text(encoding="utf-8")

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    if path.suffix == ".py":
        yield from _python_strings(text)
        return
    for m in _TPL_TRANSLATE.finditer(text):
        context = m["ctx"][1:-1] if m["ctx"] else None
        yield context, m["msg"][1:-1].replace("%", "%%"), line_of(m.start())
    for m in _TPL_BLOCK.finditer(text):
        args, body = m["args"], m["body"]
        if re.search(r"\bcount\b", args) or "{% plural" in body or "{%" in body:
            continue
        if re.search(r"\btrimmed\b", args):
            body = " ".join(body.split())
        msgid = re.sub(r"\{\{\s*(\w+)\s*\}\}", r"%(\1)s", body.replace("%", "%%"))
        context = _TPL_BLOCK_CONTEXT.search(args)
        yield (context["ctx"][1:-1] if context else None), msgid, line_of(m.start())


def test_every_marked_string_in_the_code_is_in_the_catalog():
    known = {e.key for e in _messages(ZH_PO)}
    missing = []
    found = 0
    for path, relative in _source_files():
        for context, msgid, line in _strings_in(path):
            found += 1
            if msgid and (context, msgid) not in known:
                missing.append(f"{relative}:{line}: {msgid!r}")
    assert found > 100, "the string extraction found almost nothing: check its patterns"
    assert not missing, (
        f"{len(missing)} translatable string(s) are not in {ZH_PO.relative_to(BASE_DIR)}:\n"
        + "\n".join(missing)
        + f"\n{HOW_TO_FIX}"
    )
