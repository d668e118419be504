#!/usr/bin/env bash
# Prefill attention on the GPU host: the attention conformance tests on CUDA (F32 and the 16-bit
# tensor-core kernel, AttentionLowPrecisionConformanceTest), KernelRoofline's causal prefill
# attention with BF16 and F32 compute at the issue's shape (B4 H32 S4096 D128) and a GQA head-dim-64
# one, PyTorch SDPA at the issue's shape in the same run, and pp512 of the generated 1B-shaped BF16
# Llama (head dim 64) with the tensor-core kernel and without it (strata.cuda.prefillAttention=f32);
# each also with strata.cuda.prefillAttention=staged (F32 K/V tiles rounded per tile) beside the
# default kv16 (K/V rounded once per layer into 16-bit scratch), whose tests run again under it.
# Usage on the GPU host, from the repository root: bash bench/gpu-attention.sh (carry .gpu, packed
# by bench/gpu-pack.sh). Prints a short table last.
set -uo pipefail
source bench/gpu/runtime.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
quiet() { grep -v "incubator modules\|Unsafe\|MemoryUtil"; }
java_cp() { "$JRE/bin/java" "${JAVA_FLAGS[@]}" "$@"; }
{
    echo "## $(date -u +%FT%TZ), $(head -1 .gpu/MANIFEST.txt)"
    echo "## attention tests on cuda"
    timeout 150 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.test.backends=cuda -cp ".gpu/lib-test/*:.gpu/lib/*" \
        org.junit.platform.console.ConsoleLauncher execute --select-class dev.strata.tests.ops.AttentionLowPrecisionConformanceTest \
        --select-class dev.strata.tests.ops.AttentionConformanceTest --select-class dev.strata.tests.ops.AttentionCrossBiasConformanceTest \
        --details=summary --details-theme=ascii --disable-banner > "$OUT/attention-tests.log" 2>&1
    echo "junit exit code $?"
    grep -E "tests (found|successful|failed|aborted)|MethodSource|=> " "$OUT/attention-tests.log" | head -40
    echo "## attention tests on cuda, strata.cuda.prefillAttention=staged"
    timeout 120 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.cuda.prefillAttention=staged -Dstrata.test.backends=cuda -cp ".gpu/lib-test/*:.gpu/lib/*" \
        org.junit.platform.console.ConsoleLauncher execute --select-class dev.strata.tests.ops.AttentionLowPrecisionConformanceTest \
        --select-class dev.strata.tests.ops.AttentionConformanceTest \
        --details=summary --details-theme=ascii --disable-banner > "$OUT/attention-tests-staged.log" 2>&1
    echo "junit exit code $?"
    grep -E "tests (found|successful|failed|aborted)|MethodSource|=> " "$OUT/attention-tests-staged.log" | head -40
    echo "## KernelRoofline prefill attention (cuda)"
    for shape in 4x32x32x4096x128 4x32x8x4096x64; do
        timeout 90 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend cuda --ops attention \
            --prefill-attention "$shape" --attention-compute BF16,F32 2>&1 | quiet | tee -a "$OUT/kernels.jsonl"
        timeout 90 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.cuda.prefillAttention=staged -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline \
            --backend cuda --ops attention --prefill-attention "$shape" --attention-compute BF16 2>&1 | quiet \
            | sed 's/"name":"\([^"]*\)"/"name":"\1_staged"/' | tee -a "$OUT/kernels.jsonl"
    done
    echo "## PyTorch SDPA (same run)"
    timeout 90 python3 bench/gpu/torch_reference.py --skip copy,decode,gemv,hf 2>/dev/null | tee "$OUT/torch.jsonl"
    echo "## strata bench 1B-shaped BF16 Llama, pp512: tensor cores, then F32 attention"
    timeout 120 "${STRATA[@]}" bench --backend cuda --generate-model 1b -p 512 -n 0 -r 3 2>&1 | quiet | grep -E "^\|"
    timeout 60 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.cuda.prefillAttention=f32 -cp ".gpu/lib/*" dev.strata.cli.Main \
        bench --backend cuda --generate-model 1b -p 512 -n 0 -r 3 2>&1 | quiet | grep -E "pp512"
    timeout 60 "$JRE/bin/java" "${JAVA_FLAGS[@]}" -Dstrata.cuda.prefillAttention=staged -cp ".gpu/lib/*" dev.strata.cli.Main \
        bench --backend cuda --generate-model 1b -p 512 -n 0 -r 3 2>&1 | quiet | grep -E "pp512" | sed 's/^/staged /'
    echo "## table"
    python3 - "$OUT/kernels.jsonl" "$OUT/torch.jsonl" <<'PY'
import json, sys
rows = []
for path in sys.argv[1:]:
    for line in open(path, errors="replace"):
        if line.startswith("{"):
            try: rows.append(json.loads(line))
            except ValueError: pass
sdpa = next((r["value"] for r in rows if "sdpa" in r.get("name", "") and "prefill" in r.get("name", "")), None)
print("| figure | TFLOP/s | ms | / SDPA | check |\n|---|---:|---:|---:|---|")
for r in rows:
    if "prefill" not in r.get("name", "") or "value" not in r: continue
    ratio = f"{r['value'] / sdpa:.3f}" if sdpa and "_s4096_d128" in r["name"] or (sdpa and "sdpa" in r["name"]) else "—"
    print(f"| {r['name']} | {r['value']} | {r.get('ms')} | {ratio} | {r.get('check', '')} |")
PY
} 2>&1 | tee "$OUT/attention.md"
