"""MNIST-format (IDX) files: write and read them, and lay out a fake MNIST in torchvision's folders.

IDX is the plain binary format MNIST ships in: a 4-byte magic number (two zero bytes, a type
byte, 0x08 for unsigned bytes, and the number of dimensions), one big-endian 32-bit size per
dimension, then the values row by row. Tests and benchmarks use this to make MNIST-shaped data
without a download; numpy only.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

from ..safe_files import MIB, read_regular, write_atomic

UBYTE = 0x08
"""The IDX type code of unsigned bytes, the only type MNIST uses."""

IDX_FILE_LIMIT = 1024 * MIB
"""The largest IDX file read: MNIST's training images are 45 MiB."""

MNIST_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
"""The four file names torchvision's MNIST (and FashionMNIST) read from ROOT/<Name>/raw/."""


class IdxError(ValueError):
    """A file that is not a valid unsigned-byte IDX file, naming the file."""

    def __init__(self, message: str, problem: str = "") -> None:
        super().__init__(message)
        self.problem = problem or message
        """What is wrong, phrased to follow the file's name ('is cut short (...)'), so a
        caller can name the file its own way."""


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write a uint8 array of any rank (1 to 255 dimensions) as an IDX file."""
    values = np.asarray(array)
    if values.dtype != np.uint8:
        raise IdxError(f"{path}: IDX files here hold uint8 values, not {values.dtype}")
    if not 1 <= values.ndim <= 255:
        raise IdxError(f"{path}: an IDX array needs 1 to 255 dimensions, not {values.ndim}")
    header = bytes((0, 0, UBYTE, values.ndim)) + struct.pack(f">{values.ndim}I", *values.shape)
    target = Path(path)
    # atomic: a crash never leaves half a dataset
    write_atomic(target, header + np.ascontiguousarray(values).tobytes())
    return target


def write_idx_images(path: str | Path, images: np.ndarray) -> Path:
    """Images as uint8 (N, H, W): the idx3 file MNIST keeps its pictures in."""
    if np.ndim(images) != 3:
        raise IdxError(f"{path}: images must be (N, H, W), got shape {np.shape(images)}")
    return write_idx(path, images)


def write_idx_labels(path: str | Path, labels: np.ndarray) -> Path:
    """Labels as uint8 (N,): the idx1 file."""
    if np.ndim(labels) != 1:
        raise IdxError(f"{path}: labels must be one-dimensional, got shape {np.shape(labels)}")
    return write_idx(path, labels)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an unsigned-byte IDX file back into a numpy array (checks the header and size).

    Raises IdxError naming the file and what is wrong with it; OSError when it cannot be read.
    """
    target = Path(path)
    try:
        return parse_idx(read_regular(target, IDX_FILE_LIMIT))
    except IdxError as exc:
        raise IdxError(f"{target} {exc.problem}", exc.problem) from None


def parse_idx(data: bytes) -> np.ndarray:
    """The array an unsigned-byte IDX file's bytes hold; IdxError says what is wrong in words
    that follow a file name: 'is not an IDX file (...)', 'is cut short (...)'."""

    def fail(problem: str) -> IdxError:
        return IdxError(problem, problem)

    if not data:
        raise fail("is empty")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[3] == 0:
        first = " ".join(f"{b:02x}" for b in data[:4])
        raise fail(
            f"is not an IDX file (it starts with the bytes {first}; an IDX file starts with "
            "00 00, a type byte and its number of dimensions)"
        )
    if data[2] != UBYTE:
        raise fail(
            f"is not an unsigned-byte IDX file (its type byte is 0x{data[2]:02x}; "
            f"MNIST's files use 0x{UBYTE:02x})"
        )
    ndim = data[3]
    start = 4 + 4 * ndim
    if len(data) < start:
        raise fail(
            f"is cut short ({len(data)} bytes; the header of {ndim} dimensions alone takes {start})"
        )
    shape = struct.unpack(f">{ndim}I", data[4:start])
    expected = math.prod(shape)  # exact: numpy's int64 product wraps on a hostile header
    have = len(data) - start
    dims = "x".join(map(str, shape))
    if have < expected:
        raise fail(
            f"is cut short (its header promises {dims} = {expected:,} values, "
            f"the file holds {have:,})"
        )
    if have > expected:
        raise fail(
            f"is longer than its header says ({dims} = {expected:,} values promised, "
            f"{have:,} found)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(shape)


def write_mnist_folder(
    root: str | Path,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    name: str = "MNIST",
) -> Path:
    """Write (images, labels) pairs as ROOT/<name>/raw/{train,t10k}-*-idx*-ubyte; returns raw/.

    name is torchvision's class name: "MNIST" or "FashionMNIST".
    """
    raw = Path(root) / name / "raw"
    for split, (images, labels) in (("train", train), ("test", test)):
        if len(images) != len(labels):
            raise IdxError(f"{split}: {len(images)} images but {len(labels)} labels")
        write_idx_images(raw / MNIST_FILES[split, "images"], images)
        write_idx_labels(raw / MNIST_FILES[split, "labels"], labels)
    return raw


def pattern_digits(count: int, seed: int = 0, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) a small network can learn: label k is a bright bar in band k, with noise.

    Random labels; each image is uniform noise (0-63) plus a horizontal bar 2 pixels high whose
    row depends on the label, so a real accuracy well above chance shows the images and labels
    were read in step.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    images = rng.integers(0, 64, size=(count, size, size), dtype=np.uint8)
    band = max(1, (size - 4) // 10)
    for k in range(10):
        top = 2 + k * band
        images[labels == k, top : top + 2, 2 : size - 2] = 255
    return images, labels


def random_digits(count: int, seed: int = 0, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of pure noise, MNIST-shaped: for timing, where content does not matter."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, size, size), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    return images, labels
