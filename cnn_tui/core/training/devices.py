"""Devices and out-of-memory helpers: a device's title, the RAM free now, telling an
out-of-memory error from the rest, and TrainingError (a run that cannot start). Shared by the
loop, the checkpoints and the CUDA graphs; torch is imported inside the functions."""

from __future__ import annotations


class TrainingError(RuntimeError):
    """A run that cannot start: the stack does not fit the dataset, no such device, ..."""


def device_title(device: str) -> str:
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name()
    if device == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


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
