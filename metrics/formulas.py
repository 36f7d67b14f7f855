"""A small, safe arithmetic language over indicator codes (SPEC §2, §4).

An expression such as ``leavers / headcount * 100`` is parsed with ``ast`` and checked
against an allow-list: numbers, indicator codes (``[a-z][a-z0-9_]*``), binary ``+ - * /``,
unary ``-`` and parentheses. Anything else (calls, attributes, ``**``, comparisons, strings,
subscripts, ...) is refused. The checked tree is converted to plain tuples and evaluated by
a few lines of ``Decimal`` arithmetic; nothing is ever passed to ``eval`` or ``compile``.

Pure Python, no Django: the Django layer maps ``FormulaError`` to a form error.
"""

from __future__ import annotations

import ast
import decimal
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeAlias

__all__ = [
    "CODE_PATTERN",
    "MAX_LENGTH",
    "Formula",
    "FormulaError",
    "check_references",
    "evaluate",
    "evaluation_order",
    "parse",
]

MAX_LENGTH = 500
_SHOWN_CHARS = 40  # longest piece of a formula quoted back in an error message
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
# Python's own number syntax is wider (hex, complex, exponents); a formula needs only these.
_NUMBER_PATTERN = re.compile(r"(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)")

# The compiled tree: ("num", Decimal) | ("code", str) | ("neg", node) | (op, left, right)
# with op one of "+", "-", "*", "/".
_Node: TypeAlias = tuple[Any, ...]

_BINARY_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}

