"""Turn templates into varied posts: slot filling, typos, slang, elongations,
hashtags, mentions, emoji, case.

The service name is inserted *after* the noise, so a typo never breaks the
surface form the service catalog matches, and lowercasing never turns the product
"Teams" into the ordinary word "teams". Rendering uses :class:`random.Random`
(fast, and stable across Python versions for a given seed).

>>> from detector.simulate.services import SERVICES
>>> r = Renderer(3)
>>> text = r.outage(SERVICES["Slack"], "messaging")
>>> isinstance(text, str) and len(text) > 10
True
>>> Renderer(3).outage(SERVICES["Slack"], "messaging") == text
True
"""

from __future__ import annotations

import random
import re

from detector.simulate.chatter import CHATTER_BY_KIND, CHATTER_GENERIC, EVERYDAY, NEWS, STATUS
from detector.simulate.phrases import (
    COMPLAINT_BY_KIND,
    COMPLAINT_GENERIC,
    OUTAGE_MULTI,
    OUTAGE_NAMED,
    OUTAGE_UNNAMED,
    VOCAB,
)
from detector.simulate.services import Service

_SLOT = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"[a-z]{4,}")
_S1, _S2 = "\x01", "\x02"  # stand-ins for service names while noise is applied

_SLANG = {
    "you": "u",
    "are": "r",
    "because": "cuz",
    "please": "pls",
    "really": "rly",
    "though": "tho",
    "people": "ppl",
    "with": "w/",
    "tomorrow": "tmrw",
    "minutes": "mins",
    "seriously": "srsly",
    "going to": "gonna",
    "want to": "wanna",
    "don't know": "dunno",
    "I don't": "i dont",
    "can't": "cant",
    "won't": "wont",
    "it's": "its",
    "just": "jus",
}
_ELONGATE = (
    (re.compile(r"\bdown\b"), ("dooown", "doooown", "dowwwn")),
    (re.compile(r"\bso\b"), ("sooo", "soooo")),
    (re.compile(r"\bwhy\b"), ("whyyy", "whyyyy")),
    (re.compile(r"\bplease\b"), ("pleeease", "pleaseee")),
    (re.compile(r"\bno\b"), ("nooo", "noooo")),
    (re.compile(r"\bhelp\b"), ("helppp", "heeelp")),
)
_TAGS_OUTAGE = ("#outage", "#down", "#fail", "#help", "#WFH", "#smh", "#ugh", "#itsnotme")
_TAGS_OTHER = ("#mondays", "#tgif", "#life", "#tech", "#wfh", "#relatable", "#tips")
_OPEN_ANGRY = (
    "ugh",
    "welp",
    "so",
    "ok so",
    "great,",
    "PSA:",
    "not again.",
    "lol",
    "hello??",
    "me again.",
    "day 3 of this:",
    "yikes",
    "oh come on,",
    "why.",
)
_CLOSE_ANGRY = (
    "please fix",
    "pls fix this",
    "what is going on",
    "I have a deadline",
    "send help",
    "this is ridiculous",
    "every single time",
    "on a {day} of all days",
    "fix it",
    "I give up",
    "cool",
)
#: Closers that only make sense when something is broken.
_CLOSE_OUTAGE = (
    "tried everything",
    "restarted twice already",
    "not my wifi, checked",
    "cleared cache, still nothing",
    "status page says all green lol",
)
_OPEN_CALM = (
    "ok",
    "honestly",
    "lowkey",
    "ngl",
    "random thought:",
    "so",
    "hot take:",
    "tbh",
    "PSA:",
)
_CLOSE_CALM = (
    "lol",
    "tbh",
    "10/10",
    "highly recommend",
    "just saying",
    "no notes",
    "that's it that's the post",
    "anyway",
    "happy {day}",
    "thoughts?",
)
_LINK_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LOUD = ("!!", "!!!", "?!", "??", " 😤😤", "...")


