"""This process's place in a torchrun job, and the few collectives training and evaluation need.

Outside torchrun (WORLD_SIZE unset or 1) it is rank 0 of 1 and every collective is a no-op, so the same code
runs in one process and under DDP.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Distributed:
    """Rank, world size and local rank (rank 0 of 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_environment(cls) -> Distributed:
        """Join the process group when torchrun set WORLD_SIZE > 1 (NCCL on CUDA, Gloo on CPU)."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size == 1:
            return cls()
        if not torch.distributed.is_initialized():
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            torch.distributed.init_process_group(backend)
        return cls(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))

    def gather(self, value: object) -> list[object]:
        """Every rank's `value`, in rank order, on rank 0 (an empty list on the others)."""
        if self.world_size == 1:
            return [value]
        gathered: list[object] | None = [None] * self.world_size if self.main else None
        torch.distributed.gather_object(value, gathered, dst=0)
        return gathered if self.main else []

    def share(self, module: nn.Module) -> None:
        """Give every rank rank 0's parameters and buffers. DDP keeps parameters equal, but each rank's
        BatchNorm updates its running statistics from its own batches after the last broadcast."""
        if self.world_size == 1:
            return
        for tensor in (*module.parameters(), *module.buffers()):
            torch.distributed.broadcast(tensor.data, src=0)

    def barrier(self) -> None:
        if self.world_size > 1:
            torch.distributed.barrier()

    def close(self) -> None:
        """Meet every rank at a barrier, then leave the process group."""
        if self.world_size > 1 and torch.distributed.is_initialized():
            torch.distributed.barrier()
            torch.distributed.destroy_process_group()


ONE_PROCESS = Distributed()
"""Rank 0 of 1: the default where no process group is meant."""
