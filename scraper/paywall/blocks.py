"""Paywall notices by meaning: candidate blocks at the end of the body, read for their concepts.

A notice is found where walls put it: in the last paragraphs of the extracted text (a sentence in
the article flow, a box trafilatura kept) or in the visible blocks right after the body in the
DOM (a box trafilatura dropped). Each candidate is read for the concepts of
:mod:`scraper.paywall.lexicon` and for structure (links to subscription or login pages, forms,
buttons); a block that asks for access (subscribe, register, sign in, unlock) and says what is
withheld (continue, the rest, exclusive), and is no newsletter, donation, comment or cookie
promo, is a notice whatever its exact words. Source rules add their own phrases
(``paywall.notices`` in sources.yaml, matched as regexes).

Whatever the verdict, a notice found at the end of the text is cut out of it and kept as the
article's ``paywall_notice``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from selectolax.lexbor import LexborNode

from scraper.extract.words import count_words
from scraper.paywall.dom import page_memo, shown_text
from scraper.paywall.lexicon import ACCESS, GATE, NEGATIVE, matcher, reads_as_notice

TAIL_CHARS = 1500  # how much of the text's end is read for a notice
TAIL_PARAGRAPHS = 6
NOTICE_MAX_WORDS = 90  # a paragraph longer than this is prose, not a notice
CHROME_MAX_WORDS = 25  # short lines of a box after its notice: buttons, "already a subscriber?"
AFTER_BLOCKS = 6  # DOM blocks after the body that are read
AFTER_MAX_WORDS = 180
MAX_WORDS_AFTER_RULE = 120  # rule phrases: text after the paragraph that is kept, not cut
_SENTENCE = re.compile(r"(?<=[.!?…。！？])\s+")
_PERCENT = re.compile(r"(\d{1,3}(?:[.,]\d{1,3})?)\s*%")
_ACCESS = frozenset(ACCESS)
_GATE = frozenset(GATE)
_NEGATIVE = frozenset(NEGATIVE)
_WITHHELD = frozenset({"continue", "rest"})
# What a wall sells: a subscription, an account, access. A bare "log in" is everywhere (comments,
# accounts) and asks for nothing by itself.
_SELLING = frozenset({"subscribe", "register", "unlock"})


@dataclass(frozen=True)
class Notice:
    """A notice found at the end of the text, and the text with it cut out."""

    notice: str  # the removed text
    text: str  # the text without it
    concepts: frozenset[str]
    hits: dict[str, str]  # concept -> the words that matched
    rule: str | None = None  # the source rule pattern that matched, if any
    expected_fraction: float | None = None  # share of the article served, when a number says so
    strong: bool = True  # reads as a notice; False: closing lines that only ask for access
    inside: bool = False  # found before the text's closing lines (the extractor kept more after it)


def notice_before(text: str, notice: Notice, rule_patterns: tuple[re.Pattern[str], ...] = ()
                  ) -> Notice | None:
    """A second notice right before ``notice`` in ``text`` (the wall's own sentence, then a
    campaign box after it), with ``text`` the text without both; None when there is none."""
    first = notice.notice.split("\n", 1)[0].strip()
    lines = text.split("\n")
    at = next((i for i, line in enumerate(lines) if line.strip() == first), None)
    if not at:
        return None
    before = "\n".join(lines[:at]).rstrip()
    if not notice.text.startswith(before):
        return None
    found = find_tail_notice(before, rule_patterns)
    if found is None or not found.strong:
        return None
    rest = notice.text[len(before):].strip("\n")
    return replace(found, text=f"{found.text}\n{rest}".strip() if rest else found.text)


def joined(earlier: Notice, later: Notice) -> Notice:
    """Two notices cut from one text (a wall's own sentence, then a campaign box after it): one
    notice text, in the order they stood; ``earlier.text`` is the text without both. What it
    says is the later one's, the one where the text stops (an earlier line may be a member
    promo that full pages carry too: cut, it weighs nothing)."""
    return replace(later, notice=f"{earlier.notice}\n{later.notice}", text=earlier.text,
                   expected_fraction=later.expected_fraction or earlier.expected_fraction)


def _fraction(text: str, concepts: frozenset[str]) -> float | None:
    """"57% of this article remains" -> 0.43 served (a percentage in a notice about the rest)."""
    if "rest" not in concepts and "continue" not in concepts:
        return None
    m = _PERCENT.search(text)
    if not m:
        return None
    remaining = float(m.group(1).replace(",", ".")) / 100.0
    return round(1.0 - remaining, 4) if 0.0 < remaining < 1.0 else None


def _button_or_label(words: int, concepts: frozenset[str]) -> bool:
    """A line this short is a button ("See our plans") or a label, not a sentence."""
    return words <= 3 or (words <= 5 and not concepts)


def is_chrome_line(text: str, concepts: frozenset[str]) -> bool:
    """A short line of a wall box: a button ("S'abonner"), "Already a subscriber? Log in", a price."""
    words = count_words(text)
    if _button_or_label(words, concepts):
        return True
    if words <= CHROME_MAX_WORDS and _COPYRIGHT.search(text):
        return True  # the page's copyright line, kept after the wall
    return words <= CHROME_MAX_WORDS and not concepts.isdisjoint(_ACCESS | {"offer", "free"}) \
        and concepts.isdisjoint(_NEGATIVE)


NOTICE_LEAD_WORDS = 8  # a notice paragraph's opening sentences this short are the notice's own


def find_tail_notice(text: str, rule_patterns: tuple[re.Pattern[str], ...] = ()) -> Notice | None:
    """The notice at the end of ``text`` (NFC), by meaning or by a source's rule phrase.

    Read backwards from the last paragraph: notice paragraphs and the short lines of a box
    (buttons, prices, "already a subscriber?") are taken; the first paragraph of prose stops the
    walk. Without a notice paragraph, the trailing sentences of the last prose paragraph are read
    (a notice written in the article's own last paragraph). Rule phrases are also found earlier
    in the tail; then only their paragraph is cut when more than ``MAX_WORDS_AFTER_RULE`` words
    follow it, so real text is never lost.
    """
    if not text:
        return None
    rule = _rule_notice(text, rule_patterns) if rule_patterns else None
    if rule is not None:
        return rule
    m = matcher()
    lines = text.split("\n")
    tail_start = max(0, len(text) - TAIL_CHARS)
    line_end = len(text)  # where lines[index] ends, walking up from the text's end
    cut_line: int | None = None
    concepts: frozenset[str] = frozenset()
    seen = 0
    prose_line: int | None = None
    asking: int | None = None  # the first closing line that asks for access (no notice yet)
    labels = 0
    headed = False
    for index in range(len(lines) - 1, -1, -1):
        if index < len(lines) - 1:
            line_end -= len(lines[index + 1]) + 1
        line = lines[index].strip()
        if not line:
            continue
        if line_end < tail_start or seen >= TAIL_PARAGRAPHS:
            break
        seen += 1
        words = count_words(line)
        # A longer line is prose: neither a notice nor a box's short line, whatever it says.
        readable = words <= NOTICE_MAX_WORDS and len(line) <= MAX_BLOCK_CHARS
        found = m.concepts(line) if readable else frozenset()
        if words <= NOTICE_MAX_WORDS and reads_as_notice(found):
            if found.isdisjoint(_WITHHELD):
                if cut_line is not None and words < 8 and not headed and \
                        count_words(lines[cut_line]) >= 8:
                    # The heading of the notice's box ("Subscribers only" above its sentence),
                    # taken once, and only above a sentence (a label repeated on a list of
                    # teasers is no heading).
                    headed = True
                    cut_line = index
                    concepts |= found
                    continue
                # "Réservé aux abonnés" alone is a label: on every teaser of a related-articles
                # list. It is a notice only as a sentence, and only once.
                labels += 1
                if words < 5 or labels > 1:
                    return None
            cut_line = index
            concepts |= found
            continue
        if is_chrome_line(line, found):
            if words > 3 and not found.isdisjoint(_SELLING):
                asking = index
            continue  # taken only if a notice comes before it
        prose_line = index
        break
    if cut_line is not None:
        # The notice may open with sentences of the article: cut at the shortest closing run of
        # sentences that still reads as a notice.
        first = lines[cut_line].strip()
        sentences = _SENTENCE.split(first)
        lead = ""
        for take in range(1, len(sentences)):
            closing = " ".join(sentences[-take:])
            if reads_as_notice(m.concepts(closing)):
                # Sentences before it that speak of access or of the rest belong to it
                # ("Il vous reste 57% de cet article à lire. La suite est réservée aux abonnés.")
                while take < len(sentences) and not m.concepts(sentences[-take - 1]).isdisjoint(
                        _ACCESS | _GATE):
                    take += 1
                if take < len(sentences):
                    lead = first[: first.rfind(sentences[-take])].rstrip()
                break
        if lead and (reads_as_notice(m.concepts(lead)) or count_words(lead) < NOTICE_LEAD_WORDS):
            # A lead that reads as a notice, or a few words opening the notice's own paragraph
            # ("Quality journalism costs.", "Thank you for reading.", "Locked."), is the notice's.
            lead = ""
        after = lines[cut_line + 1:]
        footer: list[str] = []
        while after and (not after[-1].strip() or _COPYRIGHT.search(after[-1])):
            footer.insert(0, after.pop())  # the page's copyright line stays where it was
        notice = "\n".join([first[len(lead):].strip()] + after).strip()
        kept = "\n".join(lines[:cut_line] + ([lead] if lead else [])).rstrip()
        if any(line.strip() for line in footer):
            kept += "\n\n" + "\n".join(line for line in footer if line.strip())
        return Notice(notice, kept, concepts, m.hits(notice),
                      expected_fraction=_fraction(notice, concepts))
    if prose_line is None:
        return _asking(lines, asking)
    # A notice in the last prose paragraph's closing sentences.
    line = lines[prose_line]
    sentences = _SENTENCE.split(line.strip())
    for take in (1, 2):
        if len(sentences) <= take:
            break
        closing = " ".join(sentences[-take:])
        if count_words(closing) > 60:
            continue  # prose, not a notice: not read
        found = m.concepts(closing)
        if reads_as_notice(found):
            start = line.rfind(sentences[-take])
            notice = "\n".join([line[start:]] + lines[prose_line + 1:]).strip()
            kept = "\n".join(lines[:prose_line] + [line[:start].rstrip()]).rstrip()
            return Notice(notice, kept, found, m.hits(notice),
                          expected_fraction=_fraction(notice, found))
    return _asking(lines, asking)


INSIDE_MAX_WORDS = 60  # a notice paragraph inside the text is short
INSIDE_MAX_AFTER = 400  # ... and fewer words of prose follow it than this
INSIDE_READ = 16  # closing prose lines read at most
INSIDE_LINES = 80  # closing lines read at most (list items, buttons, captions included)
_PROSE_WORDS = 8  # a line of this many words is prose; shorter ones are lists, buttons, captions


def find_inner_notice(text: str) -> Notice | None:
    """A notice paragraph before the text's closing lines: the extractor kept a byline, an
    author's bio, related links or share buttons after the wall. The last paragraph (after the
    first) that reads as a notice, is short, and is followed by at most ``INSIDE_MAX_AFTER``
    words of prose (lines of ``_PROSE_WORDS`` or more: list items, buttons and captions do not
    count) in at most ``INSIDE_READ`` prose lines; cut with the short lines of its box around it
    (a label before it, buttons and prices after it)."""
    lines = text.split("\n")
    m = matcher()
    words_after = 0
    read = 0
    for index in range(len(lines) - 1, max(0, len(lines) - 1 - INSIDE_LINES), -1):
        line = lines[index].strip()
        if not line:
            continue
        words = count_words(line)
        prose = words >= _PROSE_WORDS
        read += prose
        if read > INSIDE_READ:
            return None
        if words > INSIDE_MAX_WORDS or len(line) > MAX_BLOCK_CHARS:
            words_after += words
            if words_after > INSIDE_MAX_AFTER:
                return None
            continue
        found = m.concepts(line)
        # Labels ("Subscribers only" on each teaser of a related list) do not count here: a
        # notice inside the text says what is withheld, that the meter ran out, or sells access.
        if not reads_as_notice(found) or found.isdisjoint(_WITHHELD | {"meter", "unlock"}):
            words_after += words if prose else 0
            if words_after > INSIDE_MAX_AFTER:
                return None
            continue
        start, end = index, index + 1
        while start > 1 and lines[start - 1].strip() and count_words(lines[start - 1]) <= 8 and \
                not m.concepts(lines[start - 1]).isdisjoint(_ACCESS | _GATE):
            start -= 1  # a label: "Subscribers only"
        while end < len(lines) and (not lines[end].strip() or is_chrome_line(
                lines[end].strip(), m.concepts(lines[end]))):
            if lines[end].strip() and count_words(lines[end]) > 3 and \
                    m.concepts(lines[end]).isdisjoint(_ACCESS | {"offer", "free"}):
                break
            end += 1
        notice = "\n".join(x.strip() for x in lines[start:end] if x.strip())
        kept = "\n".join(lines[:start] + lines[end:]).strip()
        concepts = m.concepts(notice)
        return Notice(notice, kept, concepts, m.hits(notice),
                      expected_fraction=_fraction(notice, concepts), inside=True)
    return None


def _asking(lines: list[str], asking: int | None) -> Notice | None:
    """Closing lines that ask for a subscription, an account or access without saying what is
    withheld: a weak notice (``notice:access``); like any notice, never article text."""
    if asking is None:
        return None
    notice = "\n".join(lines[asking:]).strip()
    kept = "\n".join(lines[:asking]).rstrip()
    if not kept:
        return None
    concepts = matcher().concepts(notice)
    return Notice(notice, kept, concepts, matcher().hits(notice), strong=False)


PART_MAX_WORDS = 40  # a closing paragraph read in part is at most this long
# What a wall's words say, in groups (a vocabulary that reads "register" but not "the rest"
# still says something): the model weighs each group a closing line or block holds
# (``part:<group>``) when nothing reads as a notice.
PART_GROUPS: dict[str, frozenset[str]] = {
    "access": frozenset(ACCESS), "gate": frozenset(GATE), "meter": frozenset({"meter"}),
    "offer": frozenset({"offer"}), "article": frozenset({"article"}), "free": frozenset({"free"}),
}
_PART_WALL = frozenset(ACCESS) | frozenset(GATE) | {"meter", "offer", "free"}


def part_groups(concepts: frozenset[str]) -> tuple[str, ...]:
    """The ``PART_GROUPS`` ``concepts`` holds, when it holds a wall's word (access, what is
    withheld, the meter, an offer, free reading) and no promo's; else ()."""
    if concepts.isdisjoint(_PART_WALL) or not concepts.isdisjoint(_NEGATIVE):
        return ()
    return tuple(g for g, members in PART_GROUPS.items() if not concepts.isdisjoint(members))


