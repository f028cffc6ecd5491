#!/usr/bin/env bash
# One prepared run for a lent GPU (the device tool): the GPU tests and the GPU benchmarks.
# The GPU machine has torch, torchvision, numpy, scikit-learn, rich and pytest but not textual,
# so this runs the core from the source tree (PYTHONPATH=.) and skips the app tests.
# Usage there:  bash benchmarks/gpu_session.sh      (figures land in $OUT, or /tmp/gpu-out)
# The three steps are capped at 180 + 100 + 280 s, under one device call of 600 s.
set -u
export PYTHONPATH=.
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/gpu.txt" 2>&1
python -c "import torch; print(torch.__version__, torch.version.cuda)" >>"$out/gpu.txt" 2>&1
step() {
    local name=$1 limit=$2
    shift 2
    echo "== $name" >&2
    timeout "$limit" "$@" >"$out/$name.txt" 2>&1
    echo "exit $?" >>"$out/$name.txt"
    tail -n 40 "$out/$name.txt"
}
step gpu-tests 180 python -m pytest -q -p no:cacheprovider -m gpu -o addopts="" tests/gpu
step memory-estimate 100 python benchmarks/memory_estimate.py
step train-speed 280 python benchmarks/train_speed.py --device cuda --epochs 2
