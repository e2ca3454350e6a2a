"""Register files: CSV (UTF-8, with or without a BOM, or GB18030) and XLSX, read as rows of text.

Owns opening a file, settling a CSV's encoding, turning workbook cells into the text a CSV
export would hold, reading line 1 as the header, and the file-level errors (missing file, wrong
type, undecodable bytes, damaged workbook, bad quoting). What the rows mean is the builders'.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from monitor.core.errors import RegisterError, RegisterErrorCode
from monitor.registers.columns import Column, Header

R = TypeVar("R")
Code = RegisterErrorCode

# Builds the result of a read from the resolved header and the data rows that follow it.
Build = Callable[[Header, Iterator[list[str]]], R]

ACCEPTED_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx")

# CSV is tried as UTF-8 (a BOM is dropped) first, then as GB18030, a superset of GBK.
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")


def read_table(path: Path, spec: tuple[Column, ...], build: Build[R]) -> R:
    """Open a register, resolve its header and let ``build`` turn the data rows into records."""
    path = Path(path)
    suffix = _check_suffix(path)
    with _collector_paused():
        if suffix == ".xlsx":
            return _read_xlsx(path, spec, build)
        return _read_csv(path, spec, build)


@contextmanager
def open_table(
    path: Path, spec: tuple[Column, ...]
) -> Iterator[tuple[Header, Iterator[list[str]]]]:
    """The header and the data rows, read as the caller consumes them.

    A CSV's encoding is settled before the first row (one pass over the bytes), so a stream
    never has to start again; a bad row still raises when it is reached.
    """
    path = Path(path)
    suffix = _check_suffix(path)
    with _collector_paused():
        if suffix == ".xlsx":
            workbook = _open_workbook(path)
            try:
                rows = _sheet_rows(path, workbook)
                yield Header(path, _header(path, rows), spec), rows
            finally:
                workbook.close()
            return
        with path.open(encoding=_csv_encoding(path), newline="") as file:
            rows = _csv_rows(path, file)
            yield Header(path, _header(path, rows), spec), rows


def count_rows(path: Path) -> int | None:
    """A cheap estimate of a register's data rows, for a progress bar; None if unknown."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            newlines, last = 0, b"\n"
            with path.open("rb") as file:
                while chunk := file.read(1 << 20):
                    newlines += chunk.count(b"\n")
                    last = chunk[-1:]
            lines = newlines + (last != b"\n")  # a last line without its newline
            return max(lines - 1, 0)
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True, data_only=True)
            try:
                # The sheet's recorded dimension; not every writer records one.
                max_row = workbook.worksheets[0].max_row if workbook.worksheets else None
            finally:
                workbook.close()
            return None if max_row is None else max(max_row - 1, 0)
    except Exception:  # an estimate only: the real read reports what is wrong with the file
        return None
    return None


