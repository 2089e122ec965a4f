"""`cvpair train-reference` as a user runs it: in a separate process, on a plain install (the test extras
cannot be imported), through to report.md, again with --resume, and under torchrun with two processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.plain_install import blocked_environment, run_cli
from tests.helpers.synthetic_release import Identity, write_identities


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """8 training identities (3 aerial + 3 ground images) and 6 test identities (2 + 2)."""
    identities = [Identity(i, "train", aerial=3, ground=3) for i in range(1, 9)]
    identities += [Identity(i, "test", aerial=2, ground=2) for i in range(9, 15)]
    return write_identities(tmp_path_factory.mktemp("cli") / "release", identities)


@pytest.mark.slow
def test_train_reference_finishes_and_resumes_on_a_plain_install(release, tmp_path):
    out = tmp_path / "run"
    args = ["train-reference", str(release), "--epochs", "2", "--p", "4", "--k", "2", "--input", "32x32"]
    args += ["--device", "cpu", "--out", str(out)]
    first = run_cli(args, tmp_path / "site")
    assert first.returncode == 0, first.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert set(report["metrics"]) == {"a2g", "g2a"}
    assert "FLOPs:" in (out / "report.md").read_text()

    (out / "report.md").unlink()
    resumed = run_cli([*args, "--resume"], tmp_path / "site")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert json.loads((out / "report.json").read_text())["metrics"] == report["metrics"]
    assert (out / "report.md").is_file()


@pytest.mark.slow
def test_two_process_ddp_run_scores_as_one_process_does_on_its_checkpoint(release, tmp_path):
    """torchrun, 2 CPU processes (Gloo): short epochs (3 steps per process) and the evaluation, every rank
    embedding half of the images; then evaluate-reference in one process on the checkpoint (release and
    dataset read from it). Eight epochs, not one: right after the first steps every embedding is nearly the
    same (all distances within 1e-5), and rounding alone would reorder such rankings."""
    out = tmp_path / "ddp"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    args = ["-m", "cvpair", "train-reference", str(release), "--epochs", "8", "--p", "4", "--k", "2"]
    args += ["--input", "32x32", "--device", "cpu", "--out", str(out)]
    ddp = subprocess.run(
        [*launcher, *args], env=blocked_environment(tmp_path / "site"), capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    assert "2 process(es)" in (out / "report.md").read_text()
    trained = json.loads((out / "report.json").read_text())["metrics"]

    single = run_cli(["evaluate-reference", str(out / "checkpoint.pt"), "--out", str(tmp_path / "one")],
                     tmp_path / "site")  # fmt: skip
    assert single.returncode == 0, single.stderr[-3000:]
    evaluated = json.loads((tmp_path / "one" / "report.json").read_text())["metrics"]
    assert set(evaluated) == set(trained) == {"a2g", "g2a"}
    for protocol in trained:
        assert evaluated[protocol]["valid_queries"] == trained[protocol]["valid_queries"]
        assert evaluated[protocol]["cmc"] == pytest.approx(trained[protocol]["cmc"], abs=1e-6)
        assert evaluated[protocol]["mAP"] == pytest.approx(trained[protocol]["mAP"], abs=1e-6)
