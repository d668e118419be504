#!/usr/bin/env bash
# Strata GPU check: runs ON the GPU host (no JDK, no Maven, no network), from the repo root, after
# bench/gpu-pack.sh built .gpu/ here on the CPU machine and the device tool carried it:
#     bash bench/gpu-check.sh
# Stages (each with a timeout; every stage runs even when an earlier one failed):
#   a. nvidia-smi + `strata devices`
#   b. JUnit console: conformance + fixture tests (dev.strata.tests, dev.strata.cuda, dev.strata.engine)
#   c. end-to-end `strata bench --backend cuda --generate-model 1b` (b1 pp512/tg128, b32 tg64)
#   d. dev.strata.bench.KernelRoofline --backend cuda  (JSON lines)
#   e. bench/gpu/torch_reference.py (PyTorch / HF transformers reference, JSON lines)
#   f. bench/gpu/summary.py: the final table, printed last
# Files under $OUT (at most 8 come back): check.log (everything), tests.log, junit-jupiter.xml[.gz],
# e2e.md, strata-kernels.jsonl, torch.jsonl, summary.md.
# The stage timeouts are capped so the whole script ends within $STRATA_CHECK_BUDGET_S seconds
# (default 570, inside the device tool's 600 s per command), keeping time for the later stages.
# STRATA_TORCH_SKIP passes torch_reference.py's --skip (e.g. "hf" drops the slow HF eager decode);
# STRATA_TEST_BACKENDS narrows the JUnit stage to some backends (e.g. "cuda"; default: all).
set -uo pipefail

root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
OUT=${OUT:-/tmp/strata-gpu-out}
mkdir -p "$OUT"
LOG=$OUT/check.log
: > "$LOG"

export PYTHONUNBUFFERED=1 OPT_OUT_TRACKING=true DJL_OFFLINE=true
# no network there: keep the HF libraries from trying (and retrying) the hub
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false
export STRATA_HOME=${STRATA_HOME:-/tmp/strata-home}
JRE=${STRATA_JRE:-/tmp/jre}
JAVA=$JRE/bin/java
FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m -XX:+UseParallelGC -Dai.djl.offline=true)
MODEL_DIR=$STRATA_HOME/models/strata-llama-1b-shape-random-bf16
BUDGET=${STRATA_CHECK_BUDGET_S:-570}
DEADLINE=$((SECONDS + BUDGET))
RCS=()

# Seconds a stage may take: its wish, capped so `reserve` seconds stay for the stages after it.
budget() {
    local want=$1 reserve=$2 left
    left=$((DEADLINE - SECONDS - reserve))
    ((left < want)) && want=$left
    ((want < 0)) && want=0
    echo "$want"
}

banner() { printf '\n===== %s  [t=%ds, %ds left] =====\n' "$*" "$SECONDS" "$((DEADLINE - SECONDS))"; }

record() { RCS+=("$1=$2"); echo ">>> stage $1 exit code: $2"; }

# timeout: TERM at the limit, KILL 10 s later; exit 124 means it ran out of time
tmo() { local t=$1; shift; timeout -k 10 "$t" "$@"; }

have_jars() { [[ -x "$JAVA" && -f .gpu/lib/strata-cli.jar ]]; }

stage_setup() {
    banner "setup"
    echo "host: $(hostname) $(uname -srm); cores: $(nproc); date: $(date -u +%FT%TZ)"
    echo "repo: $root; OUT=$OUT; STRATA_HOME=$STRATA_HOME; budget ${BUDGET}s"
    if [[ ! -f .gpu/jre.tar.xz ]]; then
        echo "ERROR: .gpu/jre.tar.xz missing: run bench/gpu-pack.sh on the CPU machine and carry .gpu"
        record setup 1
        return
    fi
    # always unpack afresh (~2 s): a warm machine may hold a runtime from an older pack
    mkdir -p "$(dirname "$JRE")"
    rm -rf "$JRE.tmp" && mkdir -p "$JRE.tmp" &&
        tar -xJf .gpu/jre.tar.xz -C "$JRE.tmp" && rm -rf "$JRE" && mv "$JRE.tmp/jre" "$JRE" && rm -rf "$JRE.tmp"
    local rc=$?
    # signal chaining for every JVM below (bench/gpu/runtime.sh says why)
    [[ -f $JRE/lib/libjsig.so ]] && export LD_PRELOAD=$JRE/lib/libjsig.so
    mkdir -p "$STRATA_HOME"
    "$JAVA" -version 2>&1 | head -3
    du -sh .gpu 2>/dev/null
    [[ -f .gpu/MANIFEST.txt ]] && head -20 .gpu/MANIFEST.txt
    record setup "$rc"
}

