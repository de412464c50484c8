"""The shipped model matches the training data, and loads without training."""

from nlu.model import MODEL_FILE, NluModel, load_model, source_hash, stored_hash


def test_shipped_artifact_matches_the_training_data_run_helpline_nlu_train():
    assert MODEL_FILE.exists(), "run `helpline nlu train` and commit nlu/model/nlu_model.npz"
    assert stored_hash() == source_hash(), (
        "nlu/data, the lexicon or the taxonomy changed since the model was trained: "
        "run `helpline nlu train` and commit nlu/model/nlu_model.npz"
    )


def test_artifact_is_small():
    assert MODEL_FILE.stat().st_size < 5 * 1024 * 1024


def test_artifact_round_trips(tmp_path):
    model = NluModel.read(MODEL_FILE)
    path = tmp_path / "m.npz"
    model.save(path)
    again = NluModel.read(path)
    assert again.category.classes == model.category.classes
    assert again.data_hash == model.data_hash


def test_missing_artifact_trains_instead_of_failing(tmp_path):
    model = load_model(path=tmp_path / "missing.npz")
    assert model.category.classes and model.data_hash == source_hash()
