"""The editor's report's rules: each a small function over the briefing's claims and
sources (claims.py) that yields findings, and the words they go by, kept here as data.

How a sentence is read (general rules, not a model of language):
- factual: a sentence that is not a question, has at least MIN_FACT_WORDS words, and is
  neither about the briefing itself (SELF_REFERENCE: "this briefing", "we", "our") nor a
  pointer to another page ("See ...");
- attributed: it says whose claim it is, by an attribution verb in any form
  (ATTRIBUTION_VERBS: "says", "argued", "according to", ...), or by naming a source
  (SOURCE_NOUNS: "the report", "an opinion piece"; or the outlet or author of a source it
  cites). A sentence that is factual and not attributed is in the briefing's own voice;
- dated: the newest date it names ("24 February 2022", "February 2023", "2014").
A plain page (content/pages/) that cites no source is about the site, not the news, and is
not read as claims.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from ..models import MONTH_NAMES, SOURCE_KINDS, Page, PartialDate, Source
from .claims import Claim, Sentence

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")
SOURCES_FILE = "seeds/sources.yaml"

MIN_FACT_WORDS = 3
MAX_SOURCE_SHARE = 0.6  # a topic drawing more of its citations from one source is flagged

ATTRIBUTION_VERBS = frozenset(
    """say tell write argue call report claim contend assert describe note recall quote cite
    accuse warn insist add state suggest believe criticise criticize allege maintain dismiss
    reject deny deem label refer paraphrase answer retort speculate reiterate emphasise
    emphasize acknowledge admit announce explain conclude estimate predict urge condemn blame
    recommend caution attribute mention express see read think consider speak ask reply
    respond confirm stress contrast characterise characterize question doubt""".split()
)
IRREGULAR_FORMS = frozenset(
    "said told wrote written thought saw seen spoke spoken read put".split()
)
ATTRIBUTION_PHRASES = ("according to", "inferred from", "in the words of", "as reported by")
SOURCE_NOUNS = frozenset(
    """source sources report reports article articles piece pieces editorial editorials
    explainer op-ed column commentary outlet newspaper agency note""".split()
)
SELF_REFERENCE = re.compile(
    r"\b(?:[Tt]his|[Tt]hese) (?:briefing|page|pages|site|section|timeline)\b|\b(?:[Ww]e|[Oo]urs?)\b"
)
QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')
NAVIGATION = re.compile(r"^(?:see|read more)\b", re.IGNORECASE)
UNDATED_WORDS = ("undated", "no date", "not dated", "date is not known", "date unknown")
CONCLUSION = re.compile(r"\b(?:so|therefore|thus|hence)\b", re.IGNORECASE)
KIND_WORD = re.compile(r"\b(" + "|".join(SOURCE_KINDS) + r")\b", re.IGNORECASE)
KIND_CLAUSE = re.compile(r"\bKind:\s*(.*?)(?:[.;]\s+[A-Z][A-Za-z ,]{0,40}:\s|$)", re.DOTALL)

_MONTHS = {name.casefold(): n for n, name in enumerate(MONTH_NAMES, 1)}
_MONTHS.update({name[:3].casefold(): n for name, n in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})\s+" + _MONTH + r"\s+(\d{4})\b", re.IGNORECASE), "dmy"),
    (re.compile(r"\b" + _MONTH + r"\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE), "mdy"),
    (re.compile(r"\b" + _MONTH + r"\s+(\d{4})\b", re.IGNORECASE), "my"),
    (re.compile(r"(?<![$\w])(1[89]\d\d|20\d\d)\b"), "y"),
)


def _forms(verb: str) -> set[str]:
    """A verb's regular forms: say, says, said is irregular (IRREGULAR_FORMS)."""
    stem = verb[:-1]
    return (
        {verb, verb + "s", verb + "es", verb + "ed", verb + "d", verb + "ing"}
        | ({stem + "ies", stem + "ied"} if verb.endswith("y") else set())
        | ({stem + "ing"} if verb.endswith("e") else set())
    )