# Names for refused syntax, so the message says what was found in words a user knows.
_REFUSED_NAMES: dict[type[ast.AST], str] = {
    ast.Call: "function call",
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Compare: "comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else expression",
    ast.Lambda: "lambda",
    ast.NamedExpr: "assignment (:=)",
    ast.Tuple: "tuple",
    ast.List: "list",
    ast.Set: "set",
    ast.Dict: "dict",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.JoinedStr: "string",
    ast.Starred: "starred expression",
    ast.Slice: "slice",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_REFUSED_OPERATORS: dict[type[ast.AST], str] = {
    ast.Pow: "power operator **",
    ast.FloorDiv: "floor division //",
    ast.Mod: "modulo operator %",
    ast.MatMult: "matrix operator @",
    ast.LShift: "shift operator <<",
    ast.RShift: "shift operator >>",
    ast.BitAnd: "bitwise operator &",
    ast.BitOr: "bitwise operator |",
    ast.BitXor: "bitwise operator ^",
    ast.UAdd: "unary +",
    ast.Invert: "bitwise operator ~",
    ast.Not: "not",
}


class FormulaError(ValueError):
    """A formula that cannot be accepted: malformed, disallowed syntax, unknown indicator
    code, or a cycle. ``str(error)`` is a complete English sentence for the user; ``kind``
    ("syntax", "unknown" or "cycle") and ``params`` let a translated layer say the same."""

    def __init__(self, message: str, kind: str = "syntax", **params: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.params = params


@dataclass(frozen=True)
class Formula:
    """A parsed, checked formula: its ``expression`` (stripped) and the frozenset of
    indicator ``codes`` it refers to."""

    expression: str
    codes: frozenset[str]
    _tree: _Node = field(repr=False, compare=False)


def parse(expression: str) -> Formula:
    """Parse and check an arithmetic expression over indicator codes.

    Allowed: decimal numbers, indicator codes (lowercase letter, then lowercase letters,
    digits or underscores), binary ``+ - * /``, unary minus and parentheses, in at
    most 500 characters. Anything else raises ``FormulaError`` naming what was found.
    """
    if not isinstance(expression, str):
        raise FormulaError("A formula must be text.")
    text = expression.strip()
    if not text:
        raise FormulaError("The formula is empty.")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"The formula is too long ({len(text)} characters, at most {MAX_LENGTH})."
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        where = f" (near character {exc.offset})" if exc.offset else ""
        raise FormulaError(f"The formula is malformed: {exc.msg}{where}.") from None
    except (RecursionError, MemoryError):
        raise FormulaError("The formula is malformed: it is nested too deeply.") from None
    except ValueError as exc:  # e.g. a NUL character, on older Pythons
        raise FormulaError(f"The formula is malformed: {exc}.") from None
    codes: set[str] = set()
    try:
        compiled = _compile(tree.body, text, codes)
    except RecursionError:
        raise FormulaError("The formula is malformed: it is nested too deeply.") from None
    return Formula(expression=text, codes=frozenset(codes), _tree=compiled)


def _segment(text: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(text, node) or ""
    return segment if len(segment) <= _SHOWN_CHARS else segment[: _SHOWN_CHARS - 3] + "..."


def _refuse(text: str, node: ast.AST, what: str) -> FormulaError:
    segment = _segment(text, node)
    found = f" `{segment}`" if segment else ""
    return FormulaError(
        f"Not allowed in a formula: {what}{found}. "
        "Use numbers, indicator codes, + - * / and parentheses."
    )


def _compile(node: ast.AST, text: str, codes: set[str]) -> _Node:
    if isinstance(node, ast.BinOp):
        op = _BINARY_OPS.get(type(node.op))
        if op is None:
            what = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
            raise _refuse(text, node, what)
        return (op, _compile(node.left, text, codes), _compile(node.right, text, codes))
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            what = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
            raise _refuse(text, node, what)
        return ("neg", _compile(node.operand, text, codes))
    if isinstance(node, ast.Name):
        if not CODE_PATTERN.fullmatch(node.id):
            raise FormulaError(
                f"`{node.id}` is not an indicator code: codes start with a lowercase letter "
                "followed by lowercase letters, digits or underscores."
            )
        codes.add(node.id)
        return ("code", node.id)
    if isinstance(node, ast.Constant):
        literal = _segment(text, node)
        if (
            type(node.value) in (int, float)
            and not isinstance(node.value, bool)
            and _NUMBER_PATTERN.fullmatch(literal)
        ):
            # From the source text, not the float: 0.1 must stay exactly 0.1.
            return ("num", Decimal(literal))
        if isinstance(node.value, str | bytes):
            kind = "string"
        elif type(node.value) in (int, float, complex):
            kind = "number format"
        else:
            kind = "literal"
        raise _refuse(text, node, kind)
    what = _REFUSED_NAMES.get(type(node), type(node).__name__)
    raise _refuse(text, node, what)


def _as_formula(formula: Formula | str) -> Formula:
    return formula if isinstance(formula, Formula) else parse(formula)


def evaluate(formula: Formula | str, values: Mapping[str, Decimal | None]) -> Decimal | None:
    """The formula's value for the given component values, in ``Decimal`` arithmetic.

    ``None`` (no value) when any referenced code is missing from ``values`` or maps to
    ``None`` or a non-finite number, and when a division by zero occurs: never an exception
    for data. A string is parsed first (and may raise ``FormulaError``).
    """
    parsed = _as_formula(formula)
    components: dict[str, Decimal] = {}
    for code in parsed.codes:
        value = values.get(code)
        if value is None:
            return None
        if isinstance(value, bool | float):
            raise TypeError(f"value of {code} must be a Decimal, not {type(value).__name__}")
        number = Decimal(value)
        if not number.is_finite():
            return None
        components[code] = number
    try:
        return _evaluate(parsed._tree, components)
    except (_NoValueError, decimal.DecimalException):
        return None


class _NoValueError(Exception):
    pass


_ARITHMETIC = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def _evaluate(node: _Node, values: Mapping[str, Decimal]) -> Decimal:
    kind = node[0]
    if kind == "num":
        return node[1]  # type: ignore[no-any-return]
    if kind == "code":
        return values[node[1]]
    if kind == "neg":
        return -_evaluate(node[1], values)
    left = _evaluate(node[1], values)
    right = _evaluate(node[2], values)
    if kind == "/":
        if right == 0:
            raise _NoValueError
        return left / right
    return _ARITHMETIC[kind](left, right)  # type: ignore[no-any-return]


def _references(formulas: Mapping[str, str], skip: str | None = None) -> dict[str, frozenset[str]]:
    graph: dict[str, frozenset[str]] = {}
    for code, expression in formulas.items():
        if code == skip:
            continue
        try:
            graph[code] = parse(expression).codes
        except FormulaError as exc:
            raise FormulaError(f"The formula of {code} is invalid: {exc}") from None
    return graph


def _find_cycle(start: str, graph: Mapping[str, frozenset[str]]) -> list[str] | None:
    """A path start → … → start through formula codes, or ``None``."""
    seen: set[str] = set()
    path = [start]

    def visit(code: str) -> list[str] | None:
        for ref in sorted(graph.get(code, ())):
            if ref == start:
                return [*path, start]
            if ref in seen or ref not in graph:
                continue
            seen.add(ref)
            path.append(ref)
            found = visit(ref)
            if found:
                return found
            path.pop()
        return None

    return visit(start)


def _cycle_error(chain: list[str]) -> FormulaError:
    joined = " → ".join(chain)
    return FormulaError(f"The formula refers to itself: {joined}.", "cycle", chain=joined)


def check_references(
    code: str, expression: str, known_codes: set[str] | frozenset[str], formulas: Mapping[str, str]
) -> Formula:
    """Parse the formula of indicator ``code`` and check what it refers to.

    Every referenced code must be one of ``known_codes`` (the organization's indicator
    codes), and the formula must not refer to itself, directly or through other formula
    indicators (``formulas`` maps their codes to their expressions; an entry for ``code``
    itself is replaced by ``expression``). Raises ``FormulaError`` naming the unknown codes
    or the chain of the cycle; returns the parsed formula.
    """
    formula = parse(expression)
    unknown = sorted(formula.codes - set(known_codes))
    if unknown:
        listed = ", ".join(unknown)
        noun = "code" if len(unknown) == 1 else "codes"
        raise FormulaError(
            f"The formula refers to unknown indicator {noun}: {listed}.", "unknown", codes=listed
        )
    graph = _references(formulas, skip=code)
    graph[code] = formula.codes
    chain = _find_cycle(code, graph)
    if chain:
        raise _cycle_error(chain)
    return formula


def evaluation_order(formulas: Mapping[str, str]) -> list[str]:
    """The formula codes in an order in which each comes after the formula indicators it
    refers to (components first), ties broken alphabetically so the order is stable.

    References to codes that are not formulas are plain inputs and take no part. Raises
    ``FormulaError`` for an invalid formula or a cycle, naming its chain.
    """
    graph = _references(formulas)
    order: list[str] = []
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        # Iterative depth-first walk (components first); the stack is the current path, so
        # meeting a code already on it is a cycle.
        stack: list[tuple[str, list[str]]] = [(root, sorted(graph[root] & graph.keys()))]
        while stack:
            current, pending = stack[-1]
            nxt = next((ref for ref in pending if ref not in done), None)
            if nxt is None:
                stack.pop()
                done.add(current)
                order.append(current)
                continue
            pending.remove(nxt)
            path = [entry for entry, _ in stack]
            if nxt in path:
                raise _cycle_error([*path[path.index(nxt) :], nxt])
            stack.append((nxt, sorted(graph[nxt] & graph.keys())))
    return order


def to_sql(formula: Formula | str, column: Mapping[str, str]) -> str:
    """The formula as a SQL expression, for set-based roll-ups.

    ``column`` maps each code to a SQL column expression (built by the caller, never from
    user text). Numbers are the checked decimal literals of the formula; a division by zero
    gives NULL (no value) through NULLIF, exactly like ``evaluate``; every division is done
    on decimals (``1.0 *``) so SQLite does not divide integers."""
    parsed = _as_formula(formula)
    return _sql(parsed._tree, column)


def _sql(node: _Node, column: Mapping[str, str]) -> str:
    kind = node[0]
    if kind == "num":
        return format(node[1], "f")
    if kind == "code":
        return column[node[1]]
    if kind == "neg":
        return f"(-{_sql(node[1], column)})"
    left, right = _sql(node[1], column), _sql(node[2], column)
    if kind == "/":
        return f"((1.0 * {left}) / NULLIF({right}, 0))"
    return f"({left} {kind} {right})"


_CODE = re.compile(r"\b[a-z][a-z0-9_]*\b")
_SPELLED_OPERATORS = str.maketrans({"*": "×", "/": "÷"})


def spelled(expression: str, names: Mapping[str, str]) -> str:
    """A formula as a reader sees it: each indicator code replaced by its name (`names`:
    code → name; a code without a name stays as it is), × and ÷ for * and /."""
    text = expression.translate(_SPELLED_OPERATORS)
    return _CODE.sub(lambda m: names.get(m.group(0), m.group(0)), text)