class Renderer:
    """Render posts of every kind from the template banks, reproducibly for a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # -- public kinds of post ---------------------------------------------------------------

    def outage(
        self,
        service: Service,
        symptom: str,
        *,
        named: bool = True,
        second: Service | None = None,
    ) -> str:
        """An outage complaint about *service* with *symptom* (naming it or not)."""
        rng = self.rng
        if second is not None:
            template = rng.choice(OUTAGE_MULTI)
        elif named:
            template = rng.choice(_pick(OUTAGE_NAMED[service.kind], symptom))
        else:
            template = rng.choice(_pick(OUTAGE_UNNAMED[service.kind], symptom))
        text = self._noisy(self._fill(template, service), angry=True, outage=True)
        text = self._names(text, service, second)
        if named and service.handles and rng.random() < 0.12:
            handle = rng.choice(service.handles)  # tagging the vendor, as people do
            text = f"{handle} {text}" if rng.random() < 0.5 else f"{text} {handle}"
        return text

    def complaint(self, service: Service) -> str:
        """A complaint that is not an outage (billing, support, changes, policy)."""
        pool = COMPLAINT_BY_KIND[service.kind]
        template = self.rng.choice(pool if self.rng.random() < 0.4 else COMPLAINT_GENERIC)
        return self._names(self._noisy(self._fill(template, service), angry=True), service)

    def chatter(self, service: Service) -> str:
        """A post mentioning *service* that is not a complaint."""
        pool = CHATTER_BY_KIND[service.kind]
        template = self.rng.choice(pool if self.rng.random() < 0.45 else CHATTER_GENERIC)
        text = self._names(self._noisy(self._fill(template, service), angry=False), service)
        if "link in bio" not in text and self.rng.random() < 0.06:
            text = f"{text} {self._link()}"
        return text

    def everyday(self) -> str:
        """A post mentioning no service at all."""
        return self._noisy(self._fill(self.rng.choice(EVERYDAY), None), angry=False)

    def status(self, service: Service, phase: str, ref: str, *, step: int = 0) -> str:
        """An official status post by the vendor (canonical service name, no noise);
        *step* picks the template of a phase in order (updates follow a story)."""
        options = STATUS[phase]
        template = options[(step - 1) % len(options)] if step else self.rng.choice(options)
        return self._fill(template, service, ref=ref).replace(_S1, service.name)

    def news(self, service: Service) -> str:
        """A media report about an outage of *service* (news, not a complaint)."""
        text = self._fill(self.rng.choice(NEWS), service).replace(_S1, service.name)
        if self.rng.random() < 0.7:
            text = f"{text} {self._link()}"
        return text

    def _link(self) -> str:
        """A shortened link as exports show them (random, never a real target)."""
        return "https://t.co/" + "".join(self.rng.choices(_LINK_CHARS, k=10))

    # -- internals ---------------------------------------------------------------------------

    def _fill(self, template: str, service: Service | None, *, ref: str = "") -> str:
        rng = self.rng

        def slot(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "S":
                return _S1
            if key == "S2":
                return _S2
            if key == "P":
                return rng.choice(service.products) if service and service.products else "service"
            if key == "n":
                return str(rng.choice((2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 45)))
            if key == "ref":
                return ref
            return rng.choice(VOCAB[key])

        return _SLOT.sub(slot, template)

    def _noisy(self, text: str, *, angry: bool, outage: bool = False) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            opener = rng.choice(_OPEN_ANGRY if angry else _OPEN_CALM)
            text = f"{self._fill(opener, None)} {text}"
        if rng.random() < 0.3:
            closers = (_CLOSE_ANGRY + _CLOSE_OUTAGE) if outage else _CLOSE_ANGRY
            closer = self._fill(rng.choice(closers if angry else _CLOSE_CALM), None)
            sep = " " if text[-1:] in "?!" else rng.choice((", ", ". ", " - ", " "))
            text = f"{text.rstrip('.')}{sep}{closer}"
        roll = rng.random()
        if roll < 0.22:
            text = text.lower()
        elif roll < 0.25 and angry:
            text = text.upper()
        if rng.random() < 0.2:
            text = _slang(text, rng)
        if rng.random() < 0.1:
            for pattern, longer in _ELONGATE:
                if pattern.search(text):
                    text = pattern.sub(rng.choice(longer), text, count=1)
                    break
        if rng.random() < 0.18:
            text = _typo(text, rng)
        if angry and rng.random() < 0.15:
            text = text.rstrip(".!? ") + rng.choice(_LOUD)
        elif rng.random() < 0.25:
            text = text.rstrip(".")
        if rng.random() < (0.15 if angry else 0.1):
            text = f"{text} {rng.choice(_TAGS_OUTAGE if angry else _TAGS_OTHER)}"
        if rng.random() < 0.2:
            text = f"{text} {rng.choice(VOCAB['bad'] if angry else VOCAB['good'])}"
        if rng.random() < 0.03 and ", " in text:
            text = text.replace(", ", ",\n", 1)
        return " ".join(text.split(" ")).strip()

    def _names(self, text: str, service: Service, second: Service | None = None) -> str:
        while _S1 in text:
            text = text.replace(_S1, self._form(service), 1)
        if second is not None:
            text = text.replace(_S2, self._form(second))
        return text

    def _form(self, service: Service) -> str:
        forms = list(service.forms)
        return self.rng.choices(forms, weights=list(service.forms.values()))[0]


def _pick(by_symptom: dict[str, tuple[str, ...]], symptom: str) -> tuple[str, ...]:
    if symptom in by_symptom:
        return by_symptom[symptom]
    return next(iter(by_symptom.values()))


def _slang(text: str, rng: random.Random) -> str:
    for word, short in _SLANG.items():
        if word in text and rng.random() < 0.5:
            text = re.sub(rf"\b{re.escape(word)}\b", short, text)
    return text


def _typo(text: str, rng: random.Random) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    m = rng.choice(words)
    w = m.group(0)
    i = rng.randrange(1, len(w) - 1)
    kind = rng.random()
    if kind < 0.4:
        w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]  # swap two letters
    elif kind < 0.7:
        w = w[:i] + w[i + 1 :]  # drop a letter
    else:
        w = w[:i] + w[i] + w[i:]  # double a letter
    return text[: m.start()] + w + text[m.end() :]


__all__ = ["Renderer"]
