"""Meeting kinds: the core eight of 三会一课 and the rest, their Chinese names and storage bits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    id: str
    name: str  # the Chinese name shown to people
    aliases: tuple[str, ...] = ()
    bit: int = 0  # position in the store's ``kinds`` bitmask


CORE_KINDS: tuple[Kind, ...] = (
    Kind("general_meeting", "支部党员大会", ("党员大会", "支部大会"), 0),
    Kind("committee_meeting", "支部委员会会议", ("支委会", "支部委员会", "支委会议"), 1),
    Kind("group_meeting", "党小组会", ("党小组会议",), 2),
    Kind("party_lesson", "党课", (), 3),
    Kind("themed_party_day", "主题党日", ("主题党日活动",), 4),
    Kind("org_life_meeting", "组织生活会", (), 5),
    Kind("democratic_appraisal", "民主评议党员", ("民主评议",), 6),
    Kind("heart_to_heart_talk", "谈心谈话", (), 7),
)

# Combined sessions are written "主题党日+党课"; registers use any of these separators.
KIND_SEPARATORS = re.compile(r"[+＋;；、,，/]")


class KindCatalog:
    """Resolves the names a register uses for a kind to its id; knows each kind's bit."""

    def __init__(self, kinds: Iterable[Kind] = CORE_KINDS) -> None:
        self._by_id: dict[str, Kind] = {}
        self._by_name: dict[str, Kind] = {}
        for kind in kinds:
            self.add(kind)

    def add(self, kind: Kind) -> None:
        if kind.id in self._by_id:
            raise ValueError(f"kind {kind.id!r} is declared twice")
        self._by_id[kind.id] = kind
        for name in (kind.id, kind.name, *kind.aliases):
            self._by_name[_normalise(name)] = kind

    def with_extra(self, extra: Iterable[tuple[str, str, tuple[str, ...]]]) -> KindCatalog:
        """A catalog with extra kinds (id, name, aliases) appended after the existing bits."""
        catalog = KindCatalog(self._by_id.values())
        bit = max((k.bit for k in self._by_id.values()), default=-1) + 1
        for kind_id, name, aliases in extra:
            if kind_id in catalog._by_id:
                continue
            catalog.add(Kind(kind_id, name, aliases, bit))
            bit += 1
        return catalog

    def __contains__(self, kind_id: object) -> bool:
        return kind_id in self._by_id

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._by_id.values())

    def get(self, kind_id: str) -> Kind:
        return self._by_id[kind_id]

    def resolve(self, name: str) -> Kind | None:
        """The kind a register's name refers to, or None if unknown."""
        return self._by_name.get(_normalise(name))

    def parse(self, text: str) -> list[str] | str:
        """Split a combined kind cell into kind ids; on failure, return the bad part."""
        ids: list[str] = []
        for part in KIND_SEPARATORS.split(text):
            part = part.strip()
            if not part:
                continue
            kind = self.resolve(part)
            if kind is None:
                return part
            if kind.id not in ids:
                ids.append(kind.id)
        return ids if ids else text

    def mask(self, kind_ids: Iterable[str]) -> int:
        mask = 0
        for kind_id in kind_ids:
            mask |= 1 << self._by_id[kind_id].bit
        return mask

    def ids(self, mask: int) -> frozenset[str]:
        return frozenset(k.id for k in self._by_id.values() if mask & (1 << k.bit))

    @property
    def names(self) -> Mapping[str, str]:
        return {k.id: k.name for k in self._by_id.values()}


def _normalise(name: str) -> str:
    return name.strip().lower().replace(" ", "").replace("\u3000", "")


DEFAULT_CATALOG = KindCatalog()
