"""A streaming XLSX writer: plain values and a few cell formats, written as SpreadsheetML.

openpyxl's write-only mode costs ~20 µs a cell (an lxml element each, text as character
references) and a province's monthly summary has a million cells; this writes the same
workbook parts (ECMA-376) as text, ~1 µs a cell. What it writes: inline strings (UTF-8), numbers,
booleans, dates as serial days with a date format; cell formats (font, fill, number format,
wrapping); per sheet column widths, rows frozen above a header and an auto filter.

Every string is an inline string, so no cell is ever a formula (``monitor.text.workbook``'s
rule holds by construction). Nothing reads a clock: the same rows give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EPOCH = dt.date(1899, 12, 30)  # serial day 0 of Excel's 1900 date system (after its 1900 bug)
_DATE = "yyyy-mm-dd"
_DATETIME = "yyyy-mm-dd h:mm:ss"
# Text XML 1.0 cannot hold (C0 controls but tab and LF) is written as OOXML's _xHHHH_ escape;
# & < > are XML's own; CR is a reference, else a parser would turn it into LF.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Anything in a row that rules out the fast path: what needs escaping, and line breaks.
_PLAIN = re.compile("[&<>\r\n\x00-\x08\x0b\x0c\x0e-\x1f]")
_SEPARATOR = "\t"  # between a row's texts for one search; a tab needs nothing itself


def _texts(values: Sequence[Any]) -> list[str]:
    return [v for v in values if v.__class__ is str]


def column_letter(index: int) -> str:
    """``1`` → ``A``, ``27`` → ``AA``."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_LETTERS = [""] + [column_letter(i) for i in range(1, 703)]


@dataclass(frozen=True, slots=True)
class Style:
    """A cell format; colours are RRGGBB."""

    bold: bool = False
    size: float | None = None
    color: str | None = None
    fill: str | None = None
    number_format: str | None = None
    wrap: bool = False


def _text(value: str) -> str:
    if _SPECIAL.search(value) is None:
        return value
    value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return escape(value).replace("\r", "&#13;")


def _string(ref: str, style: int, value: str) -> str:
    s = f' s="{style}"' if style else ""
    # Without xml:space, Excel drops leading and trailing spaces and line breaks.
    t = "<t>" if value == value.strip() and "\n" not in value else '<t xml:space="preserve">'
    return f'<c r="{ref}"{s} t="inlineStr"><is>{t}{_text(value)}</t></is></c>'


class Sheet:
    """One worksheet, its rows streamed into the workbook as they are appended."""

    def __init__(self, book: Workbook, stream: IO[bytes], index: int) -> None:
        self._book = book
        self._stream = stream
        self._index = index
        self._row = 0
        self._chunk: list[str] = []

    def append(self, values: Sequence[Any], styles: Sequence[Style | None] | None = None) -> None:
        """The next row; ``styles`` (optional) gives each cell's format (None: plain)."""
        self._row += 1
        row = str(self._row)
        if styles is None and _PLAIN.search(_SEPARATOR.join(_texts(values))) is None:
            # The common case, in one pass: unstyled text that needs neither escaping nor
            # xml:space (a leading or trailing space is checked per cell).
            cells = [
                f'<c r="{_LETTERS[i]}{row}" t="inlineStr"><is><t>{v}</t></is></c>'
                if v.__class__ is str and v == v.strip()
                else self._cell(_LETTERS[i] + row, 0, v)
                for i, v in enumerate(values, 1)
                if v is not None
            ]
        else:
            ids = [0] * len(values) if styles is None else [self._book.style_id(s) for s in styles]
            cells = [
                self._cell(_LETTERS[i] + row, style, value)
                for i, (value, style) in enumerate(zip(values, ids, strict=True), 1)
                if value is not None or style
            ]
        self._chunk.append(f'<row r="{row}">{"".join(cells)}</row>')
        if len(self._chunk) >= 1000:
            self._flush()

    def _cell(self, ref: str, style: int, value: Any) -> str:
        if value is None:
            return f'<c r="{ref}" s="{style}"/>'
        if isinstance(value, str):
            return _string(ref, style, value)
        return self._other(ref, style, value)

    def _other(self, ref: str, style: int, value: Any) -> str:
        s = f' s="{style}"' if style else ""
        if isinstance(value, bool):
            return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
        if isinstance(value, dt.datetime):
            days = value.replace(tzinfo=None) - dt.datetime.combine(_EPOCH, dt.time())
            base = self._book.style_of(style)
            s = f' s="{self._book.dated(base, _DATETIME)}"'
            return f'<c r="{ref}"{s}><v>{days / dt.timedelta(days=1)!r}</v></c>'
        if isinstance(value, dt.date):
            base = self._book.style_of(style)
            s = f' s="{self._book.dated(base, _DATE)}"'
            return f'<c r="{ref}"{s}><v>{(value - _EPOCH).days}</v></c>'
        return _string(ref, style, str(value))

    def _flush(self) -> None:
        self._stream.write("".join(self._chunk).encode())
        self._chunk.clear()

    def close(self, filter_ref: str | None) -> None:
        self._flush()
        tail = "</sheetData>"
        if filter_ref is not None:
            tail += f'<autoFilter ref="{filter_ref}"/>'
        tail += (
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" '
            'footer="0.5"/></worksheet>'
        )
        self._stream.write(tail.encode())
        self._stream.close()


@dataclass(frozen=True, slots=True)
class _SheetInfo:
    name: str
    filter_ref: str | None