stage_devices() {
    banner "a. nvidia-smi + strata devices"
    tmo 30 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    local smi=$?
    local dev=127
    if have_jars; then
        tmo 60 "$JAVA" "${FLAGS[@]}" -cp ".gpu/lib/*" dev.strata.cli.Main devices
        dev=$?
    else
        echo "no runtime/jars: skipping strata devices"
    fi
    record a "smi:$smi,devices:$dev"
}

stage_tests() {
    local t
    t=$(budget 240 "$((150 + 60 + 150 + 15))")
    banner "b. JUnit: conformance + fixtures (timeout ${t}s)"
    if ! have_jars || ! compgen -G ".gpu/lib-test/junit-platform-console-standalone-*.jar" >/dev/null; then
        echo "no test jars: skipping"; record b skip; return
    fi
    if ((t < 20)); then echo "no time left: skipping"; record b skip; return; fi
    # MiniLM's tests need the bundled-model jar, which gpu-pack.sh leaves out (too big to carry)
    local selects=(--select-package dev.strata.tests --select-package dev.strata.cuda)
    [[ -f .gpu/lib-test/engine-tests.jar ]] && selects+=(--select-package dev.strata.engine)
    rm -rf /tmp/junit-reports
    # one application class path (the JVM expands the wildcards): the console launcher, its bundled
    # Jupiter engine/api/params, the test jars, and the runtime jars with the CUDA backend
    tmo "$t" "$JAVA" "${FLAGS[@]}" -Xmx24g -Dstrata.fixtures="$root/.gpu/fixtures" -Dstrata.test.backends="${STRATA_TEST_BACKENDS:-}" \
        -cp ".gpu/lib-test/*:.gpu/lib/*" org.junit.platform.console.ConsoleLauncher execute \
        "${selects[@]}" --exclude-classname '.*\.(MiniLmOnnxRuntimeTest|EmbedCommandTest)' --details=summary --details-theme=ascii --disable-banner --fail-if-no-tests \
        --reports-dir /tmp/junit-reports > "$OUT/tests.log" 2>&1
    local rc=$?
    ((rc == 124 || rc == 137)) && echo "TIMED OUT after ${t}s (partial output in tests.log)"
    echo "--- last 60 lines of tests.log ---"
    tail -n 60 "$OUT/tests.log"
    if [[ -f /tmp/junit-reports/TEST-junit-jupiter.xml ]]; then
        # the XML holds every test's captured output (7 MB with the CPU backend alone): gzip it
        # when large, as a returned file may not exceed 16 MiB
        if (($(stat -c %s /tmp/junit-reports/TEST-junit-jupiter.xml) > 12000000)); then
            gzip -9 -c /tmp/junit-reports/TEST-junit-jupiter.xml > "$OUT/junit-jupiter.xml.gz"
        else
            cp /tmp/junit-reports/TEST-junit-jupiter.xml "$OUT/junit-jupiter.xml"
        fi
        # failed tests with the first line of their message (the XML has them even when the log is long)
        python3 - /tmp/junit-reports/TEST-junit-jupiter.xml <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception as e:
    print(f"(could not read the JUnit XML: {e})"); sys.exit()
bad = []
for tc in root.iter("testcase"):
    for kind in ("failure", "error"):
        for el in tc.findall(kind):
            msg = (el.get("message") or el.text or "").strip().splitlines()
            bad.append(f"{kind.upper()}: {tc.get('classname')}.{tc.get('name')}: {(msg[0] if msg else '')[:200]}")
print(f"--- {len(bad)} failed tests (from junit-jupiter.xml) ---")
for b in bad[:40]:
    print(b)
if len(bad) > 40:
    print(f"... and {len(bad) - 40} more")
PY
    fi
    record b "$rc"
}

