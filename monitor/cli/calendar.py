"""`orglife calendar`, `orglife feeds …` and `orglife serve`: calendar feeds on the command line.

Registered on the `orglife` group by :mod:`monitor.cli.root`.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from monitor.cli import common
from monitor.text import cli as msg

DEFAULT_FEED_DIR = Path("calendars") / "feeds"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.command("calendar")
@click.argument("code")
@click.option("--as-of", "as_of", help="Judge statuses as at this day (default: today).")
@click.option("--from", "first", help="First day of events to include (default: 1 Jan last year).")
@click.option("--to", "last", help="Last day of events to include (default: 31 Dec, see README).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help=f"Where to write the feed (default: {DEFAULT_FEED_DIR}/CODE.ics; - for stdout).",
)
@common.rules_option
@click.pass_obj
@common.handles_errors
def calendar(
    obj: common.Context,
    code: str,
    as_of: str | None,
    first: str | None,
    last: str | None,
    output: Path | None,
    rule_paths: Sequence[Path],
) -> None:
    """Write the iCalendar feed of CODE (an org code or a leading cadre's member id)."""
    from monitor.calendar.service import default_range, generate
    from monitor.core.rules import load_pack
    from monitor.holidays import default_holiday_dirs, work_calendar

    as_of_day = common.parse_date(as_of, "--as-of") or common.today_in_shanghai()
    default_first, default_last = default_range(as_of_day)
    first_day = common.parse_date(first, "--from") or default_first
    last_day = common.parse_date(last, "--to") or default_last
    if last_day < first_day:
        raise click.BadParameter(f"{last} 早于 --from {first_day}", param_hint="--to")
    rendered = generate(
        obj.store,
        load_pack(rule_paths),
        work_calendar(default_holiday_dirs()),
        code,
        as_of=as_of_day,
        first=first_day,
        last=last_day,
        now=_now(),
    )
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(rendered.body)
        sys.stdout.buffer.flush()
        return
    path = output or DEFAULT_FEED_DIR / f"{rendered.feed.subject.code}.ics"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rendered.body)
    common.out.print(
        msg.feed_written(
            path=str(path),
            title=rendered.feed.subject.title,
            events=len(rendered.feed.events),
            first=first_day,
            last=last_day,
            as_of=as_of_day,
            changed=rendered.changed,
        ),
        highlight=False,
    )


@click.group("feeds")
def feeds() -> None:
    """Subscription links of calendar feeds: show, rotate, revoke, list."""


def _print_link(url: str, title: str) -> None:
    # The URL comes first, alone on its line, so scripts can take `| head -1`.
    from monitor.calendar.service import webcal_url

    click.echo(url)
    click.echo(webcal_url(url))
    common.err.print(msg.how_to_subscribe(title=title), highlight=False)


@feeds.command("url")
@click.argument("code")
@click.pass_obj
@common.handles_errors
def feeds_url(obj: common.Context, code: str) -> None:
    """Print CODE's subscription URL (made on first use), then the webcal:// form."""
    from monitor.calendar.service import feed_url, public_url, subject
    from monitor.calendar.store import FeedStore

    who = subject(obj.store, code)
    base_url = public_url()
    token = FeedStore(obj.store).token(who.code, now=_now())
    _print_link(feed_url(token.token, base_url), who.title)


@feeds.command("rotate")
@click.argument("code")
@click.pass_obj
@common.handles_errors
def feeds_rotate(obj: common.Context, code: str) -> None:
    """Replace CODE's link with a new one; the old link stops working at once."""
    from monitor.calendar.service import feed_url, public_url, subject
    from monitor.calendar.store import FeedStore

    who = subject(obj.store, code)
    base_url = public_url()
    token = FeedStore(obj.store).rotate(who.code, now=_now())
    _print_link(feed_url(token.token, base_url), who.title)
    common.err.print(msg.FEED_ROTATED, highlight=False)


@feeds.command("revoke")
@click.argument("code")
@click.pass_obj
@common.handles_errors
def feeds_revoke(obj: common.Context, code: str) -> None:
    """Stop CODE's link from working, without issuing a new one."""
    from monitor.calendar.store import FeedStore

    code = code.strip()
    if FeedStore(obj.store).revoke(code, now=_now()):
        common.out.print(msg.feed_revoked(code=code), highlight=False)
    else:
        common.out.print(msg.feed_nothing_to_revoke(code=code), highlight=False)


