#!/usr/bin/env bash
# Check a GPU machine before a paper-scale sweep: the device, its bf16 matmul peak, and one
# smoke trial of the paper's pipeline (configs/paper-smoke.yaml: every phase of configs/paper.yaml
# at smoke size, offline) with its throughput and MFU per phase. About 10 minutes on one GPU.
#   bash scripts/gpu-check.sh                   # results under runs/gpu-check/<time>/
# Without a GPU it still runs: it says so, skips the GPU steps and only checks the smoke trial's
# data and model (--dry-run); XSTILTS_SMOKE_ON_CPU=1 runs the trial on the CPU anyway.
# Environment: PYTHON (default .venv/bin/python), XSTILTS_DATA_DIR (default: the config's pack).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1}   # the smoke trial needs nothing from the network
OUT="runs/gpu-check/$(date -u +%Y%m%dT%H%M%SZ)"
SMOKE=(configs/paper-smoke.yaml "work_dir=$PWD/$OUT/work" "store=$PWD/$OUT/results.sqlite")
if [ -n "${XSTILTS_DATA_DIR:-}" ]; then
  SMOKE+=("data_dir=$XSTILTS_DATA_DIR")  # the config names its data_dir, so the variable must be passed on
fi

echo "== 1/3 device"
GPU=$("$PY" - <<'EOF'
import torch

if torch.cuda.is_available():
    props = torch.cuda.get_device_properties(0)
    print(f"{torch.cuda.device_count()} x {props.name}, {props.total_memory / 2**30:.0f} GiB, compute capability "
          f"{props.major}.{props.minor}, torch {torch.__version__} (CUDA {torch.version.cuda}), "
          f"bf16 {'yes' if torch.cuda.is_bf16_supported() else 'no'}", flush=True)
    print("GPU=1")
else:
    print(f"no CUDA device (torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'}): "
          "the GPU steps below are skipped", flush=True)
    print("GPU=0")
EOF
)
echo "$GPU" | grep -v '^GPU='
HAS_GPU=$(echo "$GPU" | sed -n 's/^GPU=//p')

echo "== 2/3 bf16 matmul peak"
if [ "$HAS_GPU" = 1 ]; then
  "$PY" -c "
from xstilts.train.peak import measure_matmul_flops
probe = measure_matmul_flops('bf16', 'cuda', seconds=2.0)
print(f'bf16 matmul peak: {probe.flops_per_s / 1e12:.1f} TFLOP/s ({probe.processor}, {probe.size}x{probe.size} matmuls)')
"
else
  echo "skipped: no GPU (a CPU peak is measured at every training phase's start instead)"
fi

echo "== 3/3 smoke trial (configs/paper-smoke.yaml)"
if [ "$HAS_GPU" = 1 ] || [ "${XSTILTS_SMOKE_ON_CPU:-0}" = 1 ]; then
  mkdir -p "$OUT"
  start=$(date +%s)
  "$PY" -m xstilts run "${SMOKE[@]}" | tee "$OUT/summary.txt"
  echo "smoke trial: $(( $(date +%s) - start )) s; per-phase throughput and MFU above, results in $OUT"
else
  "$PY" -m xstilts run "${SMOKE[@]}" --dry-run
  echo "skipped the trial itself: no GPU (XSTILTS_SMOKE_ON_CPU=1 runs it on the CPU); its data and model check out"
fi
