#!/usr/bin/env bash
# One whole GPU session in one device call (carry .gpu from bench/gpu-pack.sh), for a lease of
# ~15 minutes: correctness first, then the figures of bench/gpu-check.sh's table, then the A/B
# timings that decide the opt-in switches, all inside $STRATA_SESSION_BUDGET_S (default 540 s).
# Stages, in priority order (a stage is skipped, never cut short, when its wish no longer fits):
#   1. JUnit, four at once (correctness only, nothing timed meanwhile): the whole suite on CUDA
#      with the defaults; the CUDA op/fixture tests again on the non-default paths
#      (strata.cuda.pdl=off, strata.cuda.prefillAttention=staged, strata.stackedQkv=false); the
#      attention, sample, fixture and generation tests under strata.cuda.fusedKvAppend=on,
#      strata.cuda.sampleCompact=on and strata.cuda.sampleTopPRejection=on; the
#      attention tests and decoder fixtures under strata.cuda.prefillAttention=kv16; and, on the
#      CPU, `strata bench --backend cpu` once to write the 1B-shaped model to $STRATA_HOME.
#   2. e2e.md: `strata bench --backend cuda --generate-model 1b` b1 pp512/tg128, b32 tg64.
#   3. torch.jsonl: PyTorch anchors (copy bandwidth, SDPA, decode attention, GEMV), no HF yet.
#   4. ab.md: KernelRoofline's Sample op (vocab 128,256, rows 1 and 32) with
#      strata.cuda.sampleCompact and strata.cuda.sampleTopPRejection on and off, tg64+sample with
#      compaction on, and b1 tg64 sampling top-p only (0.8,0,0.95) with and without rejection;
#      decode tg128 at batch 1
#      alternating pdl on/off, then strata.cuda.fusedKvAppend on/off (and at batch 32); pdl at
#      batch 32; tg64 (a synchronous step each) against Generator's pipelined loop (--sample:
#      0.8,40,0.95, and 0,0,1 = greedy argmax) at batch 1 and 32; the per-op profiles at batch 1,
#      greedy and sampled.
#   5. ab.md: prefill attention (KernelRoofline, B4 H32 S4096 D128, BF16) and pp512 with the
#      default (auto) against strata.cuda.prefillAttention=kv16 and =staged.
#   6. strata-kernels.jsonl: KernelRoofline's GEMVs, decode/prefill attention and copy.
#   7. torch.jsonl += HF transformers eager decode on the same model (batch 1 and 32).
#   8. summary.md: bench/gpu/summary.py, printed last with the A/B lines.
# Usage on the GPU host, from the repository root: bash bench/gpu-session.sh
set -uo pipefail
source bench/gpu/runtime.sh
export PYTHONUNBUFFERED=1 DJL_OFFLINE=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
BUDGET=${STRATA_SESSION_BUDGET_S:-540}
DEADLINE=$((SECONDS + BUDGET))
LOG=$OUT/session.log
MODEL_DIR=$STRATA_HOME/models/strata-llama-1b-shape-random-bf16
JAVA=("$JRE/bin/java" "${JAVA_FLAGS[@]}" -XX:+UseParallelGC)
ALL=prenorm,gate,rotary,residual
: > "$LOG"