stage_e2e() {
    local t t1 t2 rc1=skip rc2=skip start=$SECONDS
    t=$(budget 240 "$((60 + 150 + 15))")
    banner "c. end-to-end strata bench, 1B-shape BF16, cuda (timeout ${t}s)"
    : > "$OUT/e2e.md"
    if ! have_jars; then echo "no runtime/jars: skipping"; record c skip; return; fi
    # the first call also writes the 2.5 GB model; leave the second call at least 60 s
    t1=$((t - 60)); ((t1 < 20)) && t1=$t
    if ((t1 >= 20)); then
        echo "## strata bench --backend cuda --generate-model 1b -p 512 -n 128 -r 3 -b 1" | tee -a "$OUT/e2e.md"
        tmo "$t1" "$JAVA" "${FLAGS[@]}" -cp ".gpu/lib/*" dev.strata.cli.Main \
            bench --backend cuda --generate-model 1b -p 512 -n 128 -r 3 -b 1 > /tmp/e2e1.md 2> /tmp/e2e1.err
        rc1=$?
        cat /tmp/e2e1.md | tee -a "$OUT/e2e.md"; echo | tee -a "$OUT/e2e.md"
        tail -n 30 /tmp/e2e1.err
        ((rc1 == 124 || rc1 == 137)) && echo "TIMED OUT after ${t1}s"
    fi
    t2=$(budget "$((t - (SECONDS - start)))" "$((60 + 150 + 15))")
    if ((t2 >= 15)); then
        echo "## strata bench --backend cuda --generate-model 1b -p 0 -n 64 -r 3 -b 32" | tee -a "$OUT/e2e.md"
        tmo "$t2" "$JAVA" "${FLAGS[@]}" -cp ".gpu/lib/*" dev.strata.cli.Main \
            bench --backend cuda --generate-model 1b -p 0 -n 64 -r 3 -b 32 > /tmp/e2e2.md 2> /tmp/e2e2.err
        rc2=$?
        cat /tmp/e2e2.md | tee -a "$OUT/e2e.md"
        tail -n 30 /tmp/e2e2.err
        ((rc2 == 124 || rc2 == 137)) && echo "TIMED OUT after ${t2}s"
    else
        echo "no time left for the batch-32 run"
    fi
    record c "b1:$rc1,b32:$rc2"
}

stage_kernels() {
    local t
    t=$(budget 120 "$((150 + 15))")
    banner "d. kernel roofline, cuda (timeout ${t}s)"
    : > "$OUT/strata-kernels.jsonl"
    if ! have_jars; then echo "no runtime/jars: skipping"; record d skip; return; fi
    if ((t < 15)); then echo "no time left: skipping"; record d skip; return; fi
    tmo "$t" "$JAVA" "${FLAGS[@]}" -cp ".gpu/lib/*" dev.strata.bench.KernelRoofline --backend cuda \
        > "$OUT/strata-kernels.jsonl" 2> /tmp/kernels.err
    local rc=$?
    cat "$OUT/strata-kernels.jsonl"
    tail -n 40 /tmp/kernels.err
    ((rc == 124 || rc == 137)) && echo "TIMED OUT after ${t}s"
    record d "$rc"
}

stage_torch() {
    local t
    t=$(budget 240 15)
    banner "e. PyTorch reference (timeout ${t}s)"
    : > "$OUT/torch.jsonl"
    if ((t < 15)); then echo "no time left: skipping"; record e skip; return; fi
    [[ -f "$MODEL_DIR/config.json" ]] || echo "note: $MODEL_DIR missing; the HF decode uses a random init of the same shape"
    # stderr (progress, tracebacks) to the log, stdout (JSON lines) to torch.jsonl
    tmo "$t" python3 bench/gpu/torch_reference.py --model "$MODEL_DIR" --skip "${STRATA_TORCH_SKIP:-}" 2>&1 > "$OUT/torch.jsonl"
    local rc=$?
    cat "$OUT/torch.jsonl"
    ((rc == 124 || rc == 137)) && echo "TIMED OUT after ${t}s"
    record e "$rc"
}

stage_summary() {
    banner "f. summary"
    ls -la "$OUT"
    STRATA_STAGE_RCS="${RCS[*]}" tmo 30 python3 bench/gpu/summary.py "$OUT"
    local rc=$?
    ((rc == 0)) || echo "summary.py exit code: $rc; stages: ${RCS[*]}"
}

main() {
    stage_setup
    stage_devices
    stage_tests
    stage_e2e
    stage_kernels
    stage_torch
    stage_summary
}

main 2>&1 | tee -a "$LOG"
exit "${PIPESTATUS[0]}"
