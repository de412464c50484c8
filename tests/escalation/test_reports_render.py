"""The report's shape, the CHI mapping, small-cell suppression and every rendering; built from
grouped counts, no database needed."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from escalation.reports import Counts, build_report, default_taxonomy, render, suppress
from escalation.reports.taxonomy import load_taxonomy, unmapped
from escalation.reports.texts import LANGUAGES, texts

TAXONOMY = default_taxonomy()


def make_report(kind: str = "default", extra_topics: dict | None = None):
    topics = {
        ("psychological", None, "female", "15-18", True): 1605,
        ("social", "shelter", "male", "11-14", True): 168,
        ("social", "suicidal_thoughts", "female", "15-18", True): 76,
        ("violence", "sexual", "anonymous", "0-10", True): 3,
        ("violence", "domestic", "female", "11-14", True): 40,
        ("other", "service_info", "anonymous", "unknown", False): 12,
        **(extra_topics or {}),
    }
    total = sum(topics.values())
    return build_report(
        Counts(topics=topics, channels_months={("phone", "2025-02"): total}),
        TAXONOMY,
        period_from=date(2025, 1, 1),
        period_to=date(2025, 3, 31),
        kind=kind,
    )


def test_json_has_the_published_keys_and_shape():
    document = json.loads(render(make_report(), "json"))
    for key in ("total", "by_category", "by_gender", "by_age_band", "by_channel", "by_month"):
        assert key in document
    assert {"counselling", "non_counselling"} <= set(document)
    assert document["by_category"]["social"] == {
        "total": 244,
        "subcategories": {"shelter": 168, "suicidal_thoughts": 76, "other": 0},
    }
    assert document["by_category"]["legal"] == {"total": 0, "subcategories": {}}
    assert list(document["by_gender"]) == ["female", "male", "anonymous"]
    assert list(document["by_age_band"]) == ["0-10", "11-14", "15-18", "unknown"]
    assert document["by_month"] == {"2025-01": 0, "2025-02": 1904, "2025-03": 0}
    assert document["non_counselling"] == 12


def test_every_default_category_and_subcategory_has_a_chi_category():
    assert unmapped(TAXONOMY) == []
    assert set(TAXONOMY.categories) == {
        "psychological",
        "social",
        "violence",
        "exploitation",
        "legal",
        "education",
        "health",
        "other",
    }


def test_a_category_the_chi_file_forgets_is_named(tmp_path):
    chi = tmp_path / "chi.yml"
    chi.write_text(
        "chi_categories: {mental_health: [psychological_wellbeing]}\n"
        "mapping: {psychological: [mental_health, psychological_wellbeing],"
        " social: {shelter: [access_to_services, essential_needs]}}\n"
    )
    problems = unmapped(load_taxonomy(chi_file=chi))
    assert "social/shelter: unknown CHI target access_to_services/essential_needs" in problems
    assert "social/suicidal_thoughts: not mapped" in problems
    assert "legal: not mapped" in problems


def test_chi_report_counts_every_contact_once():
    report = make_report("chi")
    assert sum(node["total"] for node in report.by_category.values()) == report.total
    assert report.by_category["mental_health"]["subcategories"] == {
        "psychological_wellbeing": 1605,
        "suicidal_thoughts_and_attempts": 76,
    }


def test_min_cell_hides_small_counts_and_never_shows_them():
    report = suppress(make_report(), 5)
    violence = report.by_category["violence"]
    assert violence["subcategories"]["sexual"] == "<5"
    assert violence["subcategories"]["cyberbullying"] == "<5"  # zero is hidden too
    assert report.by_age_band["0-10"] == "<5"
    assert report.min_cell == 5
    for rendering in ("json", "csv", "text", "html"):
        out = render(report, rendering)
        assert "<5" in out or "&lt;5" in out
    # The sexual-violence count (3) appears nowhere in the figures.
    assert 3 not in _all_cells(report.to_dict())


def test_min_cell_hides_a_second_cell_when_subtraction_would_give_the_first_back():
    report = suppress(make_report(), 5)
    # Age bands: only 0-10 (3) is small; total minus the others would give 3 back.
    assert report.by_age_band == {"0-10": "<5", "11-14": 208, "15-18": 1681, "unknown": "≥5"}
    # Subcategories of violence: sexual 3 hidden, plus zeros; their sum (3) is small, so the
    # smallest shown cell goes too.
    assert report.by_category["violence"]["subcategories"]["domestic"] == "≥5"


def test_min_cell_keeps_a_hidden_category_total_from_being_the_sum_of_its_parts():
    report = suppress(make_report(extra_topics={("health", None, "male", "11-14", True): 2}), 5)
    totals = {c: node["total"] for c, node in report.by_category.items()}
    assert totals["health"] == "<5"
    hidden = [c for c, n in totals.items() if n == "≥5"]
    assert hidden, totals
    for category in hidden:
        subs = report.by_category[category]["subcategories"]
        assert not subs or any(isinstance(n, str) for n in subs.values())


def _all_cells(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("period", "min_cell"):
                yield from _all_cells(value)
    elif isinstance(node, int | str) and not isinstance(node, bool):
        yield node


def test_csv_has_one_count_per_row():
    rows = list(csv.DictReader(io.StringIO(render(make_report(), "csv"))))
    assert rows[0]["section"] == "total" and rows[0]["count"] == "1904"
    shelter = [r for r in rows if r["key"] == "social" and r["subkey"] == "shelter"]
    assert shelter[0]["count"] == "168"
    assert {r["period_from"] for r in rows} == {"2025-01-01"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_text_reads_like_the_published_summary_in_each_language(lang):
    text = render(make_report(), "text", lang=lang)
    t = texts(lang)
    assert t.number(1904) in text
    assert t.category("psychological") in text
    assert t.subcategory("social", "shelter") in text
    assert t.label("by_gender", "anonymous") in text


def test_text_is_azerbaijani_by_default_with_the_published_number_style():
    text = render(make_report(), "text")
    assert "ümumilikdə 1\u00a0904 müraciət daxil olub" in text
    assert "sığınacaqla təmin olunma" in text


def test_every_language_file_has_the_same_keys():
    def keys(node, prefix=""):
        if isinstance(node, dict):
            return {k for key, v in node.items() for k in keys(v, f"{prefix}{key}.")}
        return {prefix}

    az, ru, en = (keys(texts(lang).data) for lang in LANGUAGES)
    assert az == ru == en
    for category, subs in TAXONOMY.categories.items():
        assert f"categories.{category}." in az
        for sub in subs:
            assert f"subcategories.{category}.{sub}." in az
    for chi_category, chi_subs in TAXONOMY.chi_categories.items():
        assert f"chi.categories.{chi_category}." in az
        for sub in chi_subs:
            assert f"chi.subcategories.{sub}." in az


def test_html_is_one_self_contained_page_with_charts():
    html = render(make_report(), "html", lang="en")
    assert html.count("<svg") == 5
    assert "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "Psychological problems" in html


def test_png_is_an_image():
    image = render(suppress(make_report(), 5), "png", lang="ru")
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(image) > 10_000


def test_min_cell_hides_nothing_more_when_the_only_hidden_cells_are_empty():
    report = suppress(make_report(extra_topics={("legal", None, "male", "15-18", True): 0}), 5)
    # Gender: no small count at all; the unknown age band (12) is shown, 0-10 (3) hidden.
    assert report.by_gender == {"female": 1721, "male": 168, "anonymous": 15}
    assert report.by_category["legal"]["total"] == "<5"
    assert report.by_category["health"]["total"] == "<5"  # 0
    # Categories: the hidden ones (legal, health, exploitation, education) are all 0.
    assert report.by_category["psychological"]["total"] == 1605
    assert all(node["total"] != "≥5" for node in report.by_category.values())
