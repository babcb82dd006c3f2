"""Named suites: generated once, regenerated when their definition changes, split deterministically."""

from __future__ import annotations

from pathlib import Path

import pytest

from heurevo.errors import ConfigError
from heurevo.suites.catalog import build_suite, split_suite


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_generated_once_and_the_same_everywhere(tmp_path: Path) -> None:
    a = build_suite("tsp-tiny", "tsp", tmp_path / "a")
    b = build_suite("tsp-tiny", "tsp", tmp_path / "b")
    assert [i.name for i in a.instances] == [i.name for i in b.instances] and len(a.instances) == 3
    assert _files(tmp_path / "a" / "tsp-tiny") == _files(tmp_path / "b" / "tsp-tiny")
    first = Path(a.instances[0].path).stat().st_mtime_ns
    assert build_suite("tsp-tiny", "tsp", tmp_path / "a").instances == a.instances
    assert Path(a.instances[0].path).stat().st_mtime_ns == first  # reused, not rewritten


def test_a_cache_from_an_older_definition_is_regenerated(tmp_path: Path) -> None:
    folder = tmp_path / "pbo-tiny"
    build_suite("pbo-tiny", "pbo", tmp_path)
    (folder / "leftover-from-old-definition.opb").write_text("* old\n")
    (folder / ".complete").write_text("pbo families=['setcover'] sizes=[20] seeds=[1]\n")
    suite = build_suite("pbo-tiny", "pbo", tmp_path)
    assert "leftover-from-old-definition.opb" not in {i.name for i in suite.instances}
    assert len(suite.instances) == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pbo-tiny-")]  # no temp left


def test_errors_and_folders(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown suite 'nope'"):
        build_suite("nope", "pbo", tmp_path)
    with pytest.raises(ConfigError, match="is for problem 'tsp'"):
        build_suite("tsp-tiny", "pbo", tmp_path)
    built = build_suite("tsp-tiny", "tsp", tmp_path)
    as_folder = build_suite(str(tmp_path / "tsp-tiny"), "tsp", tmp_path / "unused")
    assert [i.name for i in as_folder.instances] == [i.name for i in built.instances]
    with pytest.raises(ConfigError, match=r"no \.opb/\.wbo files"):
        build_suite(str(tmp_path / "tsp-tiny"), "pbo", tmp_path)


def test_split_is_deterministic_and_keeps_a_training_instance(tmp_path: Path) -> None:
    suite = build_suite("pbo-tiny", "pbo", tmp_path)
    split = split_suite(suite, 0.5, seed=3)
    assert split == split_suite(suite, 0.5, seed=3)
    assert len(split["train"]) == 2 and len(split["validation"]) == 2
    assert not {i.name for i in split["train"]} & {i.name for i in split["validation"]}
    all_val = split_suite(suite, 0.99, seed=3)
    assert len(all_val["train"]) == 1
    none_val = split_suite(suite, 0.0, seed=3)
    assert none_val["validation"] == none_val["train"]  # no split: validation is train
