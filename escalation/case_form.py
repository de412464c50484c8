"""The case-closing form, checked against the taxonomy before anything is written.

Every refusal names the field (InvalidField), so the console can point at it. A referral to an
agency records the child's consent; without consent only a supervisor may refer, with a
documented emergency reason (a counsellor cannot override the child's choice).
"""

from __future__ import annotations

from dataclasses import dataclass

from escalation.staff import Forbidden, InvalidField, StaffUser
from escalation.taxonomy import Taxonomy, age_band

MAX_AGE = 120
MAX_OUTCOME_CHARS = 40
MAX_AGENCY_CHARS = 100
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Referral:
    agency: str
    consent: bool
    override_reason: str | None = None


@dataclass(frozen=True)
class CaseForm:
    category: str
    subcategory: str | None
    gender: str
    outcome: str
    age: int | None = None
    age_band: str | None = None
    referral: Referral | None = None


@dataclass(frozen=True)
class CheckedCase:
    category: str
    subcategory: str | None
    gender: str
    age: int | None
    age_band: str
    outcome: str
    referral: Referral | None
    override_by: int | None


def check_case(form: CaseForm, taxonomy: Taxonomy, actor: StaffUser) -> CheckedCase:
    if form.category not in taxonomy.categories:
        raise InvalidField("category", f"unknown category {form.category!r}")
    subcategories = taxonomy.subcategories(form.category)
    subcategory = form.subcategory or None
    if subcategory is not None and subcategory not in subcategories:
        raise InvalidField(
            "subcategory", f"unknown subcategory {subcategory!r} of {form.category!r}"
        )
    if form.gender not in taxonomy.genders:
        raise InvalidField("gender", f"gender must be one of {', '.join(taxonomy.genders)}")
    if taxonomy.outcomes and form.outcome not in taxonomy.outcomes:
        raise InvalidField("outcome", f"outcome must be one of {', '.join(taxonomy.outcomes)}")
    if form.age is not None and not 0 <= form.age <= MAX_AGE:
        raise InvalidField("age", "age must be a whole number of years")
    band = _band(form, taxonomy)
    referral, override_by = _referral(form.referral, actor)
    return CheckedCase(
        category=form.category,
        subcategory=subcategory,
        gender=form.gender,
        age=form.age,
        age_band=band,
        outcome=form.outcome,
        referral=referral,
        override_by=override_by,
    )


def _band(form: CaseForm, taxonomy: Taxonomy) -> str:
    if form.age_band is not None and form.age_band not in taxonomy.age_bands:
        raise InvalidField("age_band", f"age band must be one of {', '.join(taxonomy.age_bands)}")
    if form.age is None:
        return form.age_band or "unknown"
    derived = age_band(form.age)
    if form.age_band not in (None, "unknown", derived):
        raise InvalidField("age_band", f"age {form.age} is in band {derived}, not {form.age_band}")
    return derived


def _referral(referral: Referral | None, actor: StaffUser) -> tuple[Referral | None, int | None]:
    if referral is None:
        return None, None
    agency = (referral.agency or "").strip()
    if not agency or len(agency) > MAX_AGENCY_CHARS:
        raise InvalidField("referral.agency", "name the agency (at most 100 characters)")
    if referral.consent:
        return Referral(agency=agency, consent=True), None
    reason = (referral.override_reason or "").strip()
    if not reason:
        raise InvalidField(
            "referral.override_reason",
            "without the child's consent a referral needs a supervisor's documented reason",
        )
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidField("referral.override_reason", "at most 500 characters")
    if not actor.is_supervisor:
        raise Forbidden("only a supervisor may refer without the child's consent")
    return Referral(agency=agency, consent=False, override_reason=reason), actor.id
