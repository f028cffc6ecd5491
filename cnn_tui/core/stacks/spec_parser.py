"""The one-line spec syntax: 'conv(20,5) relu maxpool(2) ... fc(10)' read into layers."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from ..convolution.arithmetic import PADDING_MODES
from .blocks import Block, Concat, Residual
from .layer_settings import ALIASES, LAYER_TYPES, coerce
from .layers import Layer, is_required_value
from .shapes import MAX_LAYERS, MAX_NESTING, StackError
from .stack import row_count

_ASCII_WHOLE = re.compile(r"[0-9]+")
"""Digits as typed on a keyboard: str.isdigit() and int() also take '２０' and '²'."""

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?[0-9]+(?:[xX×]-?[0-9]+)+|-?[0-9]+(?:\.[0-9]*)?(?:e-?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[()\[\]|*,=]))"
)
"""A number is also a per-axis pair like 1x7 (more sides, 3x3x3, are refused by coerce)."""


@dataclass
class _Token:
    kind: str
    text: str
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise StackError(f"unexpected character {text[pos]!r}", column=pos + 1, source=text)
        kind = match.lastgroup or "punct"
        start = match.start(kind)
        tokens.append(_Token(kind, match.group(kind), start + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


@dataclass
class _Parser:
    text: str
    tokens: list[_Token]
    pos: int = 0
    depth: int = 0
    """Blocks and [groups] open around the current token."""

    def enter(self, token: _Token) -> None:
        """One more level of nesting, opened at token; refused past MAX_NESTING."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(
                f"blocks and [groups] nested more than {MAX_NESTING} levels deep", token
            )

    def error(self, message: str, token: _Token | None = None) -> StackError:
        token = token or self.peek()
        return StackError(message, column=token.column, source=self.text)

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, text: str) -> bool:
        if self.peek().text == text and self.peek().kind == "punct":
            self.pos += 1
            return True
        return False

    def expect(self, text: str, after: str) -> None:
        if not self.accept(text):
            found = self.peek().text or "the end"
            raise self.error(f"expected {text!r} {after}, found {found!r}")

    def sequence(self, closers: tuple[str, ...]) -> list[Layer]:
        layers: list[Layer] = []
        while self.peek().kind != "end" and self.peek().text not in closers:
            layers.extend(self.item())
        return layers

    def item(self) -> list[Layer]:
        token = self.peek()
        if self.accept("["):
            self.enter(token)
            group = self.sequence(("]",))
            self.expect("]", "to close the group opened at column " + str(token.column))
            self.depth -= 1
            if not group:
                raise self.error("empty group []", token)
        elif token.kind == "name":
            group = [self.layer()]
        else:
            raise self.error(f"expected a layer name, found {token.text!r}")
        if self.accept("*"):
            count = self.take()
            if count.kind != "num" or not _ASCII_WHOLE.fullmatch(count.text) or int(count.text) < 1:
                raise self.error("expected a repeat count like *3 after '*'", count)
            if len(group) * int(count.text) > MAX_LAYERS:
                raise self.error(f"a stack of more than {MAX_LAYERS:,} layers is too big", count)
            group = group * int(count.text)
        return group

    def layer(self) -> Layer:
        name_token = self.take()
        name = ALIASES.get(name_token.text.lower(), name_token.text.lower())
        cls = LAYER_TYPES.get(name)
        if cls is None:
            known = ", ".join(sorted(LAYER_TYPES))
            raise self.error(f"unknown layer {name_token.text!r} (known: {known})", name_token)
        positional: list[tuple[str, _Token]] = []
        named: dict[str, tuple[str, _Token]] = {}
        if self.accept("("):
            while not self.accept(")"):
                if self.peek().kind == "end":
                    raise self.error(f"expected ')' to close {name}(")
                first = self.take()
                if self.accept("="):
                    value = self.take()
                    if value.kind not in ("num", "name"):
                        raise self.error(f"expected a value after {first.text}=", value)
                    key = cls.short_names.get(first.text, first.text)
                    if key in named:
                        raise self.error(f"{key} given twice", first)
                    named[key] = (value.text, value)
                elif named:
                    raise self.error("positional argument after a named one", first)
                else:
                    positional.append((first.text, first))
                if self.peek().kind == "end":
                    raise self.error(f"expected ')' to close {name}(")
                if self.peek().text != ")":
                    self.expect(",", "between arguments")
        branches: list[list[Layer]] = []
        if issubclass(cls, Block):
            self.enter(name_token)
        if issubclass(cls, (Residual, Concat)):
            open_token = self.peek()
            self.expect("[", f"after {name}: {name}[body | shortcut]")
            branches.append(self.sequence(("|", "]")))
            while self.accept("|"):
                branches.append(self.sequence(("|", "]")))
            self.expect("]", f"to close {name}[ opened at column {open_token.column}")
        if issubclass(cls, Block):
            self.depth -= 1
        return self.build(cls, name_token, positional, named, branches)

    def build(
        self,
        cls: type[Layer],
        name_token: _Token,
        positional: list[tuple[str, _Token]],
        named: dict[str, tuple[str, _Token]],
        branches: list[list[Layer]],
    ) -> Layer:
        if cls is Residual:
            if positional or named or not 1 <= len(branches) <= 2 or not branches[0]:
                raise self.error("res takes res[body] or res[body | shortcut]", name_token)
            shortcut = tuple(branches[1]) if len(branches) == 2 else ()
            return Residual(body=tuple(branches[0]), shortcut=shortcut)
        if cls is Concat:
            if positional or named or any(not b for b in branches):
                raise self.error(
                    "cat takes cat[branch | branch | ...] with no empty branch", name_token
                )
            return Concat(paths=tuple(tuple(b) for b in branches))
        if len(positional) > len(cls.positional):
            message = _named_only_hint(cls, positional) or (
                f"{cls.kind} takes at most {len(cls.positional)} unnamed arguments "
                f"({', '.join(cls.positional) or 'none'})"
            )
            raise self.error(message, positional[len(cls.positional)][1])
        values: dict[str, tuple[str, _Token]] = dict(zip(cls.positional, positional, strict=False))
        for key, item in named.items():
            if key in values:
                raise self.error(f"{key} given twice", item[1])
            values[key] = item
        kwargs: dict[str, Any] = {}
        known = {f.name for f in fields(cls)}
        for key, (text, token) in values.items():
            if key not in known:
                raise self.error(
                    f"{cls.kind} has no setting {key!r} (settings: {', '.join(sorted(known))})",
                    token,
                )
            try:
                kwargs[key] = coerce(key, text)
            except ValueError as exc:
                raise self.error(f"{cls.kind} {key}: {exc}", token) from None
        missing = [
            f.name for f in fields(cls) if is_required_value(f.default) and f.name not in kwargs
        ]
        if missing:
            raise self.error(f"{cls.kind} needs {', '.join(missing)}", name_token)
        return cls(**kwargs)


