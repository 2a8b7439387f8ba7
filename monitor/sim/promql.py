"""A small PromQL evaluator over in-memory series, faithful to Prometheus 2.x where it answers.

It covers what the catalog's estimators and the demo ask: selectors with
``= != =~ !~`` matchers, range selectors, ``rate``/``increase``/``delta`` with
Prometheus's extrapolation, ``sum``/``avg``/``min``/``max``/``count`` with
``by``/``without``, arithmetic and comparisons between scalars and vectors
(one-to-one matching), and ``abs``/``clamp_min``/``clamp_max``. Range selectors
include both ends of the window and instant selectors look back five minutes,
as Prometheus 2.x does, so that answers match a real server over the same data.
Anything else is refused with ``PromQLError`` rather than answered wrongly.
"""

from __future__ import annotations

import math
import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

LOOKBACK_S = 300.0

Labels = tuple[tuple[str, str], ...]


class PromQLError(ValueError):
    """The expression is malformed or outside the supported subset."""


@dataclass(frozen=True)
class StoredSeries:
    """One series: labels (with ``__name__``) and samples in time order (seconds)."""

    labels: Labels
    times: Sequence[float]
    values: Sequence[float]


class SeriesStore:
    """Series indexed by metric name."""

    def __init__(self, series: Sequence[StoredSeries]) -> None:
        self.by_name: dict[str, list[StoredSeries]] = {}
        for s in series:
            self.by_name.setdefault(dict(s.labels).get("__name__", ""), []).append(s)

    def select(self, matchers: Sequence[tuple[str, str, str]]) -> list[StoredSeries]:
        """Series whose labels satisfy every matcher (a missing label is the empty string)."""
        names = [v for n, op, v in matchers if n == "__name__" and op == "="]
        pool = (
            self.by_name.get(names[0], [])
            if names
            else [s for group in self.by_name.values() for s in group]
        )
        tests = [(n, _matcher(op, v)) for n, op, v in matchers]
        return [s for s in pool if all(t(dict(s.labels).get(n, "")) for n, t in tests)]


def _matcher(op: str, value: str) -> Callable[[str], bool]:
    if op == "=":
        return lambda v: v == value
    if op == "!=":
        return lambda v: v != value
    pattern = re.compile(f"^(?:{value})$")
    if op == "=~":
        return lambda v: pattern.match(v) is not None
    return lambda v: pattern.match(v) is None


@dataclass(frozen=True)
class Scalar:
    value: float


@dataclass(frozen=True)
class Window:
    """A range vector: the samples of each series in ``[start, end]``."""

    series: list[tuple[Labels, list[tuple[float, float]]]]
    start: float
    end: float


Vector = list[tuple[Labels, float]]
Value = Scalar | Vector | Window

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)(?P<unit>ms|[smhdwy])?(?![\w])"
    r"|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<id>[a-zA-Z_:][\w:]*)"
    r"|(?P<op>=~|!~|!=|==|>=|<=|[-+*/%(){}\[\],=<>]))"
)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_AGGREGATIONS = {"sum", "avg", "min", "max", "count"}
_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": lambda a, b: a / b if b else (math.nan if a == 0 else math.copysign(math.inf, a)),
    "%": lambda a, b: math.fmod(a, b) if b else math.nan,
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq, "!=": operator.ne, ">": operator.gt,
    "<": operator.lt, ">=": operator.ge, "<=": operator.le,
}  # fmt: skip


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PromQLError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        if match.group("num") is not None:
            unit = match.group("unit")
            out.append(("dur" if unit else "num", match.group(0).strip()))
        elif kind in ("str", "id", "op"):
            out.append((kind, match.group(kind)))
    return out