def cell_text(value: object) -> str:
    """An XLSX cell value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps every number as a float: 12.0 is 12
    return str(value)


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise RegisterError(
            path,
            f"unsupported file type {path.suffix or '(none)'!r}; registers must be CSV (.csv, "
            "UTF-8 or GB18030/GBK) or Excel workbooks (.xlsx); save .xls files as .xlsx",
            code=Code.UNSUPPORTED_FILE,
        )
    return suffix


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while records are built.

    A million records mean millions of new objects, none in a reference cycle; the collector
    would keep scanning the growing heap for nothing and take a third of the import's time.
    The switch is process-wide, so it is restored (if it was on) however the read ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ------------------------------------------------------------------------------- CSV


def _read_csv(path: Path, spec: tuple[Column, ...], build: Build[R]) -> R:
    for encoding in CSV_ENCODINGS:
        try:
            file = path.open(encoding=encoding, newline="")
        except FileNotFoundError as error:
            raise _not_found(path) from error
        except OSError as error:
            raise _unreadable(path, error) from error
        with file:
            try:
                rows = _csv_rows(path, file)
                return build(Header(path, _header(path, rows), spec), rows)
            except UnicodeDecodeError:
                # Decoding is lazy, so a non-UTF-8 byte can surface after some rows were built
                # (and progress reported); those are dropped and the file is read again.
                continue
    raise _undecodable(path)


def _csv_rows(path: Path, file: Any) -> Iterator[list[str]]:
    """The CSV's rows, header first; bad quoting raises with the row's line."""
    line = 0  # rows read so far: a row is what the csv module yields, however many lines
    try:
        for row in csv.reader(file):
            line += 1
            yield row
    except csv.Error as error:
        if line == 0:
            raise RegisterError(
                path, f"malformed CSV header ({error})", code=Code.MALFORMED_CSV, line=1
            ) from error
        raise RegisterError(
            path,
            f"malformed CSV ({error}); check the quoting and length of this row",
            code=Code.MALFORMED_CSV,
            line=line + 1,
        ) from error


def _csv_encoding(path: Path) -> str:
    """The first of :data:`CSV_ENCODINGS` that decodes the whole file."""
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with path.open("rb") as file:
                while chunk := file.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except FileNotFoundError as error:
            raise _not_found(path) from error
        except OSError as error:
            raise _unreadable(path, error) from error
        except UnicodeDecodeError:
            continue
        return encoding
    raise _undecodable(path)


def _undecodable(path: Path) -> RegisterError:
    """The error for a CSV that is neither UTF-8 nor GB18030, with the first bad byte's offset."""
    data = path.read_bytes()
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    return RegisterError(
        path,
        f"cannot be read as text: the byte at offset {_bad_byte(data, 'utf-8', bom)} is not "
        f"valid UTF-8 and the byte at offset {_bad_byte(data, 'gb18030')} is not valid GB18030; "
        "save the file as CSV UTF-8",
        code=Code.NOT_TEXT,
    )


def _bad_byte(data: bytes, encoding: str, start: int = 0) -> int | None:
    """Offset in ``data`` of the first byte that does not decode, or None if all of it does."""
    try:
        data[start:].decode(encoding)
    except UnicodeDecodeError as error:
        return start + error.start
    return None


def _not_found(path: Path) -> RegisterError:
    return RegisterError(path, "no such file; check the path", code=Code.FILE_NOT_FOUND)


def _unreadable(path: Path, error: OSError) -> RegisterError:
    return RegisterError(path, f"cannot be read ({error.strerror})", code=Code.UNREADABLE_FILE)


# ------------------------------------------------------------------------------ XLSX


def _read_xlsx(path: Path, spec: tuple[Column, ...], build: Build[R]) -> R:
    workbook = _open_workbook(path)
    try:
        rows = _sheet_rows(path, workbook)
        return build(Header(path, _header(path, rows), spec), rows)
    finally:
        workbook.close()


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook  # slow to import; only XLSX needs it

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as error:
        raise _not_found(path) from error
    except Exception as error:  # openpyxl raises zip, XML and key errors for damaged files
        raise RegisterError(
            path,
            f"cannot be opened as an Excel workbook ({type(error).__name__}); re-save it",
            code=Code.NOT_A_WORKBOOK,
        ) from error


def _sheet_rows(path: Path, workbook: Any) -> Iterator[list[str]]:
    """The first sheet's rows as text cells."""
    if not workbook.worksheets:
        raise RegisterError(path, "the workbook has no worksheet", code=Code.NO_WORKSHEET)
    sheet = workbook.worksheets[0]
    return ([cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))


# ---------------------------------------------------------------------------- header


def _header(path: Path, rows: Iterator[list[str]]) -> list[str]:
    """Line 1, which must name the columns."""
    header = next(rows, None)
    if header is None or not "".join(header).strip():
        raise RegisterError(
            path, "line 1 must be the header, but it is empty", code=Code.EMPTY_HEADER, line=1
        )
    if header[0].startswith("\ufeff"):  # a BOM left by an encoding other than UTF-8
        header[0] = header[0][1:]
    return header
