"""The executor registry and config: names, keys, the batch-system job scripts (no cluster runs)."""

from __future__ import annotations

import pytest

from heurevo.config import load_toml
from heurevo.engine.executors.base import EXECUTORS, ExecutorConfig, JobQueueConfig
from heurevo.engine.run_config import RunConfig
from heurevo.errors import ConfigError


def test_executors_are_registered_by_name() -> None:
    assert {"local", "dask"} <= set(EXECUTORS.names())
    assert callable(EXECUTORS.get("local")) and callable(EXECUTORS.get("dask"))


@pytest.mark.parametrize(("text", "key"), [
    ('[executor]\nname = "spark"\n', "executor.name"),
    ('[executor]\nscheduler = "head:8786"\n', "executor.scheduler"),
    ('[executor.slurm]\ncores = 0\n', "executor.slurm.cores"),
    ('[executor.slurm]\njobs = 1\n[executor.pbs]\njobs = 1\n', "executor"),
])
def test_bad_executor_settings_name_their_key(tmp_path, text: str, key: str) -> None:
    path = tmp_path / "run.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_toml(RunConfig, path)
    assert f"key '{key}'" in str(err.value) and str(path) in str(err.value)


@pytest.mark.slow  # starts the cluster's scheduler (no job is submitted)
def test_slurm_section_becomes_a_job_script(tmp_path) -> None:
    pytest.importorskip("dask_jobqueue")
    from heurevo.engine.executors.cluster import jobqueue_cluster

    path = tmp_path / "run.toml"
    path.write_text('[executor]\nname = "dask"\n[executor.slurm]\nqueue = "normal"\n'
                    'account = "proj"\ncores = 4\nprocesses = 4\nmemory = "16GB"\n'
                    'walltime = "04:00:00"\njobs = 8\njob_extra_directives = ["--exclusive"]\n')
    cfg = load_toml(RunConfig, path).executor
    assert cfg.slurm == JobQueueConfig("normal", "proj", 4, 4, "16GB", "04:00:00", 8, ("--exclusive",))
    cluster = jobqueue_cluster("slurm", cfg.slurm)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in ("#SBATCH -p normal", "#SBATCH -A proj", "#SBATCH -t 04:00:00", "#SBATCH --exclusive",
                 "--nworkers 4", "--nthreads 1"):
        assert line in script, script


def test_cli_scheduler_needs_the_dask_executor() -> None:
    from heurevo.cli_engine import executor_override
    from heurevo.errors import HeurevoError

    cfg = RunConfig()
    assert executor_override(cfg, None, "tcp://127.0.0.1:8786").executor == \
        ExecutorConfig("dask", "tcp://127.0.0.1:8786")
    assert executor_override(cfg, "local", None).executor == ExecutorConfig()
    with pytest.raises(HeurevoError, match="--scheduler needs --executor dask"):
        executor_override(cfg, "local", "tcp://127.0.0.1:8786")