class _Parser:
    """Recursive descent over the token list, evaluating as it goes at one instant."""

    def __init__(self, text: str, store: SeriesStore, at: float) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.store = store
        self.at = at

    def peek(self, k: int = 0) -> tuple[str, str]:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("eof", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise PromQLError(f"expected {value!r}, found {tok[1] or 'end of query'!r}")
        self.i += 1
        return tok

    def parse(self) -> Value:
        result = self.comparison()
        if self.peek()[0] != "eof":
            raise PromQLError(f"unexpected {self.peek()[1]!r}")
        return result

    def comparison(self) -> Value:
        left = self.additive()
        while self.peek()[1] in _COMPARE:
            op = self.take()[1]
            keep = self.peek()[1] == "bool" and bool(self.take())
            left = _binary(op, left, self.additive(), as_bool=keep)
        return left

    def additive(self) -> Value:
        left = self.multiplicative()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = _binary(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Value:
        left = self.unary()
        while self.peek()[1] in ("*", "/", "%"):
            op = self.take()[1]
            left = _binary(op, left, self.unary())
        return left

    def unary(self) -> Value:
        if self.peek()[1] == "-":
            self.take()
            return _binary("*", Scalar(-1.0), self.unary())
        if self.peek()[1] == "+":
            self.take()
        return self.primary()

    def primary(self) -> Value:
        kind, text = self.peek()
        if kind == "num":
            self.take()
            return Scalar(float(text))
        if text == "(":
            self.take()
            inner = self.comparison()
            self.take(")")
            return inner
        if kind == "id" and text in _AGGREGATIONS:
            return self.aggregation()
        if kind == "id" and self.peek(1)[1] == "(":
            return self.function()
        if kind == "id" or text == "{":
            return self.selector()
        raise PromQLError(f"unexpected {text or 'end of query'!r}")

    def label_list(self) -> list[str]:
        self.take("(")
        names: list[str] = []
        while self.peek()[1] != ")":
            names.append(self.take()[1])
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return names

    def aggregation(self) -> Value:
        op = self.take()[1]
        grouping: tuple[str, list[str]] | None = None
        if self.peek()[1] in ("by", "without"):
            grouping = (self.take()[1], self.label_list())
        self.take("(")
        arg = self.comparison()
        self.take(")")
        if grouping is None and self.peek()[1] in ("by", "without"):
            grouping = (self.take()[1], self.label_list())
        if not isinstance(arg, list):
            raise PromQLError(f"{op} expects an instant vector")
        return _aggregate(op, arg, grouping)

    def function(self) -> Value:
        name = self.take()[1]
        self.take("(")
        args: list[Value] = []
        while self.peek()[1] != ")":
            args.append(self.comparison())
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return _call(name, args)

    def selector(self) -> Value:
        matchers: list[tuple[str, str, str]] = []
        if self.peek()[0] == "id":
            matchers.append(("__name__", "=", self.take()[1]))
        if self.peek()[1] == "{":
            self.take()
            while self.peek()[1] != "}":
                name = self.take()[1]
                op = self.take()[1]
                if op not in ("=", "!=", "=~", "!~"):
                    raise PromQLError(f"bad matcher operator {op!r}")
                matchers.append((name, op, _unquote(self.take()[1])))
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
        if not matchers:
            raise PromQLError("empty selector")
        series = self.store.select(matchers)
        if self.peek()[1] == "[":
            self.take()
            window = _duration(self.take()[1])
            self.take("]")
            lo = self.at - window
            return Window([(s.labels, _window(s, lo, self.at)) for s in series], lo, self.at)
        found: Vector = []
        for s in series:
            k = bisect_right(s.times, self.at) - 1
            if k >= 0 and s.times[k] >= self.at - LOOKBACK_S:
                found.append((s.labels, s.values[k]))
        return found


def _unquote(text: str) -> str:
    if len(text) < 2 or text[0] not in "\"'":
        raise PromQLError(f"expected a quoted string, found {text!r}")
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|[smhdwy])", text)
    if match is None:
        raise PromQLError(f"bad duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _window(s: StoredSeries, lo: float, hi: float) -> list[tuple[float, float]]:
    a, b = bisect_left(s.times, lo), bisect_right(s.times, hi)
    return list(zip(s.times[a:b], s.values[a:b], strict=True))


def _drop_name(labels: Labels) -> Labels:
    return tuple((k, v) for k, v in labels if k != "__name__")


def _call(name: str, args: list[Value]) -> Value:
    if name in ("rate", "increase", "delta"):
        if len(args) != 1 or not isinstance(args[0], Window):
            raise PromQLError(f"{name} expects one range vector")
        window = args[0]
        out: Vector = []
        for labels, samples in window.series:
            value = _extrapolated(samples, start=window.start, end=window.end, name=name)
            if value is not None:
                out.append((_drop_name(labels), value))
        return out
    vec = args[0] if args else None
    if name in ("abs", "clamp_min", "clamp_max"):
        if not isinstance(vec, list):
            raise PromQLError(f"{name} expects an instant vector")
        bound = args[1].value if len(args) > 1 and isinstance(args[1], Scalar) else 0.0
        fn: Callable[[float], float] = {
            "abs": abs,
            "clamp_min": lambda v: max(v, bound),
            "clamp_max": lambda v: min(v, bound),
        }[name]
        return [(_drop_name(lab), fn(v)) for lab, v in vec]
    if name == "scalar":
        if isinstance(vec, list) and len(vec) == 1:
            return Scalar(vec[0][1])
        return Scalar(math.nan)
    raise PromQLError(f"function {name!r} is not supported")


def _extrapolated(
    samples: list[tuple[float, float]], *, start: float, end: float, name: str
) -> float | None:
    """Prometheus 2.x ``extrapolatedRate``: extrapolate to the window edges, not beyond zero."""
    if len(samples) < 2:
        return None
    counter = name != "delta"
    first_t, first_v = samples[0]
    last_t, last_v = samples[-1]
    result = last_v - first_v
    if counter:
        prev = first_v
        for _, v in samples[1:]:
            if v < prev:
                result += prev
            prev = v
    to_start, to_end = first_t - start, end - last_t
    sampled = last_t - first_t
    average = sampled / (len(samples) - 1)
    if counter and result > 0 and first_v >= 0:
        to_start = min(to_start, sampled * (first_v / result))
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    result *= interval / sampled
    if name == "rate":
        result /= end - start
    return result


def _aggregate(op: str, vec: Vector, grouping: tuple[str, list[str]] | None) -> Vector:
    groups: dict[Labels, list[float]] = {}
    for labels, value in vec:
        if grouping is None:
            key: Labels = ()
        elif grouping[0] == "by":
            key = tuple((k, v) for k, v in labels if k in grouping[1])
        else:
            key = tuple((k, v) for k, v in _drop_name(labels) if k not in grouping[1])
        groups.setdefault(key, []).append(value)
    reduce: Mapping[str, Callable[[list[float]], float]] = {
        "sum": math.fsum,
        "avg": lambda xs: math.fsum(xs) / len(xs),
        "min": min,
        "max": max,
        "count": lambda xs: float(len(xs)),
    }
    return [(key, reduce[op](values)) for key, values in groups.items()]


def _binary(op: str, left: Value, right: Value, *, as_bool: bool = False) -> Value:
    if isinstance(left, Scalar) and isinstance(right, Scalar):
        if op in _COMPARE:
            return Scalar(float(_COMPARE[op](left.value, right.value)))
        return Scalar(_ARITH[op](left.value, right.value))
    if isinstance(left, Scalar) or isinstance(right, Scalar):
        if isinstance(left, Scalar) and isinstance(right, list):
            pairs = [(lab, left.value, v) for lab, v in right]
        elif isinstance(right, Scalar) and isinstance(left, list):
            pairs = [(lab, v, right.value) for lab, v in left]
        else:
            raise PromQLError("range vectors cannot be operands")
        return _apply(op, pairs, as_bool=as_bool)
    if not isinstance(left, list) or not isinstance(right, list):
        raise PromQLError("range vectors cannot be operands")
    rhs = {_drop_name(lab): v for lab, v in right}
    matched = [(lab, v, rhs[_drop_name(lab)]) for lab, v in left if _drop_name(lab) in rhs]
    return _apply(op, matched, as_bool=as_bool)


def _apply(op: str, pairs: list[tuple[Labels, float, float]], *, as_bool: bool) -> Vector:
    if op in _COMPARE:
        test = _COMPARE[op]
        if as_bool:
            return [(_drop_name(lab), float(test(a, b))) for lab, a, b in pairs]
        return [(lab, a) for lab, a, b in pairs if test(a, b)]
    fn = _ARITH[op]
    return [(_drop_name(lab), fn(a, b)) for lab, a, b in pairs]


def evaluate(query: str, store: SeriesStore, at: float) -> Value:
    """The value of ``query`` at unix time ``at``."""
    if not query.strip():
        raise PromQLError("empty query")
    return _Parser(query, store, at).parse()