def find_tail_part(text: str) -> Notice | None:
    """The text's closing paragraph (after a box's short lines) when it is short and the
    vocabulary reads some of a wall's words in it but not a notice: a wording read in part
    (``strong=False``). The verdict weighs its groups and cuts it only when it finds a wall."""
    m = matcher()
    lines = text.split("\n")
    for index in range(len(lines) - 1, max(-1, len(lines) - 1 - TAIL_PARAGRAPHS), -1):
        line = lines[index].strip()
        if not line:
            continue
        words = count_words(line)
        found = m.concepts(line) if words <= PART_MAX_WORDS else frozenset()
        if _button_or_label(words, found):
            continue  # of the box
        if words > PART_MAX_WORDS or not part_groups(found) or reads_as_notice(found):
            return None  # (a line that reads whole, refused by the notice walk, is a label)
        kept = "\n".join(lines[:index]).rstrip()
        if not kept:
            return None
        notice = "\n".join(lines[index:]).strip()
        return Notice(notice, kept, found, m.hits(notice), strong=False)
    return None


def _rule_notice(text: str, patterns: tuple[re.Pattern[str], ...]) -> Notice | None:
    offset = max(0, len(text) - TAIL_CHARS)
    tail = text[offset:]
    first: re.Match[str] | None = None
    for pattern in patterns:
        hit = pattern.search(tail)
        if hit and (first is None or hit.start() < first.start()):
            first = hit
    if first is None:
        return None
    start = offset + first.start()
    line_start = text.rfind("\n", 0, start) + 1
    sentence = max(text.rfind(". ", line_start, start), text.rfind("! ", line_start, start),
                   text.rfind("? ", line_start, start), text.rfind("… ", line_start, start))
    cut = sentence + 2 if sentence >= line_start else line_start
    para_end = text.find("\n", offset + first.end())
    if para_end == -1:
        para_end = len(text)
    after = text[para_end:]
    end = para_end if len(after.split()) > MAX_WORDS_AFTER_RULE else len(text)
    notice = text[cut:end].strip()
    kept = text[:cut].rstrip()
    if end == para_end and after.strip():
        kept += "\n" + after.lstrip("\n")
    concepts = matcher().concepts(notice)
    return Notice(notice, kept.rstrip(), concepts, matcher().hits(notice), rule=first.group(0),
                  expected_fraction=_fraction(notice, concepts | {"rest"}))


