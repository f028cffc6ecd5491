"""The safe evaluator of lesson expressions: a fixed table of functions, bounded numbers, and a
cap on an expression's length, nesting and work.

An `answer:` or `check:` is parsed by Python's `ast` and walked here; only the calls of the table
given can run. Every limit is checked before the work it bounds: the length before parsing, the
nesting before walking, a power's size before computing it, and each function's work (counted by
the function through `charge`) before it is done. So a teacher's typo or a hostile lesson costs
at most about a second, on whatever thread checks it.
"""

from __future__ import annotations

import ast
import contextvars
import inspect
import math
import re
import warnings
from collections.abc import Callable
from typing import Any

MAX_EXPRESSION_CHARS = 2_000
"""The longest expression read (the longest in the course is about 320 characters)."""

MAX_DEPTH = 100
"""The deepest nesting of operators, calls and their arguments (the course's nest 10 deep)."""

OPERATION_BUDGET = 2_000_000
"""The most work one expression may do, in operations of about one optimizer step each (a
fraction of a microsecond): every answer in the course costs under 35,000, and a sum of
optimizer runs of 100,000 steps each is refused at the 20th (about half a second in)."""

MAX_DIGITS = 100
"""The most digits a whole number in an expression may have (10**100 is far beyond any count of
parameters or bytes): `10 ** 10 ** 10` is refused, not computed for hours."""

_MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))

_SOURCE_NAME = "<lesson expression>"
# The parser warns about text such as '1if' on stderr; a teacher's typo is reported as an error
# or not at all, never as a stray line over the app. A filter set once here (matching only this
# file name) is safe with the checks running in worker threads.
warnings.filterwarnings("ignore", category=SyntaxWarning, module=re.escape(_SOURCE_NAME))


class ExpressionLimitError(ValueError):
    """An expression over one of the limits above; the message says which, as a predicate of
    the expression ('it does too much work: more than 2,000,000 operations')."""


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def charge(self, operations: int) -> None:
        self.left -= operations
        if self.left < 0:
            raise ExpressionLimitError(
                f"it does too much work: more than {self.limit:,} operations"
            )


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "expression budget", default=None
)


def charge(operations: int) -> None:
    """Count work about to be done against the expression being evaluated on this thread
    (ExpressionLimitError past its budget); a call made outside an evaluation is free."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(max(int(operations), 0))


_DASHED_WORD = re.compile(r"(?<=[=(,\s])([A-Za-z][\w]*(?:-[\w]+)+)(?=[\s,)]|$)")


def parse(text: str) -> ast.Expression:
    """The expression's tree; ExpressionLimitError when it is too long or nested too deep,
    SyntaxError when it is not an expression."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionLimitError(
            f"it is {len(text):,} characters long; an expression may have at most "
            f"{MAX_EXPRESSION_CHARS:,}"
        )
    # preset names such as seed-mnist read as words, not subtractions
    quoted = _DASHED_WORD.sub(lambda m: repr(m.group(1)), text.strip())
    try:
        tree = ast.parse(quoted, _SOURCE_NAME, mode="eval")
    except (RecursionError, MemoryError):  # the parser's own stack, on pathological nesting
        raise ExpressionLimitError(f"it is nested more than {MAX_DEPTH} levels deep") from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ExpressionLimitError(f"it is nested more than {MAX_DEPTH} levels deep")
    return tree


def _depth(root: ast.AST) -> int:
    """How deep expressions nest under root, measured without recursion."""
    deepest = 0
    pending = [(root, 1)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        for child in ast.iter_child_nodes(node):
            pending.append((child, level + 1 if isinstance(child, ast.expr) else level))
    return deepest


def evaluate(
    tree: ast.Expression,
    table: dict[str, Callable[..., Any]],
    state: Any = None,
    budget: int = OPERATION_BUDGET,
) -> Any:
    """The value of a parsed expression; the table's functions get `state` first (unless
    None). Raises one of ERRORS (a ValueError for anything the expression does wrong)."""
    token = _BUDGET.set(_Budget(budget))
    try:
        return _evaluate(tree, table, state)
    finally:
        _BUDGET.reset(token)


_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Pow: lambda a, b: a**b,
    ast.Mod: lambda a, b: a % b,
}
_NAMES = {"true": True, "false": False, "True": True, "False": False, "none": None}


