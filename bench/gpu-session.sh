#!/usr/bin/env bash
# One whole GPU session in one device call (carry .gpu from bench/gpu-pack.sh), for a lease of
# ~15 minutes: correctness first, then the figures of bench/gpu-check.sh's table, then the A/B
# timings that decide the opt-in switches, all inside $STRATA_SESSION_BUDGET_S (default 540 s).
# Stages, in priority order (a stage is skipped, never cut short, when its wish no longer fits):
#   1. JUnit, five at once (correctness only, nothing timed meanwhile): the whole suite on CUDA
#      with the defaults; the CUDA op/fixture tests again on the non-default paths
#      (strata.cuda.pdl=off, strata.cuda.prefillAttention=staged, strata.stackedQkv=false,
#      strata.cuda.sampleCompact=off, strata.cuda.sampleTopPRejection=off); the attention, fused
#      matmul, fixture and generation tests under strata.cuda.fusedKvAppend=on (every batch),
#      strata.cuda.gemvGateCols=8, strata.cuda.gemvCols=2, strata.cuda.decodeKeysPerSplit=32,
#      strata.cuda.argmaxSplit=on, strata.cuda.sampleWarpPick=on and strata.cuda.sampleSplitTopK=on
#      (with the sample and argmax tests); the sample and pipelined-generation tests under
#      strata.cuda.argmaxSplit=on with strata.cuda.sampleSplitDraw=on; the attention tests and
#      decoder fixtures under strata.cuda.prefillAttention=kv16 with the fused matmul tests under
#      strata.cuda.gemvGateCols=2; and, on the CPU, `strata bench --backend cpu` once to write the
#      1B-shaped model to $STRATA_HOME. A log whose launcher found no tests is flagged.
#   2. e2e.md: `strata bench --backend cuda --generate-model 1b` b1 pp512/tg128, b1 tg128 through
#      Generator's greedy loop (--sample 0,0,1: tg128+greedy), b32 tg64.
#   3. torch.jsonl: PyTorch anchors (copy bandwidth, SDPA, decode attention, GEMV), no HF yet.
#   4. ab.md: Generator's greedy loop (tg+greedy) at batch 1 alternating over the decode
#      attention's keys per split (strata.cuda.decodeKeysPerSplit 256/64/32), the q/k/v GEMV's
#      columns per block (strata.cuda.gemvCols 8/4/2) and the greedy draw's split
#      (strata.cuda.argmaxSplit off/on, also at batch 32); the per-op profile at batch 1 (per op
#      kind and per node role, each isolated and in the step); a sampled tg64 (0.8,40,0.95) with
#      strata.cuda.sampleWarpPick off/on, strata.cuda.sampleSplitTopK on, and both on (batch 1),
#      and sampleSplitTopK off/on at batch 32; a T=1 tg64 (1,0,1) with strata.cuda.sampleSplitDraw
#      off/on (batch 1 and 32), and a top-p-only tg64 (0.8,0,0.95) with it off/on (batch 1). The
#      gate/up GEMV's columns (decided in three H100 runs) left the A/B.
#   5. strata-kernels.jsonl: KernelRoofline's GEMVs, decode/prefill attention, copy and the
#      Sample op (timed from device graphs); the Sample op again with strata.cuda.argmaxSplit=on,
#      strata.cuda.sampleWarpPick=on, strata.cuda.sampleSplitTopK=on and strata.cuda.sampleSplitDraw=on
#      (names prefixed optin_: greedy rows take the split, top-k 40 rows the split top-k, T=1 rows
#      the split draw, every radix pass the warp pick).
#   6. torch.jsonl += HF transformers eager decode on the same model (batch 1 and 32).
#   7. summary.md: bench/gpu/summary.py (the table, the targets, one row per A/B setting), printed
#      last with the profile's lines.
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
        quiet | grep -E "^\| (llama|[A-Z_]+ |[a-z_]+ \| [0-9]+ \|)|[Ss]tep" | sed "s/^/$label /" | tee -a "$OUT/ab.md"
}
# onoff LABEL SWITCH [strata bench args...]: bench with strata.cuda.SWITCH off, then on ("LABEL SWITCH=off|on")
onoff() {
    local label=$1 switch=$2 v; shift 2
    for v in off on; do bench "$label $switch=$v" "-Dstrata.cuda.$switch=$v" -- "$@"; done
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

    banner "1. tests on cuda (defaults | non-default paths | fused append at every batch, gemv cols, 32 keys per split, argmax split, warp pick, split top-k | split draw | kv16, gate cols 2) + model generation on the cpu"
    junit "$OUT/tests.log" 200 -Dstrata.test.backends=cuda --select-package dev.strata.tests --select-package dev.strata.cuda \
        --select-package dev.strata.engine --exclude-classname '.*\.(MiniLmOnnxRuntimeTest|EmbedCommandTest)' &
    local a=$!
    junit "$OUT/tests-optin.log" 200 -Dstrata.test.backends=cuda -Dstrata.cuda.pdl=off -Dstrata.cuda.prefillAttention=staged -Dstrata.stackedQkv=false \
        -Dstrata.cuda.sampleCompact=off -Dstrata.cuda.sampleTopPRejection=off \
        --select-class dev.strata.tests.ops.FusedMatMulConformanceTest --select-class dev.strata.tests.ops.MatMulConformanceTest \
        --select-class dev.strata.tests.ops.AttentionConformanceTest --select-class dev.strata.tests.ops.AttentionLowPrecisionConformanceTest \
        --select-class dev.strata.tests.ops.SampleConformanceTest --select-class dev.strata.tests.ops.RopeConformanceTest \
        --select-class dev.strata.tests.DecoderFixtureTest --select-class dev.strata.tests.EncoderFixtureTest &
    local b=$!
    junit /tmp/tests-append.log 200 -Dstrata.test.backends=cuda -Dstrata.cuda.fusedKvAppend=on -Dstrata.cuda.gemvGateCols=8 \
        -Dstrata.cuda.gemvCols=2 -Dstrata.cuda.decodeKeysPerSplit=32 -Dstrata.cuda.argmaxSplit=on -Dstrata.cuda.sampleWarpPick=on \
        -Dstrata.cuda.sampleSplitTopK=on \
        --select-class dev.strata.tests.ops.SampleConformanceTest --select-class dev.strata.tests.ops.GatherArgmaxConformanceTest \
        --select-class dev.strata.tests.ops.AttentionConformanceTest --select-class dev.strata.tests.DecoderFixtureTest \
        --select-class dev.strata.tests.ops.FusedMatMulConformanceTest --select-class dev.strata.tests.ops.MatMulConformanceTest \
        --select-class dev.strata.tests.EncoderDecoderFixtureTest --select-class dev.strata.tests.runtime.PipelinedGenerationTest \
        --select-class dev.strata.tests.runtime.CrossBackendDecodeTest --select-class dev.strata.tests.runtime.Seq2SeqPipelinedTest &
    local c=$!
    junit /tmp/tests-kv16.log 200 -Dstrata.test.backends=cuda -Dstrata.cuda.prefillAttention=kv16 -Dstrata.cuda.gemvGateCols=2 \
        --select-class dev.strata.tests.ops.FusedMatMulConformanceTest --select-class dev.strata.tests.ops.AttentionConformanceTest --select-class dev.strata.tests.ops.AttentionLowPrecisionConformanceTest \
        --select-class dev.strata.tests.ops.AttentionCrossBiasConformanceTest --select-class dev.strata.tests.DecoderFixtureTest &
    local d=$!
    junit /tmp/tests-draw.log 200 -Dstrata.test.backends=cuda -Dstrata.cuda.argmaxSplit=on -Dstrata.cuda.sampleSplitDraw=on \
        --select-class dev.strata.tests.ops.SampleConformanceTest --select-class dev.strata.tests.runtime.PipelinedGenerationTest &
    local e=$!
    timeout 200 "${JAVA[@]}" -cp ".gpu/lib/*" dev.strata.cli.Main bench --backend cpu --generate-model 1b -p 4 -n 0 -r 1 2>&1 | quiet | tail -n 3
    wait "$a" "$b" "$c" "$d" "$e"
    for f in "$OUT/tests.log" "$OUT/tests-optin.log" /tmp/tests-append.log /tmp/tests-kv16.log /tmp/tests-draw.log; do
        echo "--- $(basename "$f")"
        grep -qE "^\[ +0 tests found" "$f" && echo "!! $(basename "$f"): the launcher found no tests (a selector names no class?)"
        grep -E "tests (found|successful|failed|aborted|skipped)|MethodSource|=> |JUnit Jupiter:" "$f" | head -40
    done

    banner "2. e2e (defaults)"
    : > "$OUT/e2e.md"
    if fits 60 "e2e"; then
        echo "## strata bench --backend cuda --generate-model 1b -p 512 -n 128 -r 3 -b 1" >> "$OUT/e2e.md"
        timeout 90 "${STRATA[@]}" bench --backend cuda --generate-model 1b -p 512 -n 128 -r 3 -b 1 2>/dev/null | tee -a "$OUT/e2e.md"
        echo "## strata bench --backend cuda --generate-model 1b -p 0 -n 128 -r 3 -b 1 --sample 0,0,1 (Generator's greedy loop)" >> "$OUT/e2e.md"
        timeout 90 "${STRATA[@]}" bench --backend cuda --generate-model 1b -p 0 -n 128 -r 3 -b 1 --sample 0,0,1 2>/dev/null | tee -a "$OUT/e2e.md"
        echo "## strata bench --backend cuda --generate-model 1b -p 0 -n 64 -r 3 -b 32" >> "$OUT/e2e.md"
        timeout 90 "${STRATA[@]}" bench --backend cuda --generate-model 1b -p 0 -n 64 -r 3 -b 32 2>/dev/null | tee -a "$OUT/e2e.md"
    fi

    banner "3. PyTorch anchors"
    : > "$OUT/torch.jsonl"
    fits 60 "torch anchors" && timeout 90 python3 bench/gpu/torch_reference.py --skip hf 2>>/tmp/torch.err | tee -a "$OUT/torch.jsonl"

    banner "4. decode A/B"
    : > "$OUT/ab.md"
    for round in 1 2; do
        for k in 256 64 32; do
            bench "b1-greedy decodeKeysPerSplit=$k" "-Dstrata.cuda.decodeKeysPerSplit=$k" -- -p 0 -n 128 -r 3 -b 1 --sample 0,0,1
        done
        for c in 8 4 2; do
            bench "b1-greedy gemvCols=$c" "-Dstrata.cuda.gemvCols=$c" -- -p 0 -n 128 -r 3 -b 1 --sample 0,0,1
        done
        onoff b1-greedy argmaxSplit -p 0 -n 128 -r 3 -b 1 --sample 0,0,1
    done
    onoff b32-greedy argmaxSplit -p 0 -n 64 -r 3 -b 32 --sample 0,0,1
    bench "b1-profile" -- -p 0 -n 64 -r 2 -b 1 --profile --sample 0,0,1
    for round in 1 2; do
        onoff b1-sample sampleWarpPick -p 0 -n 64 -r 3 -b 1 --sample 0.8,40,0.95
        bench "b1-sample sampleSplitTopK=on" "-Dstrata.cuda.sampleSplitTopK=on" -- -p 0 -n 64 -r 3 -b 1 --sample 0.8,40,0.95
        bench "b1-sample sampleWarpPick+SplitTopK=on" -Dstrata.cuda.sampleWarpPick=on -Dstrata.cuda.sampleSplitTopK=on -- \
            -p 0 -n 64 -r 3 -b 1 --sample 0.8,40,0.95
    done
    onoff b32-sample sampleSplitTopK -p 0 -n 64 -r 3 -b 32 --sample 0.8,40,0.95
    for round in 1 2; do
        onoff b1-t1 sampleSplitDraw -p 0 -n 64 -r 3 -b 1 --sample 1,0,1
    done
    onoff b32-t1 sampleSplitDraw -p 0 -n 64 -r 3 -b 32 --sample 1,0,1
    onoff b1-topp sampleSplitDraw -p 0 -n 64 -r 3 -b 1 --sample 0.8,0,0.95

    banner "5. kernel roofline (device-graph timing)"
    : > "$OUT/strata-kernels.jsonl"
    fits 70 "kernel roofline" && timeout 100 "${JAVA[@]}" -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend cuda \
        --ops gemv,attention,scale,sample 2>/dev/null | tee "$OUT/strata-kernels.jsonl"
    fits 30 "sample op, argmax split, warp pick, split top-k" && timeout 40 "${JAVA[@]}" -Dstrata.cuda.argmaxSplit=on -Dstrata.cuda.sampleWarpPick=on \
        -Dstrata.cuda.sampleSplitTopK=on -Dstrata.cuda.sampleSplitDraw=on \
        -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend cuda --ops sample 2>/dev/null \
        | sed 's/"name":"sample_/"name":"optin_sample_/' | tee -a "$OUT/strata-kernels.jsonl"

    banner "6. HF eager decode"
    fits 90 "HF eager" && timeout $(($(left) - 25)) python3 bench/gpu/torch_reference.py --model "$MODEL_DIR" \
        --skip copy,prefill,decode,gemv 2>>/tmp/torch.err | tee -a "$OUT/torch.jsonl"
    tail -n 5 /tmp/torch.err

    banner "7. summary"
    timeout 20 python3 bench/gpu/summary.py "$OUT"
    echo "## profile (see ab.md)"
    grep -v "| llama |" "$OUT/ab.md" | grep -E "[Ss]tep|\| [A-Z]+ \||\| [a-z_]+ \| [0-9]+ \|"
}
main 2>&1 | tee -a "$LOG"
