"""Whatever a sender posts or a file holds, signals parse or are refused at their location.

Three doors: the body of ``POST /api/v1/signals`` (one object or
``{"signals": [...]}``) and the CSV and JSON-lines files of ``monitor signals
import``. Nothing may escape but a located ``InputError`` or refusal, and what
is accepted or said back must be storable and answerable in UTF-8. Each test
counts the examples it tried (``tests.support.fuzz_counts``).
"""

from __future__ import annotations

import csv
import io
import json
import operator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.api.routes_signals import _items
from monitor.catalog import load_catalog
from monitor.cli_signals import FileFormat, _NotJson, _records
from monitor.errors import InputError
from monitor.services.signals import parse_items
from monitor.signals import SignalDraft, parse_signal
from monitor.signals.normalise import FIELDS, MAX_CUSTOMER, MAX_FUTURE, MAX_TEXT, MIN_TIME
from tests.conftest import EXAMPLE_CATALOG
from tests.support.fuzz_counts import tried

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
CATALOG = load_catalog(EXAMPLE_CATALOG)
TOUCHPOINTS = sorted(CATALOG.touchpoints)

# Any code point; and, as often as any, lone surrogates and NUL (JSON escapes carry them).
any_text = st.text(st.characters(exclude_categories=()), max_size=12) | st.text(
    st.sampled_from(["\ud800", "\udfff", "\x00", "a", "é", " ", "\n", ",", '"']), max_size=6
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=20,
)
good_names = st.sampled_from(["zendesk", "contact-centre", "app.store_1", " CHAT "])
good_times = st.sampled_from(["2025-03-15T11:00:00Z", "2025-03-15T11:00:00.123456+01:00"])
odd_times = st.sampled_from(
    [
        "2025-03-15 12:05:08.000000",  # no zone: refused by the API, UTC in imports
        "2025-03-16T10:00:00Z",  # the future
        "1999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2025-02-30T00:00:00Z",
        "yesterday",
    ]
)
texts = st.sampled_from(["Carte refusée, j'ai essayé 3 fois", "  ", "x" * (MAX_TEXT + 5)])
customers = st.sampled_from(["C021719", " C1 ", " ", "c" * (MAX_CUSTOMER + 1)])
score_kinds = st.sampled_from(["nps", "csat", " NPS ", "ces"])
scores = (
    st.integers(-2, 12)
    | st.sampled_from(["3", " 7 ", "3.0", "-1"])
    | st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=3)  # "²", "٣"
    | st.integers(1, 5000).map(lambda n: "9" * n)
)
# Values a sender might put in each field, good and bad.
fields = {
    "source": good_names | st.sampled_from(["Bad Source!", ""]) | any_text,
    "time": good_times | odd_times | any_text,
    "channel": good_names | any_text,
    "text": texts | any_text,
    "score": scores | scalars,
    "score_kind": score_kinds | any_text,
    "touchpoint": st.sampled_from([*TOUCHPOINTS, "teleport"]) | any_text,
    "customer": customers | any_text,
}
assert set(fields) == FIELDS
surveys = st.just({}) | st.fixed_dictionaries(
    {"score": st.integers(0, 10), "score_kind": score_kinds}
)
good_signals = st.builds(
    operator.or_,
    st.fixed_dictionaries(
        {"source": good_names, "time": good_times, "channel": good_names},
        optional={
            "text": texts | any_text,
            "touchpoint": st.sampled_from(TOUCHPOINTS),
            "customer": customers,
        },
    ),
    surveys,
)
changes = st.sampled_from(sorted(FIELDS)).flatmap(lambda key: st.tuples(st.just(key), fields[key]))
unknown_fields = st.tuples(st.sampled_from(["colour", "\ud800"]) | any_text, scalars)
# Mostly well-formed signals with a field or two changed, so acceptance and each refusal occur.
signal_like = st.builds(
    lambda signal, changed: signal | dict(changed),
    good_signals,
    st.lists(changes | unknown_fields, max_size=2),
)
batches = st.fixed_dictionaries(
    {"signals": st.lists(signal_like | json_values, max_size=5) | json_values},
    optional={"version": scalars},
)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answerable(message: str) -> bool:
    """Whether a reason can be stored and sent back (JSON in UTF-8)."""
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_draft(draft: SignalDraft) -> None:
    """An accepted signal keeps every promise of ``monitor.signals.normalise``."""
    assert MIN_TIME <= draft.occurred_at <= NOW + MAX_FUTURE
    assert draft.occurred_at.utcoffset() is not None
    assert draft.text is not None or draft.score is not None
    assert draft.text is None or 0 < len(draft.text) <= MAX_TEXT
    assert (draft.score is None) == (draft.score_kind is None)
    assert draft.touchpoint is None or draft.touchpoint in CATALOG.touchpoints
    assert draft.customer is None or 0 < len(draft.customer) <= MAX_CUSTOMER
    for text in (draft.source, draft.channel, draft.text, draft.customer):
        assert text is None or answerable(text)


