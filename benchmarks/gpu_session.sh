#!/usr/bin/env bash
# One prepared run for a lent GPU (the device tool): the GPU tests and the GPU benchmarks.
# The GPU machine has torch, torchvision, numpy, scikit-learn, rich and pytest but not textual,
# so this runs the core from the source tree (PYTHONPATH=.) and skips the app tests.
# Usage there:  bash benchmarks/gpu_session.sh [step ...]   (figures land in $OUT or /tmp/gpu-out)
# Steps: gpu-tests (capped at 200 s), memory-estimate (100 s), train-speed (240 s); default all.
set -u
export PYTHONPATH=.
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/gpu.txt" 2>&1
python -c "import torch; print(torch.__version__, torch.version.cuda)" >>"$out/gpu.txt" 2>&1
steps=${*:-gpu-tests memory-estimate train-speed}
step() {
    local name=$1 limit=$2
    shift 2
    case " $steps " in *" $name "*) ;; *) return ;; esac
    echo "== $name" >&2
    local start=$SECONDS
    timeout "$limit" "$@" >"$out/$name.txt" 2>&1
    echo "exit $? after $((SECONDS - start)) s" >>"$out/$name.txt"
    tail -n 40 "$out/$name.txt"
}
step gpu-tests 200 python -m pytest -q -p no:cacheprovider -m gpu -o addopts="" tests/gpu
step memory-estimate 100 python benchmarks/memory_estimate.py
step train-speed 240 python benchmarks/train_speed.py --device cuda --epochs 2
