#!/usr/bin/env bash
# Prefill attention kernels on the GPU host, in one short device call (~3 minutes; carry .gpu from
# bench/gpu-pack.sh): correctness first, then the timings that choose strata.cuda.prefillAttention.
#   1. JUnit on CUDA with the default (auto): the attention conformance tests (F32, 16-bit
#      tensor-core, cross attention with T5 bias) and the decoder and encoder-decoder fixtures, so
#      kv16w32 (head dim 128), kv16nm (head dim 64) and kv16 (mask or bias) all run.
#   2. KernelRoofline causal prefill attention, BF16 compute, B4 H32 S4096 D128 (the shape)
#      and B4 H32/KV8 S4096 D64, for kv16, kv16nm, kv16w32, kv16nm, kv16w32 (one JVM each; auto is
#      kv16w32 at head dim 128 and kv16nm at 64, and kv16's kernel is the cross-run anchor).
#   3. PyTorch SDPA at the shape (same run).
#   4. pp512 of the generated 1B-shaped BF16 Llama (head dim 64): auto and kv16, alternating.
# Budget: $STRATA_PREFILL_BUDGET_S (default 240 s); a step is skipped, never cut short, when its
# wish no longer fits. Files in $OUT: prefill.md (everything), prefill-tests.log.
# Usage on the GPU host, from the repository root: bash bench/gpu-prefill.sh
set -uo pipefail
source bench/gpu/runtime.sh
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
BUDGET=${STRATA_PREFILL_BUDGET_S:-240}
DEADLINE=$((SECONDS + BUDGET))
JAVA=("$JRE/bin/java" "${JAVA_FLAGS[@]}" -XX:+UseParallelGC)
quiet() { grep -v "incubator modules\|Unsafe\|MemoryUtil\|WARNING"; }
fits() { ((DEADLINE - SECONDS >= $1)) && return 0; echo "-- skipped (wants $1 s, $((DEADLINE - SECONDS)) s left): $2"; return 1; }
banner() { printf '\n===== %s  [t=%ds] =====\n' "$*" "$SECONDS"; }

{
    banner "setup: $(head -1 .gpu/MANIFEST.txt)"
    nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv,noheader

    banner "1. attention tests and fixtures on cuda (prefillAttention=auto)"
    timeout -k 10 110 "${JAVA[@]}" -Xmx16g -Dstrata.test.backends=cuda -Dstrata.fixtures="$PWD/.gpu/fixtures" -cp ".gpu/lib-test/*:.gpu/lib/*" \
        org.junit.platform.console.ConsoleLauncher execute \
        --select-class dev.strata.tests.ops.AttentionConformanceTest --select-class dev.strata.tests.ops.AttentionLowPrecisionConformanceTest \
        --select-class dev.strata.tests.ops.AttentionCrossBiasConformanceTest --select-class dev.strata.tests.DecoderFixtureTest \
        --select-class dev.strata.tests.EncoderDecoderFixtureTest \
        --details=summary --details-theme=ascii --disable-banner > "$OUT/prefill-tests.log" 2>&1
    echo "junit exit code $?"
    grep -E "tests (found|successful|failed|aborted)|=> |MethodSource" "$OUT/prefill-tests.log" | head -30

    banner "2. KernelRoofline prefill attention (BF16 compute)"
    for mode in kv16 kv16nm kv16w32 kv16nm kv16w32; do
        fits 25 "roofline $mode" || continue
        timeout 40 "${JAVA[@]}" "-Dstrata.cuda.prefillAttention=$mode" -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend cuda \
            --ops attention --prefill-attention 4x32x32x4096x128,4x32x8x4096x64 --attention-compute BF16 2>&1 | quiet | sed "s/^/$mode /"
    done

    banner "3. PyTorch SDPA"
    fits 30 "torch sdpa" && timeout 60 python3 bench/gpu/torch_reference.py --skip copy,decode,gemv,hf 2>/dev/null

    banner "4. pp512, 1B shape (head dim 64)"
    for mode in auto kv16 auto kv16; do
        fits 25 "pp512 $mode" || continue
        timeout 60 "${JAVA[@]}" "-Dstrata.cuda.prefillAttention=$mode" -cp ".gpu/lib/*" dev.strata.cli.Main bench --backend cuda \
            --generate-model 1b -p 512 -n 0 -r 3 2>&1 | quiet | grep -E "pp512" | sed "s/^/$mode /"
    done
    banner "done"
} 2>&1 | tee "$OUT/prefill.md"