def parse_or_refuse(raw: object, *, where: str, naive_is_utc: bool = False) -> None:
    """One signal: a draft that keeps its promises, or an InputError that names ``where``."""
    try:
        draft = parse_signal(
            raw, where=where, now=NOW, touchpoints=CATALOG.touchpoints, naive_is_utc=naive_is_utc
        )
    except InputError as exc:
        refusal = str(exc)
    else:
        check_draft(draft)
        return
    assert refusal.startswith(where)
    assert answerable(refusal)


def post(body: bytes) -> None:
    """The POST door: refused whole with a located reason (400), or signal by signal."""
    items, where, problem = _items(body)
    if problem is not None:
        assert ": " in problem
        assert answerable(problem)
        return
    drafts, rejected = parse_items(items, where=where, catalog=CATALOG, now=NOW)
    assert len(drafts) + len(rejected) == len(items)
    for refusal in rejected:
        assert refusal.reason.startswith(where.format(refusal.index))
        assert answerable(refusal.reason)
    for draft in drafts:
        check_draft(draft)


deep_nesting = st.integers(1, 100_000).map(lambda depth: b"[" * depth)


@FUZZ
@given(st.binary(max_size=300) | deep_nesting)
def test_random_bytes_posted_as_signals_are_parsed_or_refused_with_a_location(body):
    tried()
    post(body)


@FUZZ
@given(json_values)
def test_random_json_posted_as_signals_is_parsed_or_refused_with_a_location(value):
    tried()
    post(json.dumps(value).encode())


GOOD = {"source": "zendesk", "time": "2025-03-15T11:00:00Z", "channel": "chat"}


@FUZZ
@given(signal_like)
# Found by this test once: int() refused "²" and 5000 digits; lone surrogates broke hashing.
@example(GOOD | {"score": "²", "score_kind": "nps"})
@example(GOOD | {"score": "9" * 5000, "score_kind": "nps"})
@example(GOOD | {"text": "\ud800", "customer": "\udfff"})
@example(GOOD | {"text": "x", "\ud800": 1})
def test_one_signal_shaped_object_is_parsed_or_refused_at_its_fields(document):
    tried()
    post(json.dumps(document).encode())
    parse_or_refuse(document, where="signal")


@FUZZ
@given(batches)
def test_signal_batches_are_parsed_or_refused_item_by_item(document):
    tried()
    post(json.dumps(document).encode())


def import_file(path: Path, fmt: FileFormat) -> None:
    """The import door, as ``monitor signals import`` reads a file (without storing it)."""
    try:
        for where, record in _records(path, fmt):
            assert where.startswith(f"{path.name}:")
            if isinstance(record, _NotJson):
                continue  # refused as "{where}: not JSON"
            if isinstance(record, dict):  # as the command does: blank cells, default source
                record = {k: v for k, v in record.items() if v not in (None, "")}
                record.setdefault("source", "import")
            parse_or_refuse(record, where=where, naive_is_utc=True)
    except (UnicodeDecodeError, csv.Error):
        return  # the command says "{file}: {reason}" and exits 2


@pytest.fixture(scope="module")
def import_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("imports")


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


csv_cells = st.one_of(*(s.filter(lambda v: isinstance(v, str)) for s in fields.values()))
csv_files = st.builds(
    csv_text,
    st.lists(st.sampled_from([*sorted(FIELDS), "colour", ""]), min_size=1, max_size=9),
    st.lists(st.lists(csv_cells | st.just(""), max_size=10), max_size=5),
).map(lambda text: text.encode("utf-8", "surrogatepass"))
jsonl_lines = (signal_like | json_values).map(json.dumps) | any_text.filter(lambda t: "\n" not in t)
jsonl_files = st.lists(jsonl_lines, max_size=6).map(
    lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")
)


@FUZZ
@given(data=st.binary(max_size=300) | csv_files, fmt=st.sampled_from(FileFormat))
def test_import_files_parse_or_refuse_each_line_at_its_number(import_dir, data, fmt):
    tried()
    path = import_dir / f"signals.{fmt.value}"
    path.write_bytes(data)
    import_file(path, fmt)


@FUZZ
@given(jsonl_files)
def test_json_lines_imports_parse_or_refuse_each_line_at_its_number(import_dir, data):
    tried()
    path = import_dir / "signals.jsonl"
    path.write_bytes(data)
    import_file(path, FileFormat.JSONL)


# Two inputs the fuzzing found, beside the signal parser itself.


def test_a_lone_surrogate_key_beside_signals_is_refused_in_utf8():
    post(b'{"signals": [], "\\ud800": 1}')


def test_a_deeply_nested_json_line_is_refused_as_not_json(import_dir):
    path = import_dir / "nested.jsonl"
    path.write_text("[" * 100_000 + "\n")
    import_file(path, FileFormat.JSONL)
