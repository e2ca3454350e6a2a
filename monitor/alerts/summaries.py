"""The monthly summary as each platform receives it; pure.

* **Telegram**: the summary's text, then its workbook as a document (as before);
* **WeCom** (企业微信): the text in WeCom markdown, then the workbook and the Word 通报 as files
  (its robot uploads files: ``upload_media``);
* **DingTalk** and **Feishu**: their robots take no files, so the text ends in a link to the
  summary page on ``ORGLIFE_PUBLIC_URL``: signed and expiring, so it opens without a login
  (without a public URL the text says where to ask instead).

Keys ``summary:YYYY-MM``, ``report:YYYY-MM`` and ``report-docx:YYYY-MM`` make each once per
chat and month.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.alerts.channels.style import Style, style_for
from monitor.alerts.plan import Chat, ChatRole, Notice, NoticeKind, Platform
from monitor.core.periods import Period
from monitor.text.render import render as render_text


@dataclass(frozen=True, slots=True)
class SummaryBundle:
    """One org's summary of one month, in every form a chat may get."""

    text: str  # the summary message (plain text that reads as Markdown)
    workbook: bytes
    workbook_name: str
    document: bytes  # the Word 通报
    document_name: str
    link: str | None = None  # the signed page link, for platforms that take no files
    link_days: int = 0  # how long the link works


def plan_summaries(
    chats: Sequence[Chat], month: str, bundle: Callable[[Chat], SummaryBundle | None]
) -> list[Notice]:
    """The monthly summary for each enabled inspector chat, as its platform takes it.

    ``bundle(chat)`` gives the summary of the chat's org, or None when there is nothing to
    report. One destination linked for several orgs gets the first org's summary only.
    """
    notices: list[Notice] = []
    seen: set[str] = set()
    caption = render_text("alerts/report_caption.txt", month=Period.parse(month))
    for chat in chats:
        if chat.role is not ChatRole.INSPECTOR or not chat.enabled or chat.address in seen:
            continue
        seen.add(chat.address)
        found = bundle(chat)
        if found is None:
            continue
        style = style_for(chat.platform)
        text = _text(found, style)
        notices.append(Notice(f"summary:{month}", chat.id, NoticeKind.SUMMARY, None, text))
        if chat.platform is Platform.TELEGRAM or chat.platform is Platform.WECOM:
            notices.append(
                Notice(
                    f"report:{month}",
                    chat.id,
                    NoticeKind.REPORT,
                    None,
                    caption,
                    document=found.workbook,
                    filename=found.workbook_name,
                )
            )
        if chat.platform is Platform.WECOM:
            notices.append(
                Notice(
                    f"report-docx:{month}",
                    chat.id,
                    NoticeKind.REPORT,
                    None,
                    caption,
                    document=found.document,
                    filename=found.document_name,
                )
            )
    return notices


def _text(bundle: SummaryBundle, style: Style) -> str:
    """The summary's message in ``style``, cut to fit with its closing line kept whole."""
    if style.platform is Platform.TELEGRAM:
        return bundle.text
    if style.platform is Platform.WECOM:
        tail = style.escape("（通报全文见随后发送的 Word 文档和 Excel 工作簿）")
    elif bundle.link is not None:
        # The link is ours (a URL with a signature): it is not escaped, only the words are.
        tail = f"[查看完整通报（{bundle.link_days}天内有效，无需登录）]({bundle.link})"
    else:
        tail = style.escape("（未配置 ORGLIFE_PUBLIC_URL，完整通报请向组织部门索取）")
    body = style.plain(bundle.text)
    room = style.limit - style.measure(style.newline + tail)
    return style.truncate(body, room) + style.newline + tail
