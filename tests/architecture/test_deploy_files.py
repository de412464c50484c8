"""docker-compose.yml cannot be run here (no Docker engine), so it is checked by reading it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_shape():
    services = compose()["services"]
    assert {"app", "postgres", "redis", "rasa"} <= set(services)
    assert services["rasa"]["profiles"] == ["rasa"]
    app = services["app"]
    assert set(app["depends_on"]) == {"postgres", "redis"}
    assert app["environment"]["HELPLINE_ENV"] == "production"
    assert app["environment"]["HELPLINE_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert app["environment"]["HELPLINE_REDIS_URL"].startswith("redis://redis:")


def test_compose_app_settings_are_real_settings():
    fields = {f"HELPLINE_{name.upper()}" for name in Settings.model_fields}
    unknown = set(compose()["services"]["app"]["environment"]) - fields
    assert unknown == set()


def test_compose_database_url_points_at_its_postgres_service():
    services = compose()["services"]
    url = services["app"]["environment"]["HELPLINE_DATABASE_URL"]
    match = re.match(r"postgresql\+asyncpg://(\w+):.*@postgres:5432/(\w+)", url)
    assert match
    assert match.group(1) == services["postgres"]["environment"]["POSTGRES_USER"]
    assert match.group(2) == services["postgres"]["environment"]["POSTGRES_DB"]


def test_compose_rasa_trains_on_the_projects_nlu_data():
    rasa = compose()["services"]["rasa"]
    assert any(volume.startswith("./nlu/data:") for volume in rasa["volumes"])
    mounted = [volume.split(":")[0] for volume in rasa["volumes"]]
    for path in mounted:
        assert (ROOT / path).exists(), f"{path} is mounted into rasa but missing"


def test_dockerfile_copies_every_package():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("bot", "nlu", "flows", "escalation", "store"):
        assert f"COPY {package} {package}" in dockerfile


def test_compose_rasa_trains_on_what_topic_data_writes():
    rasa = compose()["services"]["rasa"]
    command = " ".join(rasa["command"])
    assert "python /app/topic_data.py /app/nlu/data /tmp/train" in command
    assert "--nlu /tmp/train " in command
    assert "./deploy/rasa/topic_data.py:/app/topic_data.py:ro" in rasa["volumes"]


def test_rasa_gets_every_topic_example_and_no_risk_label_or_held_out_set(tmp_path):
    """Rasa learns topics; a risk label on the same text would give it two answers for one
    message, and the held-out sets must never be training data."""
    import importlib.util

    from nlu.data_io import RISK_PREFIX, load_training

    spec = importlib.util.spec_from_file_location(
        "topic_data", ROOT / "deploy" / "rasa" / "topic_data.py"
    )
    topic_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(topic_data)
    written = topic_data.copy_topics(ROOT / "nlu" / "data", tmp_path)
    assert written and not any(name.startswith("test") for name in written)
    assert not any(p.is_dir() for p in tmp_path.iterdir())
    expected = sorted(
        (e.text, e.intent) for e in load_training() if not e.intent.startswith(RISK_PREFIX)
    )
    got = sorted((e.text, e.intent) for e in load_training(tmp_path))
    assert got == expected
    assert not any(intent.startswith(RISK_PREFIX) for _, intent in got)