left() { echo $((DEADLINE - SECONDS)); }
# fits WISH: true when WISH seconds still fit before the deadline (else says what is skipped)
fits() { (($(left) >= $1)) && return 0; echo "-- skipped (wants $1 s, $(left) s left): $2"; return 1; }
banner() { printf '\n===== %s  [t=%ds, %ds left] =====\n' "$*" "$SECONDS" "$(left)"; }
quiet() { grep -v "incubator modules\|Unsafe\|MemoryUtil\|WARNING"; }
# bench LABEL [-Dprop=value...] -- [strata bench args...]: one `strata bench` on the 1B shape,
# its table rows to ab.md with LABEL in front
bench() {
    local label=$1 props=() ; shift
    while [[ $# -gt 0 && $1 != -- ]]; do props+=("$1"); shift; done
    shift
    fits 25 "bench $label" || return
    timeout 90 "${JAVA[@]}" "${props[@]}" -cp ".gpu/lib/*" dev.strata.cli.Main bench --backend cuda --generate-model 1b "$@" 2>&1 |
        quiet | grep -E "^\| (llama|[A-Z_]+ )|[Ss]tep" | sed "s/^/$label /" | tee -a "$OUT/ab.md"
}
junit() { # LOGFILE TIMEOUT [java props and launcher selectors...]
    local log=$1 t=$2; shift 2
    local props=() ; while [[ $1 == -D* ]]; do props+=("$1"); shift; done
    timeout -k 10 "$t" "${JAVA[@]}" -Xmx16g "${props[@]}" -Dstrata.fixtures="$PWD/.gpu/fixtures" -cp ".gpu/lib-test/*:.gpu/lib/*" \
        org.junit.platform.console.ConsoleLauncher execute "$@" --details=summary --details-theme=ascii --disable-banner > "$log" 2>&1
    echo "$(basename "$log"): exit code $?"
}

main() {
    banner "setup"
    echo "$(head -1 .gpu/MANIFEST.txt)"
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv
    "${STRATA[@]}" devices 2>&1 | quiet

    banner "1. tests on cuda (defaults | pdl off, staged prefill, unstacked q/k/v) + model generation on the cpu"
    junit "$OUT/tests.log" 200 -Dstrata.test.backends=cuda --select-package dev.strata.tests --select-package dev.strata.cuda \
        --select-package dev.strata.engine --exclude-classname '.*\.(MiniLmOnnxRuntimeTest|EmbedCommandTest)' &
    local a=$!
    junit "$OUT/tests-optin.log" 200 -Dstrata.test.backends=cuda -Dstrata.cuda.pdl=off -Dstrata.cuda.prefillAttention=staged -Dstrata.stackedQkv=false \
        --select-class dev.strata.tests.ops.FusedMatMulConformanceTest --select-class dev.strata.tests.ops.MatMulConformanceTest \
        --select-class dev.strata.tests.ops.AttentionConformanceTest --select-class dev.strata.tests.ops.AttentionLowPrecisionConformanceTest \
        --select-class dev.strata.tests.ops.SampleConformanceTest --select-class dev.strata.tests.ops.RopeConformanceTest \
        --select-class dev.strata.tests.DecoderFixtureTest --select-class dev.strata.tests.EncoderFixtureTest &
    local b=$!
    junit /tmp/tests-append.log 200 -Dstrata.test.backends=cuda -Dstrata.cuda.fusedKvAppend=on -Dstrata.cuda.sampleCompact=on \
        -Dstrata.cuda.sampleTopPRejection=on \
        --select-class dev.strata.tests.ops.AttentionConformanceTest --select-class dev.strata.tests.DecoderFixtureTest \
        --select-class dev.strata.tests.ops.SampleConformanceTest \
        --select-class dev.strata.tests.EncoderDecoderFixtureTest --select-class dev.strata.tests.runtime.PipelinedGenerationTest \
        --select-class dev.strata.tests.runtime.CrossBackendDecodeTest --select-class dev.strata.tests.runtime.GeneratorTest &
    local c=$!
    junit /tmp/tests-kv16.log 200 -Dstrata.test.backends=cuda -Dstrata.cuda.prefillAttention=kv16 \
        --select-class dev.strata.tests.ops.AttentionConformanceTest --select-class dev.strata.tests.ops.AttentionLowPrecisionConformanceTest \
        --select-class dev.strata.tests.ops.AttentionCrossBiasConformanceTest --select-class dev.strata.tests.DecoderFixtureTest &
    local d=$!
    timeout 200 "${JAVA[@]}" -cp ".gpu/lib/*" dev.strata.cli.Main bench --backend cpu --generate-model 1b -p 4 -n 0 -r 1 2>&1 | quiet | tail -n 3
    wait "$a" "$b" "$c" "$d"
    for f in "$OUT/tests.log" "$OUT/tests-optin.log" /tmp/tests-append.log /tmp/tests-kv16.log; do
        echo "--- $(basename "$f")"
        grep -E "tests (found|successful|failed|aborted|skipped)|MethodSource|=> |JUnit Jupiter:" "$f" | head -40
    done

    banner "2. e2e (defaults)"
    : > "$OUT/e2e.md"
    if fits 60 "e2e"; then
        echo "## strata bench --backend cuda --generate-model 1b -p 512 -n 128 -r 3 -b 1" >> "$OUT/e2e.md"
        timeout 90 "${STRATA[@]}" bench --backend cuda --generate-model 1b -p 512 -n 128 -r 3 -b 1 2>/dev/null | tee -a "$OUT/e2e.md"
        echo "## strata bench --backend cuda --generate-model 1b -p 0 -n 64 -r 3 -b 32" >> "$OUT/e2e.md"
        timeout 90 "${STRATA[@]}" bench --backend cuda --generate-model 1b -p 0 -n 64 -r 3 -b 32 2>/dev/null | tee -a "$OUT/e2e.md"
    fi

    banner "3. PyTorch anchors"
    : > "$OUT/torch.jsonl"
    fits 60 "torch anchors" && timeout 90 python3 bench/gpu/torch_reference.py --skip hf 2>>/tmp/torch.err | tee -a "$OUT/torch.jsonl"

    banner "4. sampling and decode A/B"
    : > "$OUT/ab.md"
    for c in on,off off,off on,on off,on; do
        fits 40 "sample roofline" && timeout 60 "${JAVA[@]}" "-Dstrata.cuda.sampleCompact=${c%,*}" "-Dstrata.cuda.sampleTopPRejection=${c#*,}" \
            -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend cuda --ops sample 2>&1 | quiet \
            | sed "s/^/sampleCompact=${c%,*} sampleTopPRejection=${c#*,} /" | tee -a "$OUT/ab.md"
    done
    for pdl in on off on off; do
        bench "b1-pdl=$pdl" "-Dstrata.cuda.pdl=$pdl" -- -p 0 -n 128 -r 3 -b 1
    done
    for f in on off on off; do
        bench "b1-fusedKvAppend=$f" "-Dstrata.cuda.fusedKvAppend=$f" -- -p 0 -n 128 -r 3 -b 1
    done
    bench "b32-fusedKvAppend=on" -Dstrata.cuda.fusedKvAppend=on -- -p 0 -n 64 -r 3 -b 32
    bench "b32-fusedKvAppend=off" -Dstrata.cuda.fusedKvAppend=off -- -p 0 -n 64 -r 3 -b 32
    bench "b32-pdl=on" -Dstrata.cuda.pdl=on -- -p 0 -n 64 -r 3 -b 32
    bench "b32-pdl=off" -Dstrata.cuda.pdl=off -- -p 0 -n 64 -r 3 -b 32
    for b in 1 32; do
        bench "b$b-greedy" -- -p 0 -n 64 -r 3 -b "$b"
        bench "b$b-sample" -- -p 0 -n 64 -r 3 -b "$b" --sample 0.8,40,0.95
        bench "b$b-greedy-pipelined" -- -p 0 -n 64 -r 3 -b "$b" --sample 0,0,1
    done
    for b in 1 32; do
        bench "b$b-sample-compact" -Dstrata.cuda.sampleCompact=on -- -p 0 -n 64 -r 3 -b "$b" --sample 0.8,40,0.95
    done
    for r in on off; do
        bench "b1-sample-topp-rejection=$r" "-Dstrata.cuda.sampleTopPRejection=$r" -- -p 0 -n 64 -r 3 -b 1 --sample 0.8,0,0.95
    done
    bench "b1-profile" -- -p 0 -n 64 -r 2 -b 1 --profile
    bench "b1-sample-profile" -- -p 0 -n 64 -r 2 -b 1 --profile --sample 0.8,40,0.95

    banner "5. prefill attention A/B"
    for mode in auto kv16 staged auto; do
        fits 40 "roofline $mode" || continue
        timeout 60 "${JAVA[@]}" "-Dstrata.cuda.prefillAttention=$mode" -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend cuda \
            --ops attention --prefill-attention 4x32x32x4096x128 --attention-compute BF16 2>&1 | quiet | sed "s/^/$mode /" | tee -a "$OUT/ab.md"
    done
    for mode in auto kv16 auto kv16; do
        bench "pp512-$mode" "-Dstrata.cuda.prefillAttention=$mode" -- -p 512 -n 0 -r 3 -b 1
    done

    banner "6. kernel roofline"
    : > "$OUT/strata-kernels.jsonl"
    fits 70 "kernel roofline" && timeout 100 "${JAVA[@]}" -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend cuda \
        --ops gemv,attention,scale 2>/dev/null | tee "$OUT/strata-kernels.jsonl"

    banner "7. HF eager decode"
    fits 90 "HF eager" && timeout $(($(left) - 25)) python3 bench/gpu/torch_reference.py --model "$MODEL_DIR" \
        --skip copy,prefill,decode,gemv 2>>/tmp/torch.err | tee -a "$OUT/torch.jsonl"
    tail -n 5 /tmp/torch.err

    banner "8. summary"
    timeout 20 python3 bench/gpu/summary.py "$OUT"
    echo "## A/B (tg/pp rows; see ab.md)"
    grep -E "\| (tg|pp)|TFLOP|sample_" "$OUT/ab.md" | sed -E 's/\| llama \| [^|]*\| cuda \| [^|]*\| //; s/"device":"[^"]*",//'
}
main 2>&1 | tee -a "$LOG"
