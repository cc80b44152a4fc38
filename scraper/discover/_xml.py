"""Refuse XML that declares entities before any parser expands them.

Feeds and sitemaps have no business declaring entities. A "billion laughs" document nests entity
references until memory runs out; an external entity (``SYSTEM "file:///etc/passwd"``) reads local
files or makes requests. Both live in the DOCTYPE's internal subset, which comes before the root
element, so expat is run over the prolog only and stopped at the first element: the check costs
the prolog's size, whatever follows.
"""

from __future__ import annotations

import re
import xml.parsers.expat

from scraper.errors import ContentError

_ENTITY_BYTES = re.compile(rb"<\s*!\s*ENTITY", re.IGNORECASE)


class _Stop(Exception):
    pass


class _Entity(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def refuse_entities(content: bytes, what: str) -> None:
    """Raise :class:`ContentError` if ``content`` declares an XML entity (any DTD entity).

    A plain ``<!DOCTYPE rss PUBLIC ...>`` without an internal subset is allowed: it is never
    fetched (no parser here loads external DTDs).
    """
    parser = xml.parsers.expat.ParserCreate()

    def on_entity(name: str, *_args: object) -> None:
        raise _Entity(name)

    def on_start(*_args: object) -> None:
        raise _Stop

    parser.EntityDeclHandler = on_entity
    parser.StartElementHandler = on_start
    try:
        parser.Parse(content, True)
    except _Stop:
        return
    except _Entity as exc:
        raise ContentError(
            f"{what}: refused an XML entity declaration ({exc.name!r}); feeds and sitemaps "
            "must not declare entities (billion-laughs and external-entity attacks)",
            code="xml:entity",
        ) from None
    except (xml.parsers.expat.ExpatError, ValueError, LookupError):
        # Not well-formed (or an encoding expat cannot read): fall back to a byte scan, in the
        # two byte orders of UTF-16 as well, before a lenient parser sees it.
        for probe in (content, content.replace(b"\x00", b"")):
            if _ENTITY_BYTES.search(probe):
                raise ContentError(
                    f"{what}: refused an XML entity declaration; feeds and sitemaps must not "
                    "declare entities (billion-laughs and external-entity attacks)",
                    code="xml:entity",
                ) from None