# ---------------------------------------------------------------------------------------------
# Blocks after the body in the DOM
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A visible block right after the body, read for concepts and structure."""

    text: str
    concepts: frozenset[str]
    words: int
    subscription_links: int = 0  # links or buttons to subscription/offer/login/register pages
    login_form: bool = False  # a form with a password field, or an e-mail field and no newsletter
    node: LexborNode | None = field(default=None, compare=False, repr=False)

    @property
    def reads_as_notice(self) -> bool:
        return self.words <= AFTER_MAX_WORDS and reads_as_notice(self.concepts)

    @property
    def asks_for_access(self) -> bool:
        """Asks for a subscription, an account or access, with an offer, a link or a form, and
        is no promo (newsletter, donation, comment, cookie)."""
        c = self.concepts
        if not c.isdisjoint(_NEGATIVE) or c.isdisjoint(_SELLING) or self.words > AFTER_MAX_WORDS:
            return False
        return bool("offer" in c or self.subscription_links or self.login_form
                    or not c.isdisjoint(_GATE))


MAX_BLOCK_CHARS = 2000  # longer blocks are prose or page furniture, never a notice: not read


def read_block(node: LexborNode | None, text: str) -> Block:
    if node is None:
        return _read_block(None, text)
    # The same element is read again when the body's end is looked for elsewhere (the blocks
    # after the paragraph before the last follow it too): remembered for the page (dom.page_memo).
    memo = page_memo(node.parser, "read_block")
    key = (node.mem_id, text)
    block = memo.get(key)
    if block is None:
        block = memo[key] = _read_block(node, text)
    return block


def _read_block(node: LexborNode | None, text: str) -> Block:
    m = matcher()
    words = count_words(text)
    readable = words <= AFTER_MAX_WORDS and len(text) <= MAX_BLOCK_CHARS
    concepts = m.concepts(text) if readable else frozenset()
    links = 0
    form = False
    if node is not None:
        # One query for the fields and the links (the three it stands for, each a walk of the
        # block, cost more): inputs are told apart by their attributes as the selectors
        # input[type=password i], input[type=email i] and input[name*=mail i] would.
        found = node.css(_FIELDS_AND_LINKS)
        fields = [n.attributes for n in found if n.tag == "input"]
        if any(_ascii_lower(f.get("type") or "") == "password" for f in fields):
            form = True
        elif any(_ascii_lower(f.get("type") or "") == "email"
                 or "mail" in _ascii_lower(f.get("name") or "") for f in fields):
            # An e-mail field without a password is a newsletter or alert sign-up.
            concepts = concepts | {"newsletter"}
        for a in [n for n in found if n.tag != "input"][:30]:
            target = a.attributes.get("href") or a.attributes.get("action") or ""
            target = target or a.attributes.get("formaction") or ""
            if target and m.subscription_url(target):
                links += 1
    return Block(text, concepts, words, links, form, node)


_FIELDS_AND_LINKS = "input, a[href], form[action], button[formaction]"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ascii_lower(value: str) -> str:
    """``value`` with its ASCII capitals lowered: how a selector's ``i`` compares."""
    return value.translate(_ASCII_LOWER)


