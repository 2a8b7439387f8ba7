"""``monitor signals import``: the simulator's complaint log and CSV files."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import EXAMPLE_CATALOG


def run(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {
        "MONITOR_DATABASE_URL": database_url,
        "MONITOR_DATA_DIR": str(tmp_path),
        "MONITOR_CATALOG_PATH": str(EXAMPLE_CATALOG),
    }
    result = CliRunner().invoke(app, ["signals", "import", *args], env=env)
    return result.exit_code, result.output


def rows(database_url: str) -> list[dict[str, object]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT * FROM signals ORDER BY id"))
            return [dict(r._mapping) for r in found]
    finally:
        engine.dispose()


def test_the_simulators_complaint_log_imports(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "complaints.jsonl"
    records = [
        {
            "channel": "chat",
            "customer": "C021719",
            "text": "Carte refusée !",
            "time": "2025-03-15 12:05:08.000000",
        },
        {
            "channel": "phone",
            "customer": "C004737",
            "text": "Missed my flight",
            "time": "2025-03-15 12:06:05.000000",
        },
    ]
    log.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
    code, output = run(database_url, tmp_path, str(log), "--source", "contact-centre")
    assert code == 1
    assert "complaints.jsonl:3: not JSON" in output
    assert "2 signals imported, 1 refused" in output
    stored = rows(database_url)
    assert [r["touchpoint"] for r in stored] == ["card-payments", "check-in"]
    assert {r["source"] for r in stored} == {"contact-centre"}
    assert "C021719" not in str(stored)


def test_csv_files_import_with_scores(database_url: str, tmp_path: Path) -> None:
    sheet = tmp_path / "survey.csv"
    sheet.write_text(
        "source,time,channel,score,score_kind,touchpoint,customer\n"
        "survey,2025-03-15T12:00:00Z,email,3,nps,transfers,C1\n"
        "survey,2025-03-15T12:00:00Z,email,9,csat,transfers,C2\n"
    )
    code, output = run(database_url, tmp_path, str(sheet))
    assert code == 1
    assert "survey.csv:3.score: csat scores go from 1 to 5" in output
    [row] = rows(database_url)
    assert (row["score"], row["score_kind"], row["touchpoint"]) == (3, "nps", "transfers")