ATTRIBUTION_WORDS = (
    frozenset(form for verb in ATTRIBUTION_VERBS for form in _forms(verb)) | IRREGULAR_FORMS
)
_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class Finding:
    """One entry of the report: where, how serious, which rule, and why (one line)."""

    level: Level
    file: str
    line: int | None
    rule: str
    message: str
    hint: str = ""  # a build problem's hint (a rule says what to do in its message)

    @property
    def order(self) -> tuple[int, str, int, str, str]:
        return (LEVELS.index(self.level), self.file, self.line or 0, self.rule, self.message)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.level}: {self.message} [{self.rule}]"
        return text + (f"\n    hint: {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class Briefing:
    """What the rules read: the claims of the reported pages and the timeline, the sources,
    and what the build's checks resolved (where each quote is, who cites what)."""

    claims: tuple[Claim, ...]
    sources: tuple[Source, ...]
    topics: tuple[Page, ...]
    cited: dict[str, int]  # source id -> citations anywhere in the site
    page_citations: dict[str, tuple[str, ...]]  # topic path -> cited source ids, in order
    spans: dict[tuple[str, str], tuple[int, int, int]]  # (source, passage) -> where it is


# -- how a sentence reads -------------------------------------------------------------------


def own_words(text: str) -> str:
    """The text without what it quotes: quoted words are the source's, not the briefing's."""
    return QUOTED.sub(" ", text)


def is_factual(sentence: Sentence) -> bool:
    """A statement of fact: not a question, not about the briefing, not a pointer."""
    own = own_words(sentence.text)
    return (
        not sentence.text.rstrip("\"'\u201d\u2019) ").endswith("?")
        and len(sentence.text.split()) >= MIN_FACT_WORDS
        and not SELF_REFERENCE.search(own)
        and not NAVIGATION.match(own)
    )


def is_attributed(sentence: Sentence, sources: Iterable[Source] = ()) -> bool:
    """The sentence says whose claim it is: a verb of saying, a phrase such as "according
    to", a source named as one ("the report"), or the outlet or author of a source."""
    lowered = own_words(sentence.text).casefold()
    words = set(_WORD.findall(lowered))
    if words & ATTRIBUTION_WORDS or words & SOURCE_NOUNS:
        return True
    if any(phrase in lowered for phrase in ATTRIBUTION_PHRASES):
        return True
    names = {n.casefold() for s in sources for n in (s.outlet, s.author) if n}
    return any(name in lowered for name in names)


def own_voice(sentence: Sentence, claim: Claim) -> bool:
    """A factual sentence that does not say whose claim it is."""
    return is_factual(sentence) and not is_attributed(sentence, claim.sources)


def named_dates(text: str) -> list[PartialDate]:
    """Every date the text names, most precise reading first (a day, a month, a year)."""
    found: list[PartialDate] = []
    for pattern, shape in DATE_PATTERNS:
        for match in pattern.finditer(text):
            date = _date(match.groups(), shape)
            if date:
                found.append(date)
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return found


def _date(groups: tuple[str, ...], shape: str) -> PartialDate | None:
    try:
        if shape == "ymd":
            return PartialDate(int(groups[0]), int(groups[1]), int(groups[2]))
        if shape == "dmy":
            return PartialDate(int(groups[2]), _MONTHS[groups[1].casefold()], int(groups[0]))
        if shape == "mdy":
            return PartialDate(int(groups[2]), _MONTHS[groups[0].casefold()], int(groups[1]))
        if shape == "my":
            return PartialDate(int(groups[1]), _MONTHS[groups[0].casefold()], precision="month")
        return PartialDate(int(groups[0]), precision="year")
    except (KeyError, ValueError):
        return None


def starts(date: PartialDate) -> tuple[int, int, int]:
    """The first day a partial date may mean."""
    return (
        date.year,
        1 if date.precision == "year" else date.month,
        date.day if date.precision == "day" else 1,
    )


def ends(date: PartialDate) -> tuple[int, int, int]:
    """The last day a partial date may mean (a month's last day as 31: only compared)."""
    return (
        date.year,
        12 if date.precision == "year" else date.month,
        date.day if date.precision == "day" else 31,
    )


def written_before(source: Source, date: PartialDate) -> bool:
    """The source was certainly written before the date (so it cannot report it)."""
    return source.date is not None and ends(source.date) < starts(date)


def _short(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


# -- the rules -------------------------------------------------------------------------------

Rule = Callable[[Briefing], Iterator[Finding]]


def uncited_fact(briefing: Briefing) -> Iterator[Finding]:
    """A paragraph or list item that states a fact and cites nothing."""
    for claim in briefing.claims:
        if claim.kind == "event" or any(s.markers for s in claim.sentences):
            continue
        facts = [s for s in claim.sentences if is_factual(s)]
        if facts:
            yield Finding(
                "warning",
                claim.file,
                facts[0].line,
                "uncited-fact",
                f'{claim.kind} states a fact with no citation: "{_short(facts[0].text)}"; '
                "cite the source that says it",
            )


def thin_claim(briefing: Briefing) -> Iterator[Finding]:
    """A claim resting on one source, or on opinion pieces only, told in the briefing's
    own voice instead of as what that source says."""
    for claim in briefing.claims:
        sources = claim.sources
        if not sources:
            continue
        if len(sources) == 1:
            basis = f"one source only ({sources[0].id})"
        elif all(s.is_opinion for s in sources):
            basis = "opinion and editorial sources only"
        else:
            continue
        told = [s for s in claim.sentences if own_voice(s, claim)]
        if told:
            yield Finding(
                "warning",
                claim.file,
                told[0].line,
                "thin-claim",
                f'{claim.kind} rests on {basis} but states as fact: "{_short(told[0].text)}"; '
                'say whose claim it is ("the report says")',
            )


def opinion_as_fact(briefing: Briefing) -> Iterator[Finding]:
    """A sentence in the briefing's own voice whose only sources are opinion pieces."""
    for claim in briefing.claims:
        for sentence in claim.sentences:
            sources = sentence.sources
            if sources and all(s.is_opinion for s in sources) and own_voice(sentence, claim):
                kinds = " and ".join(sorted({s.kind for s in sources}))
                yield Finding(
                    "warning",
                    claim.file,
                    sentence.line,
                    "opinion-as-fact",
                    f"states as fact what only {kinds} sources say "
                    f'({", ".join(s.id for s in sources)}): "{_short(sentence.text)}"; '
                    'attribute it ("the piece argues")',
                )


def cited_self_reference(briefing: Briefing) -> Iterator[Finding]:
    """A sentence about the briefing itself that cites a source, as if the source said it."""
    for claim in briefing.claims:
        for sentence in claim.sentences:
            if sentence.markers and SELF_REFERENCE.search(own_words(sentence.text)):
                yield Finding(
                    "warning",
                    claim.file,
                    sentence.line,
                    "cited-self-reference",
                    "a sentence about the briefing itself cites a source: "
                    f'"{_short(sentence.text)}"; move the citation to the sentence the source '
                    "supports",
                )


def out_of_date_order(briefing: Briefing) -> Iterator[Finding]:
    """A source cited for an event after it was written, or an undated source cited in a
    dated narrative (a timeline event, a sentence naming a date)."""
    for claim in briefing.claims:
        if claim.event:
            yield from _event_dates(claim)
        else:
            for sentence in claim.sentences:
                yield from _sentence_dates(claim, sentence)


def _event_dates(claim: Claim) -> Iterator[Finding]:
    assert claim.event is not None
    date = claim.event.date
    for source in claim.sources:
        if source.date is None:
            yield Finding(
                "warning",
                claim.file,
                claim.line,
                "date-order",
                f"event of {date.display} cites {source.id}, whose date is unknown; "
                "cite a dated source, or leave the undated one out of the timeline",
            )
        elif written_before(source, date):
            yield Finding(
                "warning",
                claim.file,
                claim.line,
                "date-order",
                f"event of {date.display} cites {source.id}, written earlier "
                f"({source.date.display}); cite a source from after the event",
            )


def _sentence_dates(claim: Claim, sentence: Sentence) -> Iterator[Finding]:
    sources = sentence.sources
    dates = named_dates(sentence.text)
    if not sources or not dates:
        return
    newest = max(dates, key=starts)
    if all(s.date is None for s in sources):
        if not any(word in sentence.text.casefold() for word in UNDATED_WORDS):
            yield Finding(
                "warning",
                claim.file,
                sentence.line,
                "date-order",
                f"names {newest.display} but cites only undated sources "
                f"({', '.join(s.id for s in sources)}); say the source is undated, or "
                "cite a dated one",
            )
    elif all(written_before(s, newest) for s in sources):
        yield Finding(
            "warning",
            claim.file,
            sentence.line,
            "date-order",
            f"names {newest.display} but cites only sources written before it "
            f"({', '.join(s.id for s in sources)}); cite a source from after it",
        )


def uncited_source(briefing: Briefing) -> Iterator[Finding]:
    """A source no page cites."""
    for source in briefing.sources:
        if not briefing.cited.get(source.id):
            yield Finding(
                "info",
                SOURCES_FILE,
                source.line,
                "uncited-source",
                f"source {source.id} is never cited; cite it or remove it",
            )


def unknown_metadata(briefing: Briefing) -> Iterator[Finding]:
    """A source whose date, outlet or author is not known (readers are told so)."""
    for source in briefing.sources:
        missing = [name for name in ("date", "outlet", "author") if not getattr(source, name)]
        if missing:
            yield Finding(
                "info",
                SOURCES_FILE,
                source.line,
                "unknown-metadata",
                f"source {source.id}: {', '.join(missing)} unknown; fill in what its text "
                "or page says, if anything",
            )


def kind_against_note(briefing: Briefing) -> Iterator[Finding]:
    """A source whose kind is not the one its own note concludes ("Kind: ..., so opinion")."""
    for source in briefing.sources:
        concluded = note_kind(source.note or "")
        if concluded and concluded != source.kind:
            yield Finding(
                "warning",
                SOURCES_FILE,
                source.line,
                "kind-against-note",
                f"source {source.id} is '{source.kind}' but its note's reasoning makes it "
                f"'{concluded}'; change the kind or the note",
            )


def note_kind(note: str) -> str | None:
    """The kind a note's "Kind:" clause concludes: the first kind named after its last "so"
    (or "therefore", "thus", "hence"), else the one kind it names; None if it cannot tell."""
    match = KIND_CLAUSE.search(" ".join(note.split()))
    if not match:
        return None
    clause = match.group(1)
    conclusions = list(CONCLUSION.finditer(clause))
    if conclusions:
        after = KIND_WORD.search(clause, conclusions[-1].end())
        if after:
            return after.group(1).casefold()
    named = {word.casefold() for word in KIND_WORD.findall(clause)}
    return named.pop() if len(named) == 1 else None


def repeated_passage(briefing: Briefing) -> Iterator[Finding]:
    """One sentence citing the same passage of a source twice."""
    for claim in briefing.claims:
        for sentence in claim.sentences:
            seen: list[tuple[str, tuple[int, int, int]]] = []
            for cited in sentence.cited:
                span = briefing.spans.get((cited.source.id, cited.passage_id or ""))
                if span is None:
                    continue
                if any(sid == cited.source.id and _overlap(span, other) for sid, other in seen):
                    yield Finding(
                        "warning",
                        claim.file,
                        sentence.line,
                        "repeated-passage",
                        f"cites the same passage of {cited.source.id} twice in one sentence; "
                        "keep one citation",
                    )
                    break
                seen.append((cited.source.id, span))


def _overlap(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Two located quotes share text (the same block, overlapping characters)."""
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def repeated_number(briefing: Briefing) -> Iterator[Finding]:
    """Citations side by side, written as separate `[@...]`, citing one source: the page
    shows its number twice ("2 2"). (One `[@...]` citing a source twice shows one number.)"""
    for claim in briefing.claims:
        for sentence in claim.sentences:
            for marker in sentence.markers:
                groups: dict[str, set[int]] = {}
                for cited in marker:
                    groups.setdefault(cited.source.id, set()).add(cited.group)
                twice = [sid for sid, found in groups.items() if len(found) > 1]
                if twice:
                    yield Finding(
                        "info",
                        claim.file,
                        sentence.line,
                        "repeated-number",
                        f"citations side by side cite {', '.join(twice)} in separate "
                        '[@...], so the page shows the same number twice ("2 2"); put the '
                        "quotes in one [@...] (the page then shows one number for both)",
                    )


def one_source_topic(briefing: Briefing) -> Iterator[Finding]:
    """A topic whose citations come mostly from one source."""
    for topic in briefing.topics:
        cited = briefing.page_citations.get(topic.path, ())
        if not cited:
            continue
        source_id, count = Counter(cited).most_common(1)[0]
        share = count / len(cited)
        if share > MAX_SOURCE_SHARE:
            yield Finding(
                "info",
                topic.path,
                1,
                "one-source-topic",
                f"{share:.0%} of the page's {len(cited)} citations are to {source_id}; say so "
                "at the top of the page, or draw on other sources",
            )


RULES: dict[str, Rule] = {
    "uncited-fact": uncited_fact,
    "thin-claim": thin_claim,
    "opinion-as-fact": opinion_as_fact,
    "cited-self-reference": cited_self_reference,
    "date-order": out_of_date_order,
    "uncited-source": uncited_source,
    "unknown-metadata": unknown_metadata,
    "kind-against-note": kind_against_note,
    "repeated-passage": repeated_passage,
    "repeated-number": repeated_number,
    "one-source-topic": one_source_topic,
}


def run_rules(briefing: Briefing, rules: dict[str, Rule] = RULES) -> list[Finding]:
    """Every rule's findings, most serious first, then by file and line."""
    return sorted((f for rule in rules.values() for f in rule(briefing)), key=lambda f: f.order)