GAP_WORDS = 150  # words of other blocks allowed between the body and a notice "right after" it
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|copyright", re.IGNORECASE)


def after_blocks(chunks: list[tuple[LexborNode | None, str]]) -> list[Block]:
    """The blocks right after the body: at most ``AFTER_BLOCKS``, stopping once ``GAP_WORDS``
    words of other text lie between, and at a copyright line (the page's footer)."""
    out: list[Block] = []
    gap = 0
    for node, text in chunks[:AFTER_BLOCKS]:
        if gap > GAP_WORDS or _COPYRIGHT.search(text):
            break
        block = read_block(node, unicodedata.normalize("NFC", text))
        out.append(block)
        gap += block.words
    return out


# ---------------------------------------------------------------------------------------------
# A notice elsewhere near the body's end (the extractor kept text past it: a byline, a bio)
# ---------------------------------------------------------------------------------------------

_SHORT_TAGS = "p, h2, h3, h4, h5, h6"
NEAR_END_CHARS = 400  # a notice element holds at most this much text
NEAR_END_READ = 30  # short elements after the body's first paragraph that are read


NEAR_END_BEFORE_WORDS = 150  # a notice before the body's last paragraph has fewer words after it


def near_end_notice(region: LexborNode, first_paragraph: str, visible: Callable[[LexborNode], bool],
                    last_paragraph: str = "") -> Block | None:
    """A short visible element in the body's region that reads as a notice and stands after the
    body's first paragraph and near its end: walls put their notice where the served text stops,
    and an extractor may keep a byline or an author's bio after it (at most
    ``NEAR_END_BEFORE_WORDS`` words between the notice and the end of ``last_paragraph``; a
    sentence about subscribers in the middle of an article is prose). Returns its enclosing box
    (the largest ancestor still short enough to be one) as a block."""
    m = matcher()
    shorts = []
    for node in region.css(_SHORT_TAGS)[:400]:
        raw = node.text(deep=True) or ""
        if len(raw) < 12:
            continue  # (collapsing spaces never lengthens a text)
        text = " ".join(raw.split())
        if len(text) > NEAR_END_CHARS or len(text) < 12:
            continue
        shorts.append((node, text))
    readings: dict[int, bool] = {}  # index in shorts -> reads as a notice (each text read once)

    def reads(index: int) -> bool:
        if index not in readings:
            readings[index] = reads_as_notice(m.concepts(shorts[index][1]))
        return readings[index]

    # Only an element whose text reads as a notice is ever returned: when none of them does,
    # the answer is None, and the region's whole text (the costly part) is not needed. (At
    # most twice NEAR_END_READ texts are screened, so a region full of short elements costs no
    # more lexicon reading than the walk below would: a bound on work, not on the answer.)
    if len(shorts) <= 2 * NEAR_END_READ and not any(reads(i) for i in range(len(shorts))):
        return None
    region_text = " ".join((region.text(deep=True, separator=" ") or "").split())
    start = region_text.find(" ".join(first_paragraph.split())[:40]) if first_paragraph else 0
    if start < 0:
        return None
    closing = " ".join(last_paragraph.split())[-40:]
    end = region_text.rfind(closing) + len(closing) if closing else -1
    read = 0
    for index, (node, text) in enumerate(shorts):
        # After the body's first paragraph (a plain substring search, before any reading);
        # at most NEAR_END_READ such elements are read.
        at = region_text.find(text[:40], start + 1)
        if at < 0:
            continue
        read += 1
        if read > NEAR_END_READ:
            break
        if not reads(index) or not visible(node):
            continue
        if end > 0:
            if at < end and len(region_text[at:end].split()) > NEAR_END_BEFORE_WORDS:
                continue  # in the middle of the body: prose that speaks of subscribers
        box = node
        opening = " ".join(first_paragraph.split())[:40]
        while box.parent is not None and box.parent.mem_id != region.mem_id:
            parent_text = " ".join((box.parent.text(deep=True, separator=" ") or "").split())
            if len(parent_text) > 4 * NEAR_END_CHARS or (opening and opening in parent_text):
                break  # a box is short, and it is not the body's own container
            box = box.parent
        box_text = " ".join(shown_text(box).split())
        return read_block(box, unicodedata.normalize("NFC", box_text))
    return None


