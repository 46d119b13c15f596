"""The compensation policy as data, and the pure decision of a report's tentative tier.

A policy is a TOML file (see ``flows/policies/kakao_1015.toml``, the default). It is
loaded and validated once at start-up; every problem is reported with the file and
the key at fault, so a staff member editing the file knows what to fix.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.errors import PolicyError
from flows.limits import MESSAGES_PER_HOUR, Limits

LANGS = ("ko", "en")
DEFAULT_POLICY = Path(__file__).with_name("policies") / "kakao_1015.toml"
BOUNDARY_RULES = ("upper_inclusive", "upper_exclusive")
TIER_KINDS = ("cash", "review", "terms", "package")
BILLINGS = ("free", "paid", "both")
RULE_KEYS = ("reporter_type", "paid", "monetary")
KST = dt.timezone(dt.timedelta(hours=9), "KST")


@dataclass(frozen=True)
class Text:
    """A text in every supported language."""

    ko: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.ko


@dataclass(frozen=True)
class ReporterType:
    id: str
    name: Text


@dataclass(frozen=True)
class Service:
    id: str
    name: Text
    billing: str  # "free" | "paid" | "both"
    substitutes: tuple[Text, ...] = ()
    other: bool = False  # the user types the service name


@dataclass(frozen=True)
class Tier:
    id: str
    kind: str  # "cash" | "review" | "terms" | "package"
    text: Text
    support: int | None = None  # KRW, for cash tiers
    needs_evidence: bool = False
    documents: tuple[Text, ...] = ()
    name: Text | None = None  # for staff, where two tiers share the reporter's one-line name


@dataclass(frozen=True)
class Bracket:
    up_to: int
    tier: str


@dataclass(frozen=True)
class Rule:
    """When every key of ``when`` equals the answer, this rule decides the tier."""

    when: tuple[tuple[str, Any], ...]
    tier: str | None = None
    brackets: tuple[Bracket, ...] = ()
    above: str | None = None

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return all(facts.get(key) == value for key, value in self.when)


@dataclass(frozen=True)
class Window:
    """A claim window for some reporter types; both dates inclusive, Korean time."""

    reporter_types: tuple[str, ...]
    opens: dt.date
    closes: dt.date


@dataclass(frozen=True)
class ChannelCash:
    reporter_types: tuple[str, ...]
    support: int
    text: Text
    # Damaged services that mean the reporter runs a Channel (not asked, recorded as yes).
    implied_by_services: tuple[str, ...] = ()

    def implied(self, answers: Mapping[str, Any]) -> bool:
        """Whether these answers already say the reporter runs a Channel."""
        return (
            answers.get("reporter_type") in self.reporter_types
            and answers.get("service") in self.implied_by_services
        )


@dataclass(frozen=True)
class Policy:
    """A validated compensation policy."""

    id: str
    name: Text
    boundary: str
    amount_cap: int
    reporter_types: tuple[ReporterType, ...]
    services: tuple[Service, ...]
    tiers: Mapping[str, Tier]
    rules: tuple[Rule, ...]
    channel_cash: ChannelCash | None
    package: Text
    windows: tuple[Window, ...] = ()
    contact: Text | None = None  # how to reach staff with a question about a decision
    limits: Limits = field(default_factory=Limits)  # per person: reports, bytes of files

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def reporter_type(self, type_id: str) -> ReporterType | None:
        return next((r for r in self.reporter_types if r.id == type_id), None)

    def window_for(self, reporter_type: str, now: dt.datetime) -> WindowState:
        """Tell whether reports of this type are accepted at ``now``."""
        mine = [w for w in self.windows if reporter_type in w.reporter_types]
        if not mine:
            return WindowState(open=True)
        today = now.astimezone(KST).date()
        if any(w.opens <= today <= w.closes for w in mine):
            return WindowState(open=True)
        upcoming = sorted(w.opens for w in mine if w.opens > today)
        if upcoming:
            return WindowState(open=False, opens=upcoming[0])
        return WindowState(open=False, closed_on=max(w.closes for w in mine))


@dataclass(frozen=True)
class WindowState:
    open: bool
    opens: dt.date | None = None  # the next opening, when not yet open
    closed_on: dt.date | None = None  # the last closing, when all have closed


@dataclass(frozen=True)
class TierDecision:
    """The tentative outcome of a report, as the policy reads its answers."""

    tier: Tier
    channel_cash: ChannelCash | None
    substitutes: tuple[Text, ...]

    @property
    def needs_evidence(self) -> bool:
        return self.tier.needs_evidence


def decide_tier(answers: Mapping[str, Any], policy: Policy) -> TierDecision:
    """Return the tentative tier for a report's answers.

    ``answers`` needs ``reporter_type``, ``paid`` and ``monetary``; ``amount`` where
    a bracket rule applies (without one, the rule's ``above`` tier is the answer,
    which is the cautious one), ``has_channel`` for the Channel cash (a service in
    ``channel_cash.implied_by_services`` counts as yes) and ``service`` for the
    substitutes.
    """
    facts = {
        "reporter_type": answers.get("reporter_type"),
        "paid": bool(answers.get("paid")),
        "monetary": bool(answers.get("monetary")),
    }
    for rule in policy.rules:
        if not rule.matches(facts):
            continue
        tier_id = rule.tier or _bracket_tier(rule, answers.get("amount"), policy.boundary)
        break
    else:  # validation guarantees a catch-all rule; this keeps the function total
        raise PolicyError(f"policy {policy.id}: no rule matches {facts}")
    channel = policy.channel_cash
    gets_channel_cash = (
        channel is not None
        and (bool(answers.get("has_channel")) or channel.implied(answers))
        and facts["reporter_type"] in channel.reporter_types
    )
    service = policy.service(answers.get("service", ""))
    return TierDecision(
        tier=policy.tiers[tier_id],
        channel_cash=channel if gets_channel_cash else None,
        substitutes=service.substitutes if service else (),
    )


def _bracket_tier(rule: Rule, amount: int | None, boundary: str) -> str:
    assert rule.above is not None
    if amount is None:
        return rule.above
    for bracket in rule.brackets:
        inside = (
            amount <= bracket.up_to if boundary == "upper_inclusive" else amount < bracket.up_to
        )
        if inside:
            return bracket.tier
    return rule.above


# -- loading and validation ----------------------------------------------------------


def load_policy(path: Path | str | None = None) -> Policy:
    """Read and validate a policy file (the 1015 policy when ``path`` is None)."""
    path = Path(path) if path else DEFAULT_POLICY
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise PolicyError(f"policy file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_policy(raw)
    except PolicyError as exc:
        raise PolicyError(f"{path}: {exc}") from None


def parse_policy(raw: Mapping[str, Any]) -> Policy:
    """Validate a policy already read from TOML; raise PolicyError naming the bad key."""
    head = _table(raw, "policy")
    boundary = head.get("boundary")
    if boundary not in BOUNDARY_RULES:
        raise PolicyError(f"policy.boundary must be one of {BOUNDARY_RULES}, got {boundary!r}")
    cap = head.get("amount_cap")
    if not isinstance(cap, int) or cap <= 0:
        raise PolicyError("policy.amount_cap must be a positive integer (KRW)")

    reporter_types = tuple(
        ReporterType(
            id=_str(r, "id", f"reporter_types[{i}]"), name=_text(r, f"reporter_types[{i}]")
        )
        for i, r in enumerate(_list(raw, "reporter_types"))
    )
    type_ids = _unique([r.id for r in reporter_types], "reporter_types")

    services = tuple(_service(s, i) for i, s in enumerate(_list(raw, "services")))
    _unique([s.id for s in services], "services")
    if sum(s.other for s in services) != 1:
        raise PolicyError("services: exactly one service must have other = true")

    tiers = {key: _tier(key, value) for key, value in _table(raw, "tiers").items()}
    rules = tuple(_rule(r, i, tiers, type_ids) for i, r in enumerate(_list(raw, "rules")))
    if not rules or rules[-1].when:
        raise PolicyError(
            "rules: the last rule must have an empty `when` so every report gets a tier"
        )

    channel_cash = None
    if "channel_cash" in raw:
        cc = _table(raw, "channel_cash")
        implied = cc.get("implied_by_services", [])
        service_ids = {s.id for s in services}
        if not isinstance(implied, list) or any(i not in service_ids for i in implied):
            raise PolicyError("channel_cash.implied_by_services must list services of the policy")
        channel_cash = ChannelCash(
            reporter_types=_known_types(cc.get("reporter_types"), type_ids, "channel_cash"),
            support=_positive(cc, "support", "channel_cash"),
            text=_text(cc, "channel_cash", key="text"),
            implied_by_services=tuple(implied),
        )
    contact = _text(_table(raw, "contact"), "contact", key="text") if "contact" in raw else None

    windows = tuple(_window(w, i, type_ids) for i, w in enumerate(raw.get("windows", [])))
    limits = _limits(_table(raw, "limits")) if "limits" in raw else Limits()

    return Policy(
        id=_str(head, "id", "policy"),
        name=_text(head, "policy"),
        boundary=boundary,
        amount_cap=cap,
        reporter_types=reporter_types,
        services=services,
        tiers=tiers,
        rules=rules,
        channel_cash=channel_cash,
        package=_text(_table(raw, "package"), "package", key="text"),
        windows=windows,
        contact=contact,
        limits=limits,
    )


def _limits(raw: Mapping[str, Any]) -> Limits:
    """``[limits]``: ``max_cases_per_user``, ``max_evidence_mb_per_user`` and
    ``max_messages_per_hour`` (messages to staff; 10 when not given), each optional."""
    values = {}
    for key in ("max_cases_per_user", "max_evidence_mb_per_user", "max_messages_per_hour"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise PolicyError(f"limits.{key} must be a positive integer, got {value!r}")
        values[key] = value
    unknown = set(raw) - set(values)
    if unknown:
        raise PolicyError(f"limits: unknown keys {sorted(unknown)}")
    mb = values["max_evidence_mb_per_user"]
    return Limits(
        max_cases=values["max_cases_per_user"],
        max_evidence_bytes=mb * 1024 * 1024 if mb is not None else None,
        max_messages_per_hour=values["max_messages_per_hour"] or MESSAGES_PER_HOUR,
    )


def _service(raw: Mapping[str, Any], i: int) -> Service:
    where = f"services[{i}]"
    billing = raw.get("billing")
    if billing not in BILLINGS:
        raise PolicyError(f"{where}.billing must be one of {BILLINGS}, got {billing!r}")
    return Service(
        id=_str(raw, "id", where),
        name=_text(raw, where),
        billing=billing,
        substitutes=tuple(
            _text_value(s, f"{where}.substitutes[{j}]")
            for j, s in enumerate(raw.get("substitutes", []))
        ),
        other=bool(raw.get("other", False)),
    )


def _tier(key: str, raw: Any) -> Tier:
    where = f"tiers.{key}"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where} must be a table")
    kind = raw.get("kind")
    if kind not in TIER_KINDS:
        raise PolicyError(f"{where}.kind must be one of {TIER_KINDS}, got {kind!r}")
    support = raw.get("support")
    if kind == "cash":
        support = _positive(raw, "support", where)
    elif support is not None:
        raise PolicyError(f"{where}.support is only for cash tiers")
    return Tier(
        id=key,
        kind=kind,
        text=_text(raw, where, key="text"),
        support=support,
        needs_evidence=bool(raw.get("needs_evidence", False)),
        documents=tuple(
            _text_value(d, f"{where}.documents[{j}]")
            for j, d in enumerate(raw.get("documents", []))
        ),
        name=_text(raw, where) if "name" in raw else None,
    )


def _rule(raw: Mapping[str, Any], i: int, tiers: Mapping[str, Tier], type_ids: set[str]) -> Rule:
    where = f"rules[{i}]"
    when = raw.get("when", {})
    if not isinstance(when, Mapping):
        raise PolicyError(f"{where}.when must be a table")
    for key, value in when.items():
        if key not in RULE_KEYS:
            raise PolicyError(f"{where}.when.{key}: unknown key (use {RULE_KEYS})")
        if key == "reporter_type" and value not in type_ids:
            raise PolicyError(f"{where}.when.reporter_type: unknown type {value!r}")
        if key in ("paid", "monetary") and not isinstance(value, bool):
            raise PolicyError(f"{where}.when.{key} must be true or false")

    def known(tier_id: object, key: str) -> str:
        if tier_id not in tiers or not isinstance(tier_id, str):
            raise PolicyError(f"{where}.{key}: unknown tier {tier_id!r}")
        return tier_id

    if "tier" in raw:
        if "brackets" in raw or "above" in raw:
            raise PolicyError(f"{where}: use either `tier` or `brackets` + `above`, not both")
        return Rule(when=tuple(when.items()), tier=known(raw["tier"], "tier"))
    brackets = tuple(
        Bracket(
            up_to=_positive(b, "up_to", f"{where}.brackets[{j}]"),
            tier=known(b.get("tier"), f"brackets[{j}].tier"),
        )
        for j, b in enumerate(raw.get("brackets", []))
    )
    if not brackets:
        raise PolicyError(f"{where}: needs `tier` or `brackets`")
    bounds = [b.up_to for b in brackets]
    if bounds != sorted(set(bounds)):
        raise PolicyError(f"{where}.brackets: up_to must strictly increase")
    return Rule(when=tuple(when.items()), brackets=brackets, above=known(raw.get("above"), "above"))


def _window(raw: Mapping[str, Any], i: int, type_ids: set[str]) -> Window:
    where = f"windows[{i}]"
    opens, closes = _date(raw, "opens", where), _date(raw, "closes", where)
    if opens > closes:
        raise PolicyError(f"{where}: opens {opens} is after closes {closes}")
    return Window(
        reporter_types=_known_types(raw.get("reporter_types"), type_ids, where),
        opens=opens,
        closes=closes,
    )


def _date(raw: Mapping[str, Any], key: str, where: str) -> dt.date:
    value = raw.get(key)
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise PolicyError(f"{where}.{key} must be a date like 2023-01-30")
    return value


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise PolicyError(f"[{key}] table is missing")
    return value


def _list(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        raise PolicyError(f"[[{key}]] must list at least one entry")
    return value


def _str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}.{key} must be a non-empty string")
    return value


def _positive(raw: Mapping[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise PolicyError(f"{where}.{key} must be a positive integer")
    return value


def _text(raw: Mapping[str, Any], where: str, key: str = "name") -> Text:
    return _text_value(raw.get(key), f"{where}.{key}")


def _text_value(value: Any, where: str) -> Text:
    if not isinstance(value, Mapping) or not all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGS
    ):
        raise PolicyError(f"{where} needs a text in each of {LANGS}")
    return Text(ko=value["ko"], en=value["en"])


def _unique(ids: list[str], where: str) -> set[str]:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise PolicyError(f"{where}: id {item!r} appears twice")
        seen.add(item)
    return seen


def _known_types(value: Any, type_ids: set[str], where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise PolicyError(f"{where}.reporter_types must list reporter types")
    unknown = [v for v in value if v not in type_ids]
    if unknown:
        raise PolicyError(f"{where}.reporter_types: unknown {unknown}")
    return tuple(value)
