"""The simulated company's own operational database (not the monitor's store).

It holds only what the company's systems would have written: a request that
never reached the recording service, or whose database was unreachable, is
not here. Times are naive UTC. The catalog's ``scheduled_exposure`` and
``operational_sql`` queries run against these tables with ``:start``/``:end``.

Rows are collected in memory as tuples in column order (``OpRows``) and
written in bulk, because the history of tens of thousands of customers over
weeks is millions of rows and must take seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Table, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateIndex, CreateTable


class OpBase(DeclarativeBase):
    """Tables of the simulated company's operational database."""


class CustomerRow(OpBase):
    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    segment: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(32))
    preferred_channel: Mapped[str] = mapped_column(String(8))


class TransactionRow(OpBase):
    """A card payment or a transfer, as the ledger and card authorisation record them."""

    __tablename__ = "transactions"
    __table_args__ = (Index("ix_transactions_created_at", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    """``completed`` or ``failed``."""
    failure_reason: Mapped[str | None] = mapped_column(String(32))


class PayrunRow(OpBase):
    __tablename__ = "payruns"
    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(8))
    pay_date: Mapped[date] = mapped_column(Date)
    cutoff_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(16))
    """``scheduled``, ``paid``, ``paid_late`` or ``failed``."""
    exported_at: Mapped[datetime | None] = mapped_column(DateTime)


class PayrunItemRow(OpBase):
    __tablename__ = "payrun_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    payrun_id: Mapped[int] = mapped_column(ForeignKey("payruns.id"), index=True)
    employee_ref: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    """``pending``, ``paid``, ``paid_late`` or ``unpaid``."""
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)


class DepartureRow(OpBase):
    __tablename__ = "departures"
    id: Mapped[int] = mapped_column(primary_key=True)
    flight_number: Mapped[str] = mapped_column(String(8))
    origin: Mapped[str] = mapped_column(String(3))
    destination: Mapped[str] = mapped_column(String(3))
    departs_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class BookingRow(OpBase):
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(primary_key=True)
    passenger_ref: Mapped[str] = mapped_column(String(16))
    departure_id: Mapped[int] = mapped_column(ForeignKey("departures.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    """``confirmed`` or ``failed``."""
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    checkin_channel: Mapped[str | None] = mapped_column(String(8))
    boarded: Mapped[bool | None]


class CheckinEventRow(OpBase):
    __tablename__ = "checkin_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    passenger_ref: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))


class OverdraftEventRow(OpBase):
    __tablename__ = "overdraft_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(16), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    fee_cents: Mapped[int]


class NotificationRow(OpBase):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))


class BatchRunRow(OpBase):
    __tablename__ = "batch_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))


class ComplaintRow(OpBase):
    """A complaint as the contact centre logs it: free text, no touchpoint."""

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(500))


class SurveyRow(OpBase):
    """A survey answer as the survey tool exports it: who, when, about what, which score."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(16), index=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    touchpoint: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    """``nps`` (0-10) or ``csat`` (1-5)."""
    score: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))


Row = tuple[Any, ...]
MutableRow = list[Any]
"""Rows that later steps complete (a booking gets its check-in, a pay run its outcome)."""


@dataclass
class OpRows:
    """Rows waiting to be written, per table, as tuples in the table's column order."""

    customers: list[Row] = field(default_factory=list)
    transactions: list[Row] = field(default_factory=list)
    payruns: list[MutableRow] = field(default_factory=list)
    payrun_items: list[Row] = field(default_factory=list)
    departures: list[Row] = field(default_factory=list)
    bookings: list[MutableRow] = field(default_factory=list)
    checkin_events: list[Row] = field(default_factory=list)
    overdraft_events: list[Row] = field(default_factory=list)
    notifications: list[Row] = field(default_factory=list)
    batch_runs: list[Row] = field(default_factory=list)
    complaints: list[Row] = field(default_factory=list)
    surveys: list[Row] = field(default_factory=list)

    def tables(self) -> list[tuple[Table, list[Row] | list[MutableRow]]]:
        """Each table with its rows, parents before children."""
        return [(OpBase.metadata.tables[name], getattr(self, name)) for name in _ORDER]


_ORDER = (
    "customers",
    "transactions",
    "payruns",
    "payrun_items",
    "departures",
    "bookings",
    "checkin_events",
    "overdraft_events",
    "notifications",
    "batch_runs",
    "complaints",
    "surveys",
)
"""Tables whose first column is an integer ``id`` get it from their position (1-based)."""


def write_opdb(path: Path, rows: OpRows) -> None:
    """Create the database at ``path`` (replacing it) and bulk-insert every row.

    Integer ids are assigned from the order of the rows, so the same rows give
    the same database; tuples of tables with an integer id omit it. Indexes
    are built after the rows are in, which is several times faster than
    maintaining them row by row.
    """
    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=OFF")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.commit()
            for table in OpBase.metadata.sorted_tables:
                conn.execute(CreateTable(table))
            conn.commit()
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for table, data in rows.tables():
                if data:
                    cursor.executemany(insert_sql(table), data)
            raw.commit()
        finally:
            raw.close()
        with engine.begin() as conn:
            for table in OpBase.metadata.sorted_tables:
                for index in sorted(table.indexes, key=lambda i: str(i.name)):
                    conn.execute(CreateIndex(index))
    finally:
        engine.dispose()


def insert_sql(table: Table) -> str:
    """INSERT for the table's columns in ``OpRows`` order (integer ids left to SQLite)."""
    names = [c.name for c in table.columns]
    if table.name != "customers":
        names = names[1:]
    marks = ", ".join("?" * len(names))
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"  # noqa: S608