# ---------------------------------------------------------------------------------------------
# A notice block found in the DOM, taken out of the text
# ---------------------------------------------------------------------------------------------

CUT_TAIL_LINES = 14  # a block in the DOM is cut from at most this many closing lines of the text


def _flat(text: str) -> str:
    return " ".join(text.split())


def own_text(block_text: str, text: str) -> str:
    """``block_text`` without the body it may enclose: a block whose element also holds the
    teaser (a box inside the body's container) starts after the last line of the body's prose
    that it holds (a line of 8+ words that asks for nothing; the box's own lines, which the
    extractor may have kept too, do not count)."""
    flat = _flat(block_text)
    m = matcher()
    seen = 0
    for line in reversed(text.split("\n")):
        line = _flat(line)
        if not line:
            continue
        seen += 1
        if seen > CUT_TAIL_LINES:
            break
        if count_words(line) < 8 or not m.concepts(line).isdisjoint(_ACCESS | _GATE | {"offer"}):
            continue
        at = flat.rfind(line)
        if at >= 0:
            return flat[at + len(line):].strip()
    return flat


def cut_block(text: str, block_text: str) -> str:
    """``text`` without the lines of a notice block found in the DOM: the closing lines
    (at most ``CUT_TAIL_LINES``) whose words all belong to the block. Lines after it that are
    not the block's (a byline, a copyright line the extractor kept) stay."""
    flat = _flat(block_text)
    if not flat:
        return text
    lines = text.split("\n")
    seen = 0
    cut: set[int] = set()
    for index in range(len(lines) - 1, -1, -1):
        line = _flat(lines[index])
        if not line:
            continue
        seen += 1
        if seen > CUT_TAIL_LINES:
            break
        if len(line) >= 2 and line in flat:
            cut.add(index)
    m = matcher()
    for index in range(max(0, len(lines) - CUT_TAIL_LINES * 4), len(lines)):
        # Above the closing lines, only a line that reads as a notice itself goes (the
        # extractor kept a byline, a bio or related links after the wall's sentence).
        line = _flat(lines[index])
        if index not in cut and len(line) >= 20 and line in flat and \
                reads_as_notice(m.concepts(line)):
            cut.add(index)
    if not cut:
        return _cut_inside_a_line(text, lines, flat)
    if len(cut) == seen:
        return text  # nothing but the block: the text is kept
    return "\n".join(line for i, line in enumerate(lines) if i not in cut).strip()


INLINE_MIN_CHARS = 30  # a block's whole text, found inside a longer line of the text


def _cut_inside_a_line(text: str, lines: list[str], flat: str) -> str:
    """The block's whole text taken out of the one line that holds it with other text (the
    extractor ran the lede, the wall's sentence and a caption into one line)."""
    if len(flat) < INLINE_MIN_CHARS or not reads_as_notice(matcher().concepts(flat)):
        return text
    for index in range(len(lines) - 1, -1, -1):
        line = _flat(lines[index])
        at = line.find(flat)
        if at >= 0 and line != flat:
            rest = f"{line[:at].rstrip()} {line[at + len(flat):].lstrip()}".strip()
            if not rest:
                return text
            return "\n".join(lines[:index] + [rest] + lines[index + 1:]).strip()
    return text
