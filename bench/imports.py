"""The `import` area of `python -m bench`: `orglife import meetings FILE` against a bare load.

The file is the province's meetings CSV with attendee lists on a quarter of its rows (every
fourth row that has none lists the first members of its org's roster, as many as attended),
imported by the command in a fresh interpreter into a database that holds the province's orgs
and members but no meetings (prepared untimed: a SQLite file beside the province's, or a
PostgreSQL database of its own, dropped afterwards). The floor, in the same run, reads the same
CSV with the ``csv`` module and inserts the raw rows into a scratch table (``executemany`` on
SQLite, COPY on PostgreSQL), in one transaction.

Reading a workbook (in the SQLite run only: no database is involved): the same rows as a
meetings ``.xlsx`` (written once, untimed, and kept while the CSV is unchanged), read to text
cells by python-calamine (orglife's reader) and by openpyxl's read-only mode, each against
reading the CSV with the ``csv`` module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from bench.suite import Context, Figure, run_child
from monitor.registers import readers
from monitor.registers.formats import cell_text
from monitor.store import Store, schema

AREA = "import"
SQLITE_GOAL = 100_000  # rows/s
POSTGRESQL_GOAL = 50_000


def figures(ctx: Context) -> list[Figure]:
    """The import's figure and the two workbook readers' figures."""
    meetings = with_attendees(ctx)
    rows = _count(meetings)
    found: list[Figure] = []
    with _target(ctx) as url:
        child = run_child(
            ["--db", url, "import", "meetings", "--today", ctx.as_of.isoformat(), str(meetings)]
        )
        stored, attending = _stored(url)
    if stored != rows:
        raise RuntimeError(f"the import stored {stored:,} of {rows:,} records")
    floor = _floor(ctx, meetings)
    goal = SQLITE_GOAL if ctx.backend == "sqlite" else POSTGRESQL_GOAL
    rate = rows / child.seconds
    found.append(
        Figure(
            AREA,
            "orglife import meetings FILE (CSV)",
            child.seconds,
            floor="csv + " + ("executemany" if ctx.backend == "sqlite" else "COPY"),
            floor_seconds=floor,
            goal=f"≥ {goal:,} rows/s",
            met=rate >= goal,
            peak_rss_kib=child.peak_rss_kib,
            note=(
                f"{rows:,} rows ({_listed(meetings):,} with attendee lists, {attending:,} "
                f"attendance rows): {rate:,.0f} rows/s; the floor {rows / floor:,.0f} rows/s"
            ),
        )
    )
    if ctx.backend == "sqlite":  # reading a workbook involves no database: measured once
        found += _workbook_figures(ctx, meetings, rows)
    return found


# ------------------------------------------------------------------------------ the file


def with_attendees(ctx: Context) -> Path:
    """The province's meetings CSV with attendee lists on a quarter of its rows."""
    source = ctx.generated.meetings
    path = source.with_name(source.stem + "-attendees.csv")
    roster: dict[str, list[str]] = defaultdict(list)
    with ctx.generated.members.open(encoding="utf-8", newline="") as members:
        for member in csv.DictReader(members):
            roster[member["org"]].append(member["id"])
            if member["group"]:
                roster[member["group"]].append(member["id"])
    out = io.StringIO(newline="")
    with source.open(encoding="utf-8", newline="") as file:
        rows = csv.reader(file)
        writer = csv.writer(out)
        header = next(rows)
        writer.writerow(header)
        org, attended, attendees = (header.index(c) for c in ("org", "attended", "attendees"))
        for n, row in enumerate(rows):
            if n % 4 == 0 and not row[attendees] and row[attended]:
                row[attendees] = ";".join(roster[row[org]][: int(row[attended])])
            writer.writerow(row)
    data = out.getvalue().encode("utf-8")
    # Written only when it differs, so the workbook made from it is reused across runs.
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


