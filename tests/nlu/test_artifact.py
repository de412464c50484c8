"""The shipped model matches the training data, and loads without training."""

from nlu.model import MODEL_FILE, NluModel, load_model, source_hash, stored_hash


def test_shipped_artifact_matches_the_training_data_run_helpline_nlu_train():
    assert MODEL_FILE.exists(), "run `helpline nlu train` and commit nlu/model/nlu_model.npz"
    assert stored_hash() == source_hash(), (
        "nlu/data, the lexicon or the taxonomy changed since the model was trained: "
        "run `helpline nlu train` and commit nlu/model/nlu_model.npz"
    )


def test_artifact_is_small():
    # 5.3 MB with 10,800 examples (float16 weights, only the rows in use): every retrain is a
    # new blob in git, so growth past this should be a decision (prune weights, fewer n-grams)
    assert MODEL_FILE.stat().st_size < 8 * 1024 * 1024


def test_artifact_round_trips(tmp_path):
    model = NluModel.read(MODEL_FILE)
    path = tmp_path / "m.npz"
    model.save(path)
    again = NluModel.read(path)
    assert again.category.classes == model.category.classes
    assert again.data_hash == model.data_hash


SMALL_DATA = """version: "3.1"
nlu:
- intent: greeting
  examples: |
    - salam
    - привет
    - hello there
- intent: education
  examples: |
    - imtahandan kəsildim
    - не сдала экзамен
    - i failed my exam
- intent: risk_none
  examples: |
    - salam necəsən
    - как дела
    - how are you
- intent: risk_high
  examples: |
    - yaşamaq istəmirəm
    - не хочу жить
    - i want to die
"""


def test_missing_artifact_trains_instead_of_failing(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu.yml").write_text(SMALL_DATA, encoding="utf-8")
    model = load_model(path=tmp_path / "missing.npz", data_dir=data)
    assert set(model.category.classes) == {"greeting", "education"}
    assert model.data_hash == source_hash(data)


def test_stale_artifact_is_retrained_in_memory(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu.yml").write_text(SMALL_DATA, encoding="utf-8")
    stale = tmp_path / "stale.npz"
    NluModel.read(MODEL_FILE).save(stale)  # trained on other data
    model = load_model(path=stale, data_dir=data)
    assert model.data_hash == source_hash(data)