class Workbook:
    """A workbook written sheet by sheet into a zip in memory; :meth:`close` gives the bytes.

    One sheet is open at a time: :meth:`sheet` closes the previous one.
    """

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        # Level 1: deflating took 40% of the time at the default level, for a file ~15% smaller.
        self._zip = zipfile.ZipFile(self._buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheets: list[_SheetInfo] = []
        self._open: Sheet | None = None
        self._styles: dict[Style, int] = {Style(): 0}

    def style_id(self, style: Style | None) -> int:
        if style is None:
            return 0
        found = self._styles.get(style)
        if found is None:
            found = self._styles[style] = len(self._styles)
        return found

    def style_of(self, style_id: int) -> Style:
        return next(s for s, i in self._styles.items() if i == style_id)

    def dated(self, style: Style, number_format: str) -> int:
        """``style`` with a date format, unless it has a number format of its own."""
        if style.number_format is not None:
            return self.style_id(style)
        return self.style_id(
            Style(style.bold, style.size, style.color, style.fill, number_format, style.wrap)
        )

    def sheet(
        self,
        name: str,
        widths: Sequence[float],
        *,
        freeze_below: int = 0,
        filter_ref: str | None = None,
    ) -> Sheet:
        """A new sheet: ``widths`` of its first columns, rows up to ``freeze_below`` frozen,
        and an auto filter over ``filter_ref`` (``A1:L20``)."""
        if self._open is not None:
            self._open.close(self._sheets[-1].filter_ref)
        self._sheets.append(_SheetInfo(name, filter_ref))
        index = len(self._sheets)
        stream = self._zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True)
        view = '<sheetView workbookViewId="0">'
        if freeze_below:
            top = f"A{freeze_below + 1}"
            view += (
                f'<pane ySplit="{freeze_below}" topLeftCell="{top}" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft" activeCell="A1" sqref="A1"/>'
            )
        view += "</sheetView>"
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(widths, 1)
        )
        stream.write(
            (
                f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetPr><outlinePr summaryBelow="1" '
                f'summaryRight="1"/><pageSetUpPr/></sheetPr><sheetViews>{view}</sheetViews>'
                '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
                + (f"<cols>{cols}</cols>" if cols else "")
                + "<sheetData>"
            ).encode()
        )
        self._open = Sheet(self, stream, index)
        return self._open

    def close(self) -> bytes:
        """Finish the open sheet, write the workbook's other parts and return its bytes."""
        if self._open is not None:
            self._open.close(self._sheets[-1].filter_ref)
            self._open = None
        self._zip.writestr("[Content_Types].xml", self._content_types())
        self._zip.writestr("_rels/.rels", self._package_rels())
        self._zip.writestr("xl/workbook.xml", self._workbook())
        self._zip.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
        self._zip.writestr("xl/styles.xml", self._stylesheet())
        self._zip.close()
        return self._buffer.getvalue()

    def _content_types(self) -> str:
        sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        parts = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet}"/>'
            for i in range(1, len(self._sheets) + 1)
        )
        return (
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{parts}</Types>"
        )

    def _package_rels(self) -> str:
        return (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self._sheets, 1)
        )
        # Excel keeps an auto filter's range as this hidden name too.
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{escape(_absolute(s.name, s.filter_ref))}</definedName>"
            for i, s in enumerate(self._sheets)
            if s.filter_ref is not None
        )
        return (
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
        )

    def _workbook_rels(self) -> str:
        rels = [
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(self._sheets) + 1)
        ]
        rels.append(
            f'<Relationship Id="rId{len(self._sheets) + 1}" Type="{_REL}/styles" '
            'Target="styles.xml"/>'
        )
        return f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>'

    def _stylesheet(self) -> str:
        styles = sorted(self._styles, key=self._styles.__getitem__)
        formats = _indexed(s.number_format for s in styles if s.number_format is not None)
        fonts = _indexed([(False, None, None), *((s.bold, s.size, s.color) for s in styles)])
        fills = _indexed(s.fill for s in styles if s.fill is not None)
        xfs = []
        for s in styles:
            fmt = 164 + formats[s.number_format] if s.number_format is not None else 0
            font = fonts[(s.bold, s.size, s.color)]
            fill = 2 + fills[s.fill] if s.fill is not None else 0
            xf = f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
            xf += ' applyNumberFormat="1"' if fmt else ""
            xf += ' applyFont="1"' if font else ""
            xf += ' applyFill="1"' if fill else ""
            if s.wrap:
                xf += ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
            else:
                xf += "/>"
            xfs.append(xf)
        num_fmts = "".join(
            f'<numFmt numFmtId="{164 + i}" formatCode={quoteattr(code)}/>'
            for code, i in formats.items()
        )
        font_xml = "".join(_font(*key) for key in fonts)
        fill_xml = "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/></patternFill></fill>'
            for rgb in fills
        )
        return (
            f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
            + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            f'<fills count="{len(fills) + 2}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fill_xml}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            f'borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        )


def _indexed(keys: Iterable[Any]) -> dict[Any, int]:
    """Distinct keys numbered in order of first appearance."""
    found: dict[Any, int] = {}
    for key in keys:
        found.setdefault(key, len(found))
    return found


def _font(bold: bool, size: float | None, color: str | None) -> str:
    parts = "<b/>" if bold else ""
    parts += f'<sz val="{size if size is not None else 11}"/>'
    parts += f'<color rgb="FF{color}"/>' if color is not None else ""
    return f'<font>{parts}<name val="Calibri"/><family val="2"/></font>'


def _absolute(sheet: str, ref: str | None) -> str:
    """``A1:L20`` of sheet ``汇总`` as ``'汇总'!$A$1:$L$20``."""
    assert ref is not None
    corners = [re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":")]
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!" + ":".join(corners)