def _count(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as file:
        return sum(1 for _ in csv.reader(file)) - 1


def _listed(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as file:
        rows = csv.reader(file)
        column = next(rows).index("attendees")
        return sum(1 for row in rows if row[column])


# -------------------------------------------------------------------------- the database


@contextmanager
def _target(ctx: Context) -> Iterator[str]:
    """A database with the province's orgs and members and no meetings (untimed)."""
    if ctx.backend == "sqlite":
        database = make_url(ctx.db_url).database
        assert database
        path = Path(database).with_name(f"import-{ctx.branches}.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        _load_registers(ctx, url)
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"orglife_bench_import_{ctx.branches}"
    admin = schema.make_engine(ctx.db_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = make_url(ctx.db_url).set(database=name).render_as_string(hide_password=False)
        _load_registers(ctx, url)
        try:
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


def _load_registers(ctx: Context, url: str) -> None:
    with Store.open(url) as store:
        store.import_orgs(readers.read_orgs(ctx.generated.orgs))
        store.import_members(readers.read_members(ctx.generated.members))


def _stored(url: str) -> tuple[int, int]:
    """How many records and attendance rows the database holds."""
    with Store.open(url) as store, store.engine.connect() as conn:
        records = int(conn.execute(text("SELECT COUNT(*) FROM meeting")).scalar_one())
        attending = int(conn.execute(text("SELECT COUNT(*) FROM attendance")).scalar_one())
    return records, attending


def _floor(ctx: Context, path: Path) -> float:
    """Read the CSV with the csv module and insert its raw rows into a scratch table."""
    if ctx.backend == "sqlite":
        database = make_url(ctx.db_url).database
        assert database
        scratch = Path(database).with_name(f"import-floor-{ctx.branches}.db")
        scratch.unlink(missing_ok=True)
        try:
            started = time.perf_counter()
            db = sqlite3.connect(scratch)
            try:
                with path.open(encoding="utf-8", newline="") as file:
                    rows = csv.reader(file)
                    width = len(next(rows))
                    columns = ", ".join(f"c{i} TEXT" for i in range(width))
                    db.execute(f"CREATE TABLE scratch ({columns})")
                    marks = ", ".join("?" * width)
                    db.executemany(f"INSERT INTO scratch VALUES ({marks})", rows)
                db.commit()
            finally:
                db.close()
            return time.perf_counter() - started
        finally:
            scratch.unlink(missing_ok=True)
    engine = schema.make_engine(ctx.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_import_scratch"))
        started = time.perf_counter()
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with path.open(encoding="utf-8", newline="") as file:
                rows = csv.reader(file)
                width = len(next(rows))
                columns = ", ".join(f"c{i} TEXT" for i in range(width))
                cursor.execute(f"CREATE TABLE bench_import_scratch ({columns})")
                with cursor.copy("COPY bench_import_scratch FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        seconds = time.perf_counter() - started
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_import_scratch"))
        return seconds
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- workbooks


def _workbook_figures(ctx: Context, meetings: Path, rows: int) -> list[Figure]:
    """Reading the same rows from a workbook: python-calamine and openpyxl against csv."""
    workbook = _workbook(meetings)
    csv_seconds = _timed(lambda: _csv_cells(meetings))
    calamine = _timed(lambda: _calamine_cells(workbook))
    openpyxl = _timed(lambda: _openpyxl_cells(workbook))
    found = []
    for what, seconds in (
        ("read the meetings XLSX: python-calamine (orglife's reader)", calamine),
        ("read the meetings XLSX: openpyxl read-only", openpyxl),
    ):
        found.append(
            Figure(
                AREA,
                what,
                seconds,
                floor="csv module, the same rows",
                floor_seconds=csv_seconds,
                note=f"{rows:,} rows to text cells: {rows / seconds:,.0f} rows/s "
                f"(csv: {rows / csv_seconds:,.0f} rows/s)",
            )
        )
    return found


def _workbook(meetings: Path) -> Path:
    """The meetings CSV as a workbook (cached beside it; openpyxl's write-only mode)."""
    from openpyxl import Workbook

    path = meetings.with_suffix(".xlsx")
    if path.exists() and path.stat().st_mtime >= meetings.stat().st_mtime:
        return path
    book = Workbook(write_only=True)
    sheet = book.create_sheet("会议记录")
    with meetings.open(encoding="utf-8", newline="") as file:
        rows = csv.reader(file)
        sheet.append(next(rows))
        for row in rows:
            row[2] = dt.date.fromisoformat(row[2])  # type: ignore[call-overload]
            for i in (3, 4):
                if row[i]:
                    row[i] = int(row[i])  # type: ignore[call-overload]
            sheet.append(row)
    partial = path.with_suffix(".partial.xlsx")
    book.save(partial)
    partial.replace(path)
    return path


def _timed(step: Callable[[], int]) -> float:
    started = time.perf_counter()
    count = step()
    seconds = time.perf_counter() - started
    assert count, "nothing read"
    return seconds


def _csv_cells(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as file:
        return sum(1 for _ in csv.reader(file))


def _calamine_cells(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    try:
        sheet = book.get_sheet_by_name(book.sheet_names[0])
        return sum(1 for row in sheet.iter_rows() if [cell_text(v) for v in row])
    finally:
        book.close()


def _openpyxl_cells(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return sum(1 for row in sheet.iter_rows(values_only=True) if [cell_text(v) for v in row])
    finally:
        book.close()
