"""What `brandmon check` says about the nlp section."""

import pytest

from monitor.config import ConfigError, load_settings


def write(tmp_path, nlp: str):
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "playbooks.yaml").write_text("default:\n  steps:\n    - notify: [console]\n",
                                                       encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text(f"state_dir: state\nchannels:\n  console: 'console://'\nbrands:\n  - name: 星河\n{nlp}",
                    encoding="utf-8")
    return path


def test_an_unknown_scorer_is_a_located_problem(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, "nlp:\n  sentiment:\n    model: brandmon-lstm\n"))
    assert str(err.value) == (f"{tmp_path / 'config.yaml'}:8: nlp.sentiment.model: unknown scorer 'brandmon-lstm'; "
                              "known: brandmon-lr, snownlp")


def test_a_missing_user_dictionary_is_a_located_problem(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, "nlp:\n  user_dicts: [words.txt]\n"))
    assert str(err.value) == f"{tmp_path / 'config.yaml'}:7: nlp.user_dicts[0]: no dictionary file at {tmp_path / 'words.txt'}"


def test_models_live_in_the_state_folder_unless_told_otherwise(tmp_path):
    assert load_settings(write(tmp_path, "")).config.nlp.models_dir == tmp_path / "state" / "models"
    moved = load_settings(write(tmp_path, "nlp:\n  models_dir: shared/models\n"))
    assert moved.config.nlp.models_dir == tmp_path / "shared" / "models"


def test_the_thresholds_must_be_ordered(tmp_path):
    with pytest.raises(ConfigError, match="nlp.sentiment: negative_below must not exceed positive_above"):
        load_settings(write(tmp_path, "nlp:\n  sentiment:\n    negative_below: 0.7\n    positive_above: 0.4\n"))


def test_a_cut_off_alone_is_a_problem(tmp_path):
    with pytest.raises(ConfigError, match="set both negative_below and positive_above, or neither"):
        load_settings(write(tmp_path, "nlp:\n  sentiment:\n    negative_below: 0.3\n"))
    assert load_settings(write(tmp_path, "")).config.nlp.sentiment.negative_below is None
