"""A run's checkpoint.pt: what it records, writing it atomically, resuming from it exactly, and loading the
trained model from it for evaluation or browsing.

A checkpoint records the run's settings (`run_record`): resuming with other settings would silently train
another schedule, so it is refused, naming the settings that differ, except those in `MAY_CHANGE_ON_RESUME`.
Every rank's random state is kept (under DDP each rank augments with its own generator).
"""

from __future__ import annotations

import os
import pickle
import random
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from cvpair.errors import CvpairError, InputError, Problem

if TYPE_CHECKING:
    from cvpair.training.data import ReidData
    from cvpair.training.engine import TrainConfig

CHECKPOINT = "checkpoint.pt"
MAY_CHANGE_ON_RESUME = ("device", "eval_every")
"""Settings a resumed run may change. `eval_every` only decides on which epochs the model is scored, not what
it learns. `device` lets a run move between a CPU and a GPU (the point of resuming elsewhere): the result
then differs by floating-point rounding, on CUDA by mixed precision, and by the augmentation draws when the
default number of loader processes differs (0 on CPU); nothing else may change."""
UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, RuntimeError, KeyError, TypeError, ValueError)
"""What torch.load and the key look-ups raise on a file that is no training checkpoint."""
OLD_CHECKPOINT_MODEL = "cvnet"
"""Checkpoints written before the engine recorded the architecture are taken as CVNet (shipped genotype)."""
CLASSIFIER = "neck.classifier.weight"


def run_record(
    config: TrainConfig, data: ReidData, world_size: int, architecture: dict | None
) -> dict[str, object]:
    """Everything that decides what a run learns, flat and comparable: the config's fields, the number of
    processes, the training data and the model."""
    record: dict[str, object] = {name: _plain(value) for name, value in asdict(config).items()}
    record["world_size"] = world_size
    record["data"] = f"{data.name}: {len(data.train)} training images of {data.num_classes} identities"
    record["architecture"] = _plain(architecture)
    return record


def _plain(value: object) -> object:
    """Tuples as lists, recursively, so that a record compares equal after a round trip through a file."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def changed_settings(saved: dict[str, object], now: dict[str, object]) -> list[str]:
    """'name: saved -> now' for each recorded setting that differs and may not change on resume."""
    return [
        f"{name}: {saved.get(name, 'not recorded')!r} -> {now[name]!r}"
        for name in now
        if name not in MAY_CHANGE_ON_RESUME and saved.get(name, "not recorded") != now[name]
    ]


def rng_state() -> dict[str, object]:
    """This process's random generators (Python, NumPy, torch CPU and, when present, CUDA)."""
    state: dict[str, object] = {"torch": torch.get_rng_state(), "numpy": np.random.get_state()}
    state["python"] = random.getstate()
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, object]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save(path: Path, state: dict[str, object]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def restore_scaler(scaler: torch.amp.GradScaler, state: dict) -> None:
    """Load the AMP loss scaler's state where it means something. A CPU run saves a disabled scaler's empty
    state: a CUDA run resuming from it starts with a fresh scale (torch would refuse the empty state). A CUDA
    run's scale is of no use to a CPU run, which does not scale losses."""
    if scaler.is_enabled() and state:
        scaler.load_state_dict(state)


def resume(
    checkpoint: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    record: dict[str, object],
    rank: int = 0,
) -> tuple[list[dict[str, float]], int]:
    """Check the settings, then restore weights, optimiser, loss scaler and this rank's random state;
    returns (history, epochs done). Tensors are read onto the CPU and moved by the load_state_dict calls,
    so a checkpoint written on CUDA resumes on a CPU and the other way round."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    changes = changed_settings(state.get("run", {}), record)
    if changes:
        raise InputError(
            Problem(
                checkpoint,
                "was written by a run with other settings; resuming would train another schedule. "
                f"Changed: {'; '.join(changes)}. Use the original settings, or another --out to start "
                f"afresh (only {', '.join(MAY_CHANGE_ON_RESUME)} may change)",
            )
        )
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    except (KeyError, RuntimeError, ValueError) as error:
        raise InputError(Problem(checkpoint, f"cannot resume this model from it: {error}")) from error
    restore_scaler(scaler, state["scaler"])
    set_rng_state(state["rng"][rank])
    return state["history"], state["epoch"]


def load_model(checkpoint: Path, device: str = "cpu") -> tuple[nn.Module, tuple[int, int]]:
    """(model in eval mode on `device`, input size (H, W)) from a training run's checkpoint.pt."""
    from cvpair.training.cvnet import build_model, rebuild_model

    checkpoint = Path(checkpoint)
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        raise CvpairError("--device cuda was asked for but torch sees no CUDA device")
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        weights, size = state["model"], tuple(state["config"]["size"])
    except UNREADABLE as error:
        raise InputError(Problem(checkpoint, f"not a cvpair training checkpoint: {error}")) from error
    architecture = state.get("architecture")
    try:
        if architecture is not None:
            model = rebuild_model(architecture)
        else:
            model = build_model(OLD_CHECKPOINT_MODEL, weights[CLASSIFIER].shape[0])
        model.load_state_dict(weights)
    except (KeyError, RuntimeError, ValueError) as error:
        hint = "" if architecture else " (an old checkpoint without the model name: only cvnet is supported)"
        raise InputError(Problem(checkpoint, f"cannot rebuild the model{hint}: {error}")) from error
    return model.to(device).eval(), size
