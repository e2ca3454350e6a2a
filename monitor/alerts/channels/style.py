"""How a message looks, and how big it may be, on each platform; pure.

The message templates (``templates/alerts/``) render plain lines once; a :class:`Style` turns a
digest's header and lines into one platform's text:

* **Telegram**: plain text (no parse mode, so nothing to escape), ``• `` bullets, 4096 UTF-16
  code units;
* **WeCom** (企业微信): its markdown subset, bold header, 4096 UTF-8 bytes;
* **DingTalk** (钉钉): markdown with a level-4 heading and blank lines between items (a single
  newline does not break a line there), 20000 UTF-8 bytes;
* **Feishu** (飞书): a card whose header is the title and whose body is ``lark_md``; the JSON
  request body may be 20 KB, so lines are measured as they appear in it.

User data inside a line (names, topics) must not change the layout or mention anyone:
:meth:`Style.escape` turns every character that the platform's markdown or mention syntax
reacts to into its full-width twin (``*`` → ``＊``, ``<`` → ``＜``, ``@`` → ``＠`` …), which
reads naturally in Chinese text and cannot be undone by the renderer. Telegram sends plain
text and escapes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from monitor.alerts.plan import Platform

# Characters that markdown, HTML-ish tags or mentions react to, and their full-width twins.
_FULL_WIDTH = str.maketrans(
    {
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "#": "＃",
        "@": "＠",
        "~": "～",
        "|": "｜",
        "\\": "＼",
        "&": "＆",
        "!": "！",
        # Every character str.splitlines breaks at (renderers differ on which they honour),
        # and the tab: user data stays on its line.
        "\r": " ",
        "\n": " ",
        "\t": " ",
        "\v": " ",
        "\f": " ",
        "\x1c": " ",
        "\x1d": " ",
        "\x1e": " ",
        "\x85": " ",
        "\u2028": " ",
        "\u2029": " ",
    }
)


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``messages`` in any ``seconds`` to one destination."""

    messages: int
    seconds: float


@dataclass(frozen=True)
class Style:
    """Telegram's: plain text measured in UTF-16 code units."""

    platform: Platform = Platform.TELEGRAM
    limit: int = 4096
    newline: str = "\n"
    rates: tuple[Rate, ...] = (Rate(20, 60.0),)

    def measure(self, text: str) -> int:
        """The size of ``text`` as the platform counts it against :attr:`limit`."""
        return len(text.encode("utf-16-le")) // 2

    def escape(self, text: str) -> str:
        return text

    def heading(self, plain: str) -> str:
        """A digest's header line (plain text in)."""
        return self.escape(plain)

    def item(self, plain: str) -> str:
        """One digest line (plain text in)."""
        return "• " + self.escape(plain)

    def title_and_body(self, text: str) -> tuple[str, str]:
        """The plain title (the header) and the rest, for platforms that send them apart."""
        head, _, body = text.partition(self.newline)
        return head, body

    def plain(self, text: str) -> str:
        """A whole plain message (several lines), its first line the heading.

        Where lines are separated by a blank line already (DingTalk), empty lines are dropped.
        """
        head, *rest = text.split("\n")
        if self.newline != "\n":
            rest = [line for line in rest if line.strip()]
        return self.newline.join([self.heading(head), *(self.escape(line) for line in rest)])

    def truncate(self, text: str, limit: int | None = None) -> str:
        """``text`` cut to ``limit`` (default :attr:`limit`) units, ending in … when cut (and
        the … fits: below its own size the cut is unmarked, never over ``limit``)."""
        limit = self.limit if limit is None else limit
        if self.measure(text) <= limit:
            return text
        mark = "…" if self.measure("…") <= limit else ""
        room = limit - self.measure(mark)
        low, high = 0, len(text)
        while low < high:  # the longest prefix that fits
            middle = (low + high + 1) // 2
            if self.measure(text[:middle]) <= room:
                low = middle
            else:
                high = middle - 1
        return text[:low] + mark


@dataclass(frozen=True)
class MarkdownStyle(Style):
    """WeCom's markdown subset: bold header, UTF-8 bytes."""

    platform: Platform = Platform.WECOM
    limit: int = 4096
    # The platforms count messages by when they arrive; a second of slack keeps a send that
    # took long (a slow network, a loaded machine) from landing a 21st message in the minute.
    rates: tuple[Rate, ...] = (Rate(20, 61.0),)

    def measure(self, text: str) -> int:
        return len(text.encode("utf-8"))

    def escape(self, text: str) -> str:
        return text.translate(_FULL_WIDTH)

    def heading(self, plain: str) -> str:
        return f"**{self.escape(plain)}**"

    def title_and_body(self, text: str) -> tuple[str, str]:
        head, _, body = text.partition(self.newline)
        return head.removeprefix("**").removesuffix("**"), body


@dataclass(frozen=True)
class DingTalkStyle(MarkdownStyle):
    """DingTalk's markdown: a level-4 heading, a blank line between lines."""

    platform: Platform = Platform.DINGTALK
    limit: int = 20000
    newline: str = "\n\n"

    def heading(self, plain: str) -> str:
        return f"#### {self.escape(plain)}"

    def title_and_body(self, text: str) -> tuple[str, str]:
        head, _, body = text.partition(self.newline)
        return head.removeprefix("#### "), body


@dataclass(frozen=True)
class FeishuStyle(MarkdownStyle):
    """A Feishu card: the header line becomes the card's title, the rest ``lark_md``.

    Measured as the text appears inside the JSON body (quotes and newlines escaped); the
    limit leaves the card's envelope, timestamp and signature room within 20 KB.
    """

    platform: Platform = Platform.FEISHU
    limit: int = 19000
    rates: tuple[Rate, ...] = (Rate(100, 61.0), Rate(5, 1.2))  # with slack, as WeCom's

    def measure(self, text: str) -> int:
        return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2

    def heading(self, plain: str) -> str:
        return self.escape(plain)

    def title_and_body(self, text: str) -> tuple[str, str]:
        head, _, body = text.partition(self.newline)
        return head, body


STYLES: dict[Platform, Style] = {
    Platform.TELEGRAM: Style(),
    Platform.WECOM: MarkdownStyle(),
    Platform.DINGTALK: DingTalkStyle(),
    Platform.FEISHU: FeishuStyle(),
}


def style_for(platform: Platform) -> Style:
    return STYLES[platform]
