"""Devices and out-of-memory helpers: picking a device and its title, the RAM free now, telling
an out-of-memory error from the rest, the state of a device's dropout generator, and
TrainingError (a run that cannot start). Shared by the loop, the checkpoints and the CUDA graphs;
torch is imported inside the functions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


class TrainingError(RuntimeError):
    """A run that cannot start: the stack does not fit the dataset, no such device, ..."""


def device_title(device: str) -> str:
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name()
    if device == "mps":
        return "Apple MPS"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'' if threads == 1 else 's'})"


@contextmanager
def cpu_threads(count: int) -> Iterator[None]:
    """torch computes with `count` CPU threads inside the block; the count before is restored
    after (the app trains again, or computes its views, with the process's own setting)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _out_of_memory_types() -> tuple[type[BaseException], ...]:
    import torch

    kinds: list[type[BaseException]] = [MemoryError]
    for owner, name in ((torch, "OutOfMemoryError"), (torch.cuda, "OutOfMemoryError")):
        kind = getattr(owner, name, None)
        if isinstance(kind, type) and kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


_OUT_OF_MEMORY_WORDS = ("DefaultCPUAllocator", "can't allocate memory", "not enough memory")
"""What torch's CPU allocator says when malloc fails: a plain RuntimeError, not its
OutOfMemoryError ('[enforce fail at alloc_cpu.cpp:127] ... DefaultCPUAllocator: can't allocate
memory: you tried to allocate ... bytes')."""


def _is_out_of_memory(exc: BaseException) -> bool:
    """torch's OutOfMemoryError, Python's MemoryError, or the CPU allocator's RuntimeError."""
    if isinstance(exc, _out_of_memory_types()):
        return True
    return isinstance(exc, RuntimeError) and any(w in str(exc) for w in _OUT_OF_MEMORY_WORDS)


def available_memory() -> int | None:
    """Bytes of RAM the kernel says a new allocation can have without swapping (Linux's
    MemAvailable); None where that is not known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().split("\n")[0] or type(exc).__name__


def pick_device(name: str = "auto") -> str:
    """'auto' -> cuda, then mps, then cpu; a named device that is missing raises TrainingError."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if has_mps else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        why = "this torch was built without CUDA" if torch.version.cuda is None else "no GPU seen"
        raise TrainingError(f"device cuda is not available ({why}): choose device cpu or auto")
    if name == "mps" and not has_mps:
        raise TrainingError("device mps (Apple GPU) is not available: choose device cpu or auto")
    if name not in ("cuda", "mps", "cpu"):
        raise TrainingError(f"unknown device {name!r}: use auto, cuda, mps or cpu")
    return name


def _noise_state(device: str) -> torch.Tensor:
    """The state of the generator that dropout draws its masks from on this device."""
    import torch

    if device == "cuda":
        return torch.cuda.get_rng_state()
    if device == "mps":
        return torch.mps.get_rng_state()
    return torch.get_rng_state()


def _set_noise_state(device: str, state: torch.Tensor) -> None:
    import torch

    if device == "cuda":
        torch.cuda.set_rng_state(state)
    elif device == "mps":
        torch.mps.set_rng_state(state)
    else:
        torch.set_rng_state(state)