_WORDS = {"out_channels": "filters"}
"""How the hint for a misplaced argument names a positional field."""


def _named_only_hint(cls: type[Layer], positional: list[tuple[str, _Token]]) -> str | None:
    """For conv(64,1,7) or maxpool(3,1): say how to write a stride, or the rectangular kernel
    that was perhaps meant (None for a layer that never took settings after its positional
    ones)."""
    extra = positional[len(cls.positional) :]
    if not cls.named_only:
        return None
    aliases = {name: alias for alias, name in cls.short_names.items()}
    takes = ", ".join(_WORDS.get(name, name) for name in cls.positional)
    if len(extra) > len(cls.named_only):
        named = ", ".join(f"{alias}=" for alias in cls.short_names if alias != "k")
        return f"{cls.kind} takes ({takes}); give the other settings by name ({named})"
    settings = [
        # conv(8,3,same) meant the padding, whatever place it took
        ("padding" if text.lower() in PADDING_MODES else name, text)
        for name, (text, _) in zip(cls.named_only, extra, strict=False)
    ]
    named = " and ".join(f"the {name} as {aliases[name]}={text}" for name, text in settings)
    hint = f"{cls.kind} takes ({takes}); write {named}"
    side, across = positional[len(cls.positional) - 1][0], extra[0][0]
    if len(extra) == 1 and _ASCII_WHOLE.fullmatch(side) and _ASCII_WHOLE.fullmatch(across):
        noun = "kernel" if cls.kind == "conv" else "window"
        hint += f", or a {side}x{across} {noun} as {side}x{across}"
    return hint


def parse_layers(text: str) -> tuple[Layer, ...]:
    """Parse 'conv(20,5) relu maxpool(2) ... fc(10)' (with [..]*N repeats and blocks)."""
    parser = _Parser(text, _tokenize(text))
    layers = parser.sequence(())
    rows = row_count(layers)
    if rows > MAX_LAYERS:
        # res[relu*10000]*10000 is a short spec, but walking its rows would hang every screen
        raise StackError(
            f"{rows:,} layers (blocks counted with their insides); a stack holds at most "
            f"{MAX_LAYERS:,}"
        )
    if parser.peek().kind != "end":
        raise parser.error(f"unexpected {parser.peek().text!r}")
    if not layers:
        raise StackError("the spec is empty: type layers like conv(20,5) relu maxpool(2)")
    return tuple(layers)
