"""Register files: CSV (UTF-8, with or without a BOM, or GB18030) and workbooks (.xlsx, .xls,
.ods, read with python-calamine), read as rows of text.

Owns opening a file, settling a CSV's encoding, choosing a workbook's sheet, turning workbook
cells into the text a CSV export would hold, and the file-level errors (missing file, wrong
type, undecodable bytes, damaged workbook, bad quoting). Where the header is, is ``columns``';
what the rows mean is the builders'.
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
from monitor.registers.columns import HEADER_SEARCH_ROWS, Column, Header, locate_header

R = TypeVar("R")
Code = RegisterErrorCode

# Builds the result of a read from the resolved header and the data rows that follow it.
Build = Callable[[Header, Iterator[list[str]]], R]

WORKBOOK_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm", ".xls", ".ods")
ACCEPTED_SUFFIXES: tuple[str, ...] = (".csv", *WORKBOOK_SUFFIXES)

# CSV is tried as UTF-8 (a BOM is dropped) first, then as GB18030, a superset of GBK.
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")


def read_table(
    path: Path, spec: tuple[Column, ...], build: Build[R], *, sheet: str | None = None
) -> R:
    """Open a register, resolve its header and let ``build`` turn the data rows into records.

    ``sheet`` names a workbook's sheet; by default the first sheet with the required headers.
    """
    path = Path(path)
    suffix = _check_suffix(path, sheet)
    with _collector_paused():
        if suffix in WORKBOOK_SUFFIXES:
            header, rows = _workbook_table(path, spec, sheet)
            return build(header, rows)
        return _read_csv(path, spec, build)


@contextmanager
def open_table(
    path: Path, spec: tuple[Column, ...], *, sheet: str | None = None
) -> Iterator[tuple[Header, Iterator[list[str]]]]:
    """The header and the data rows, read as the caller consumes them.

    A CSV's encoding is settled before the first row (one pass over the bytes), so a stream
    never has to start again; a bad row still raises when it is reached.
    """
    path = Path(path)
    suffix = _check_suffix(path, sheet)
    with _collector_paused():
        if suffix in WORKBOOK_SUFFIXES:
            yield _workbook_table(path, spec, sheet)
            return
        with path.open(encoding=_csv_encoding(path), newline="") as file:
            rows = _csv_rows(path, file)
            yield locate_header(path, rows, spec), rows


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
        if suffix in (".xlsx", ".xlsm"):
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
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # Excel keeps every number as a float: 12.0 is 12
    return str(value)


def _check_suffix(path: Path, sheet: str | None) -> str:
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise RegisterError(
            path,
            f"不支持“{path.suffix or '无扩展名'}”类型的文件；台账须为 CSV 文件（.csv，UTF-8 或 "
            "GB18030/GBK 编码）或 Excel/WPS 工作簿（.xlsx、.xls、.ods）",
            code=Code.UNSUPPORTED_FILE,
        )
    if sheet is not None and suffix == ".csv":
        raise RegisterError(
            path,
            f"CSV 文件没有工作表，不能指定 --sheet“{sheet}”；去掉 --sheet，或导入 Excel 工作簿",
            code=Code.NOT_A_SHEET_FILE,
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
                return build(locate_header(path, rows, spec), rows)
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
        raise RegisterError(
            path,
            f"CSV 格式有误（{error}）；请检查这一行的引号是否成对、是否含有空字符",
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
        f"无法作为文本读取：第 {_bad_byte(data, 'utf-8', bom)} 字节（offset）不是有效的 UTF-8，"
        f"第 {_bad_byte(data, 'gb18030')} 字节不是有效的 GB18030；请在 Excel 中另存为"
        "“CSV UTF-8（逗号分隔）”",
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
    return RegisterError(path, "文件不存在；请检查路径", code=Code.FILE_NOT_FOUND)


def _unreadable(path: Path, error: OSError) -> RegisterError:
    return RegisterError(
        path, f"无法读取（{error.strerror}）；请检查文件权限", code=Code.UNREADABLE_FILE
    )


# ------------------------------------------------------------------------- workbooks
# python-calamine reads .xlsx, .xls and .ods; on a 100,000-row sheet it is about 16 times as
# fast as openpyxl's read-only mode (1.4 s against 23 s), so it reads every workbook.


def _workbook_table(
    path: Path, spec: tuple[Column, ...], sheet: str | None
) -> tuple[Header, Iterator[list[str]]]:
    """The header and data rows of the named sheet, or of the first sheet with a header."""
    workbook = _open_workbook(path)
    try:
        names = list(workbook.sheet_names)
        if not names:
            raise RegisterError(path, "工作簿中没有工作表", code=Code.NO_WORKSHEET)
        if sheet is not None:
            if sheet not in names:
                raise RegisterError(
                    path,
                    f"没有名为“{sheet}”的工作表；工作簿中的工作表有：{_sheet_list(names)}",
                    code=Code.NO_WORKSHEET,
                )
            rows = _sheet_rows(path, workbook, sheet)
            return locate_header(path, rows, spec, sheet=sheet), rows
        failures: list[RegisterError] = []
        for name in names:
            rows = _sheet_rows(path, workbook, name)
            try:
                return locate_header(path, rows, spec, sheet=name), rows
            except RegisterError as error:
                if error.code not in (Code.NO_HEADER, Code.EMPTY_HEADER, Code.MISSING_COLUMN):
                    raise
                failures.append(error)
        if len(names) == 1:
            raise failures[0]
        required = "、".join(f"“{c.zh[0]}”" for c in spec if c.required)
        raise RegisterError(
            path,
            f"在工作表 {_sheet_list(names)} 的前 {HEADER_SEARCH_ROWS} 行中都找不到表头（须有"
            f"{required}列）；请检查表头，或用 --sheet 指定工作表",
            code=Code.NO_HEADER,
        )
    finally:
        workbook.close()


def _sheet_list(names: list[str]) -> str:
    return "、".join(f"“{name}”" for name in names)


def _open_workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        path.open("rb").close()  # calamine's own errors do not tell a missing file apart
    except FileNotFoundError as error:
        raise _not_found(path) from error
    except OSError as error:
        raise _unreadable(path, error) from error
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises zip, XML and format errors for damaged files
        raise _damaged(path, error) from error


def _damaged(path: Path, error: Exception) -> RegisterError:
    return RegisterError(
        path,
        f"无法作为 Excel 工作簿打开（文件已损坏或不是工作簿：{type(error).__name__}）；"
        "请用 Excel 或 WPS 打开后重新保存",
        code=Code.NOT_A_WORKBOOK,
    )


def _sheet_rows(path: Path, workbook: Any, name: str) -> Iterator[list[str]]:
    """A sheet's rows as text cells, from row 1 and column A."""
    try:
        sheet = workbook.get_sheet_by_name(name)
    except Exception as error:  # the sheet's XML is read here, and may be damaged
        raise _damaged(path, error) from error
    if sheet.start is None:
        return iter(())
    # Rows above the used range come as empty rows; columns left of it do not.
    pad = [""] * sheet.start[1]
    text = cell_text
    return (pad + [text(v) for v in row] for row in sheet.iter_rows())