@feeds.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked links.")
@click.pass_obj
@common.handles_errors
def feeds_list(obj: common.Context, include_revoked: bool) -> None:
    """List the feeds that have links (tokens are shown shortened)."""
    from rich.table import Table

    from monitor.calendar.store import FeedStore

    table = Table(*msg.FEEDS_COLUMNS)
    for token in FeedStore(obj.store).tokens(include_revoked=include_revoked):
        table.add_row(
            token.subject,
            f"…/feeds/{token.token[:4]}….ics",
            f"{token.created:%Y-%m-%d %H:%M}",
            msg.FEED_ACTIVE if token.revoked is None else msg.feed_revoked_on(day=token.revoked),
        )
    common.out.print(table)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--refresh-hours",
    default=6.0,
    show_default=True,
    type=click.FloatRange(0.25, 168),
    help="How often subscribed clients are asked to refresh (REFRESH-INTERVAL).",
)
@click.option("--no-bot", is_flag=True, help="Send alerts but do not answer chat commands.")
@click.option(
    "--dispatch-every",
    "dispatch_seconds",
    default=30.0,
    type=click.FloatRange(0.5, 3600),
    hidden=True,  # for tests and drills: how often the outbox is dispatched
)
@click.option(
    "--summary-delay",
    default=0,
    show_default=True,
    type=click.IntRange(0, 15),
    help="Send last month's summary this many workdays after the month's first workday "
    "(4 waits out a 5-day grace, so no result of the month is still pending).",
)
@common.rules_option
@click.pass_obj
@common.handles_errors
def serve(
    obj: common.Context,
    host: str,
    port: int,
    refresh_hours: float,
    no_bot: bool,
    dispatch_seconds: float,
    summary_delay: int,
    rule_paths: Sequence[Path],
) -> None:
    """Run the service: HTTP on one port (the web pages at /, the API under /api/v1 with its
    document at /api/docs, calendar feeds at /feeds/<token>.ics, /healthz), scheduled
    evaluation, reminders and alerts to the linked chats, and the Telegram bot.

    Without ORGLIFE_TELEGRAM_TOKEN, alerts go to the log and there is no bot. Uploaded files go
    under ORGLIFE_DATA_DIR (by default beside a SQLite database).
    """
    import logging
    import os

    import structlog

    from monitor.alerts.bot import build_application
    from monitor.alerts.channels import TelegramChannel, channel_from_env
    from monitor.alerts.plan import Platform
    from monitor.calendar.service import public_url
    from monitor.core.rules import load_pack
    from monitor.holidays import default_holiday_dirs, work_calendar
    from monitor.service.runner import Service
    from monitor.service.runner import serve as run_service

    # A service's log is its record (start, each evaluation and dispatch, stop): INFO even
    # without -v. configure() keeps the renderer and stream the group command chose.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    base_url = public_url()  # fail before listening when ORGLIFE_PUBLIC_URL is unusable
    pack = load_pack(rule_paths)
    workdays = work_calendar(default_holiday_dirs())
    channel = channel_from_env(os.environ)
    bot = None
    token = os.environ.get("ORGLIFE_TELEGRAM_TOKEN", "").strip()
    telegram = channel.for_platform(Platform.TELEGRAM)
    if token and not no_bot and isinstance(telegram, TelegramChannel):
        bot = build_application(
            obj.store,
            pack,
            workdays,
            token=token,
            base_url=os.environ.get("ORGLIFE_TELEGRAM_API_URL") or None,
            clock=_now,
            public_url=base_url,
        )
    service = Service(
        obj.store,
        pack,
        workdays,
        channel=channel,
        bot=bot,
        host=host,
        port=port,
        clock=_now,
        refresh=dt.timedelta(hours=refresh_hours),
        summary_delay=summary_delay,
        dispatch_every=dt.timedelta(seconds=dispatch_seconds),
        public_url=base_url,
        warm_dashboards=True,
    )
    run_service(service)