def _evaluate(node: ast.AST, table: dict[str, Callable[..., Any]], state: Any) -> Any:
    charge(1)
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, table, state)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return _bounded(node.value, node)
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.Name):
        return node.id  # a bare word is a string: model=seed-mnist needs no quotes
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _evaluate(node.left, table, state)
        right = _evaluate(node.right, table, state)
        if isinstance(left, str) or isinstance(right, str):
            # text * 10**9 or '%999999999d' % 1 would fill the memory; text + text is harmless
            if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
                return left + right
            raise _PartError(node, "mixes text into arithmetic, which works on numbers")
        if isinstance(node.op, ast.Pow) and _too_big_power(left, right):
            raise _PartError(node, f"is larger than 10**{MAX_DIGITS}")
        return _bounded(_OPERATORS[type(node.op)](left, right), node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, table, state)
        if isinstance(value, str):
            raise _PartError(node, "puts a sign before text, not a number")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _call(node, node.func.id, table, state)
    raise ValueError(f"'{ast.unparse(node)}' is not allowed here")


def _call(node: ast.Call, name: str, table: dict[str, Callable[..., Any]], state: Any) -> Any:
    if name not in table:
        raise ValueError(f"unknown function {name}(): use one of {', '.join(table)}")
    args = [_evaluate(a, table, state) for a in node.args]
    kwargs = {k.arg: _evaluate(k.value, table, state) for k in node.keywords if k.arg}
    if state is not None:
        args.insert(0, state)
    function = table[name]
    _bind(name, function, args, kwargs)
    try:
        return _bounded(function(*args, **kwargs), node)
    except (TypeError, IndexError) as exc:
        raise ValueError(f"{name}(): {exc}") from None


def _bind(name: str, function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]):
    """Check a call's arguments before making it: one message naming the argument at fault
    (a call's own TypeError would name the function twice: 'f(): f() missing ...')."""
    signature = inspect.signature(function)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    for key in kwargs:
        # a misspelt name first: it is also why the right one seems missing
        if key not in signature.parameters and not takes_any:
            known = ", ".join(p for p in signature.parameters if p != "state")
            raise ValueError(
                f"{name}(): got an unexpected keyword argument '{key}' (it takes {known})"
            )
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"{name}(): {exc}") from None


class _PartError(ValueError):
    """A part of an expression that cannot be computed: 'x' is larger than 10**100."""

    def __init__(self, node: ast.AST, problem: str) -> None:
        self.node = node
        self.problem = problem
        """What is wrong with it, as a predicate: 'is larger than 10**100'."""
        super().__init__(f"'{_source(node)}' {problem}")


def _source(node: ast.AST, limit: int = 40) -> str:
    """A part of an expression as a message quotes it (made only for a message: it is slow)."""
    text = ast.unparse(node)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _too_big_power(base: Any, exponent: Any) -> bool:
    """Whether base ** exponent has more than MAX_DIGITS digits (judged before computing it)."""
    if not isinstance(exponent, (int, float)) or exponent <= 0:
        return False
    size = abs(base) if isinstance(base, (int, float)) else 0
    if size <= 1:
        return False
    return exponent * math.log10(size) > MAX_DIGITS


def _bounded(value: Any, node: ast.AST) -> Any:
    """value, or ValueError when it is a whole number of more than MAX_DIGITS digits, a float
    that is nan or infinite, or a complex number."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _MAX_BITS:
        raise _PartError(node, f"is larger than 10**{MAX_DIGITS}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _PartError(node, f"is {value}, not a finite number")
    if isinstance(value, complex):  # (-8) ** 0.5
        raise _PartError(node, "is not a real number")
    return value


ERRORS = (
    SyntaxError,
    ValueError,  # StackError, LessonError and ExpressionLimitError too
    ArithmeticError,
    LookupError,
    TypeError,
    RecursionError,
)
"""What evaluating an expression can raise: each becomes one message naming file and line."""


def reason(exc: BaseException, tree: ast.Expression | None) -> str:
    """Why an expression failed, for the end of 'answer ... cannot be computed: <reason>'."""
    if isinstance(exc, _PartError) and tree is not None and exc.node is tree.body:
        return f"it {exc.problem}"  # the whole expression: the message quotes it already
    if isinstance(exc, SyntaxError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    return str(exc)


def quoted(expression: str, limit: int = 160) -> str:
    """An expression as a message quotes it: in full up to `limit` characters, else its start."""
    text = expression if len(expression) <= limit else f"{expression[: limit - 3]}..."
    return repr(text)
