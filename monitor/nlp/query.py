"""A brand's boolean query: terms, "quoted phrases", AND, OR, NOT, parentheses and NEAR/n.

    (星河 OR "galaxy phone") AND (手机 OR 充电) NOT 星河湾
    (星河 OR 星河X5) NEAR/10 (爆炸 OR 起火)

Operators are upper-case; NOT binds tightest, then NEAR/n, AND, OR. `A NOT B` means `A AND NOT B`.
Two terms need an operator between them, so a forgotten quote is reported rather than guessed at.
Chinese has no spaces, so NEAR/n counts characters: at most n characters between the two terms.
Terms are compared case-insensitively on normalised text (Simplified, half-width); a term never
matches inside a longer Latin word ("mi" is not in "family").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from monitor.nlp.normalize import fold

Span = tuple[int, int]
MAX_NEAR = 1000


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `column` (1-based, in characters) says where."""

    def __init__(self, reason: str, column: int) -> None:
        super().__init__(f"{reason} at column {column}")
        self.reason, self.column = reason, column


@dataclass(frozen=True)
class _Token:
    kind: str  # "term", "phrase", "(", ")", "AND", "OR", "NOT", "NEAR", "end"
    text: str
    column: int
    distance: int = 0


_QUOTES = {'"': '"', "“": "”"}
_WORD = re.compile(r'[^\s()"“”]+')
_NEAR = re.compile(r"NEAR(?:/(\d+))?$")


def _tokens(query: str) -> Iterator[_Token]:
    i = 0
    while i < len(query):
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            yield _Token(ch, ch, i + 1)
            i += 1
        elif ch in _QUOTES:
            close = query.find(_QUOTES[ch], i + 1)
            if close < 0:
                raise QuerySyntaxError("unclosed quote", i + 1)
            yield _Token("phrase", query[i + 1:close], i + 1)
            i = close + 1
        elif ch == "”":
            raise QuerySyntaxError("closing quote without an opening one", i + 1)
        else:
            word = _WORD.match(query, i).group()
            near = _NEAR.match(word)
            if word in ("AND", "OR", "NOT"):
                yield _Token(word, word, i + 1)
            elif near:
                if near.group(1) is None:
                    raise QuerySyntaxError("NEAR needs a distance in characters, like NEAR/5", i + 1)
                distance = int(near.group(1))
                if distance > MAX_NEAR:
                    raise QuerySyntaxError(f"NEAR distance {distance} is over {MAX_NEAR}", i + 1)
                yield _Token("NEAR", word, i + 1, distance)
            else:
                yield _Token("term", word, i + 1)
            i += len(word)
    yield _Token("end", "", len(query) + 1)


class Text:
    """A normalised, lower-cased text plus the spans its brand's exclusions cover."""

    __slots__ = ("text", "blocked")

    def __init__(self, text: str, blocked: list[Span]) -> None:
        self.text, self.blocked = text, blocked

    def hits(self, term: str) -> list[Span]:
        """Where term occurs, outside excluded spans and not inside a longer Latin word."""
        found, text = [], self.text
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            if not (_cuts_word(text, start, end) or any(s <= start and end <= e for s, e in self.blocked)):
                found.append((start, end))
            start = text.find(term, start + 1)
        return found


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _cuts_word(text: str, start: int, end: int) -> bool:
    return ((start > 0 and _is_latin(text[start]) and _is_latin(text[start - 1]))
            or (end < len(text) and _is_latin(text[end - 1]) and _is_latin(text[end])))


class Node:
    def matches(self, text: Text) -> bool:
        raise NotImplementedError

    def spans(self, text: Text) -> list[Span]:
        """Where the node matches; only terms, OR-groups of them and NEAR have positions."""
        raise NotImplementedError

    def terms(self) -> Iterator[str]:
        raise NotImplementedError


@dataclass(frozen=True)
class Term(Node):
    term: str

    def matches(self, text: Text) -> bool:
        return bool(self.spans(text))

    def spans(self, text: Text) -> list[Span]:
        return text.hits(self.term)

    def terms(self) -> Iterator[str]:
        yield self.term


@dataclass(frozen=True)
class Not(Node):
    child: Node

    def matches(self, text: Text) -> bool:
        return not self.child.matches(text)

    def terms(self) -> Iterator[str]:
        yield from self.child.terms()


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...]

    def matches(self, text: Text) -> bool:
        return all(c.matches(text) for c in self.children)

    def terms(self) -> Iterator[str]:
        for c in self.children:
            yield from c.terms()


