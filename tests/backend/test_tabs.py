from __future__ import annotations

from pathlib import Path

import pytest

from runwatch.server.tabs import DEFAULT_TABS, TabsFileError, load_tabs


@pytest.mark.parametrize(
    ("metric", "tab"),
    [
        ("train/loss", "training"),
        ("loss", "training"),
        ("throughput_samples_per_s", "training"),
        ("lr", "training"),
        ("model/grad_norm", "model"),
        ("val/loss", "evaluation"),
        ("eval/accuracy", "evaluation"),
        ("sys.gpu.0.util_percent", "system"),
        ("checkpoint", "checkpoints"),
        ("agent.points_dropped", "other"),
        ("my_custom_metric", "other"),
        ("", "other"),
    ],
)
def test_default_tab_of_a_metric(metric: str, tab: str) -> None:
    assert DEFAULT_TABS.tab_for(metric) == tab


def test_defaults_on_the_wire() -> None:
    wire = DEFAULT_TABS.wire()
    assert wire["fallback"] == "other"
    assert [t["id"] for t in wire["tabs"]] == [
        "training", "model", "evaluation", "system", "checkpoints"]
    assert wire["tabs"][0] == {"id": "training", "title": "Training",
                               "prefixes": ["train/", "loss", "throughput", "lr"]}


def test_a_toml_file_replaces_the_defaults_and_the_longest_prefix_wins(tmp_path: Path) -> None:
    path = tmp_path / "tabs.toml"
    path.write_text(
        'fallback = "misc"\n'
        '[[tabs]]\nid = "training"\ntitle = "Training"\nprefixes = ["train/"]\n'
        '[[tabs]]\nid = "grads"\ntitle = "Gradients"\nprefixes = ["train/grad"]\n'
    )
    tabs = load_tabs(path)
    assert tabs.tab_for("train/loss") == "training"
    assert tabs.tab_for("train/grad_norm") == "grads"
    assert tabs.tab_for("sys.cpu") == "misc"


def test_a_json_file_works_too(tmp_path: Path) -> None:
    path = tmp_path / "tabs.json"
    path.write_text('{"tabs": [{"id": "x", "title": "X", "prefixes": ["x/"]}]}')
    assert load_tabs(path).tab_for("x/1") == "x"
    assert load_tabs(path).fallback == "other"


@pytest.mark.parametrize(
    "text",
    ['{"tabs": [{"id": "a", "title": "A"}, {"id": "a", "title": "B"}]}', "{not json", '{"tabs": 3}'],
)
def test_a_bad_tabs_file_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "tabs.json"
    path.write_text(text)
    with pytest.raises(TabsFileError, match="tabs file"):
        load_tabs(path)


def test_no_file_means_defaults() -> None:
    assert load_tabs(None) is DEFAULT_TABS
