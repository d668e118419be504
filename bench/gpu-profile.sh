#!/usr/bin/env bash
# Where a decode step's time goes on the GPU host: runs `strata bench --profile` on the generated
# Llama-3.2-1B-shaped BF16 model at batch 1 and 32 (per-op device time per step, summed per op
# kind, beside the measured step time and the recorded CUDA graph's time).
# Usage on the GPU host, from the repository root: bash bench/gpu-profile.sh  (carry .gpu)
set -uo pipefail
source bench/gpu/runtime.sh
for b in 1 32; do
    timeout 150 "${STRATA[@]}" bench --backend cuda --generate-model 1b -p 0 -n 64 -r 2 -b "$b" --profile 2>&1 \
        | grep -v "incubator modules" | tee -a "$OUT/profile.md"
done