@dataclass(frozen=True)
class Or(And):
    def matches(self, text: Text) -> bool:
        return any(c.matches(text) for c in self.children)

    def spans(self, text: Text) -> list[Span]:
        return [s for c in self.children for s in c.spans(text)]


@dataclass(frozen=True)
class Near(Node):
    left: Node
    right: Node
    distance: int

    def matches(self, text: Text) -> bool:
        return bool(self.spans(text))

    def spans(self, text: Text) -> list[Span]:
        rights = self.right.spans(text)
        return [(min(a, c), max(b, d)) for a, b in (self.left.spans(text) if rights else ())
                for c, d in rights if max(c - b, a - d) <= self.distance]

    def terms(self) -> Iterator[str]:
        yield from self.left.terms()
        yield from self.right.terms()


class _Parser:
    def __init__(self, query: str) -> None:
        self._tokens = list(_tokens(query))
        self._i = 0

    @property
    def _next(self) -> _Token:
        return self._tokens[self._i]

    def _take(self) -> _Token:
        token = self._tokens[self._i]
        self._i += 1
        return token

    def parse(self) -> Node:
        if self._next.kind == "end":
            raise QuerySyntaxError("the query is empty", 1)
        node = self._or()
        token = self._next
        if token.kind == ")":
            raise QuerySyntaxError("')' without a matching '('", token.column)
        if token.kind != "end":
            raise QuerySyntaxError(_missing_operator(token), token.column)
        return node

    def _joined(self, operator: str, operand: Callable[[], Node], make: type) -> Node:
        children = [operand()]
        while self._next.kind == operator:
            self._take()
            children.append(operand())
        return children[0] if len(children) == 1 else make(tuple(children))

    def _or(self) -> Node:
        return self._joined("OR", self._and, Or)

    def _and(self) -> Node:
        children = [self._unary()]
        while self._next.kind in ("AND", "NOT"):
            if self._take().kind == "NOT":  # `A NOT B` is `A AND NOT B`
                children.append(Not(self._unary()))
            else:
                children.append(self._unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def _unary(self) -> Node:
        if self._next.kind == "NOT":
            self._take()
            return Not(self._unary())
        return self._near()

    def _near(self) -> Node:
        node = self._primary()
        while self._next.kind == "NEAR":
            operator = self._take()
            right = self._primary()
            if not (_positional(node) and _positional(right)):
                raise QuerySyntaxError(f"{operator.text} joins terms, phrases or (a OR b) groups of them",
                                       operator.column)
            node = Near(node, right, operator.distance)
        return node

    def _primary(self) -> Node:
        token = self._take()
        if token.kind in ("term", "phrase"):
            term = fold(token.text)
            if not term:
                raise QuerySyntaxError(f"{token.text!r} has nothing to match once normalised", token.column)
            return Term(term)
        if token.kind == "(":
            if self._next.kind == ")":
                raise QuerySyntaxError("empty parentheses", token.column)
            node = self._or()
            if self._next.kind != ")":
                if self._next.kind == "end":
                    raise QuerySyntaxError("'(' is never closed", token.column)
                raise QuerySyntaxError(_missing_operator(self._next), self._next.column)
            self._take()
            return node
        if token.kind == "end":
            before = self._tokens[self._i - 2]
            raise QuerySyntaxError(f"the query ends after {before.text}, which needs a term after it", before.column)
        if token.kind == ")":
            raise QuerySyntaxError("expected a term before ')'", token.column)
        raise QuerySyntaxError(f"expected a term, found {token.text}", token.column)


def _positional(node: Node) -> bool:
    if isinstance(node, Or):
        return all(_positional(c) for c in node.children)
    return isinstance(node, (Term, Near))


def _missing_operator(token: _Token) -> str:
    word = token.text.lower()
    hint = f" (operators are upper-case: {token.text.upper()})" if word in ("and", "or", "not") or word.startswith("near") else ""
    return (f"expected AND, OR, NOT or NEAR/n before {token.text!r}{hint}; "
            f"quote a phrase that contains spaces")


def parse_query(query: str) -> Node:
    """Parse a query, or raise QuerySyntaxError naming the column of the first problem."""
    return _Parser(query).parse()
