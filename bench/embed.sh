#!/usr/bin/env bash
# Embedding throughput beside ONNX Runtime, in one run on one machine: `strata bench embed`
# (all-MiniLM-L6-v2, batch 32 × seq 64 by default) and OrtEmbedBench on the same ONNX file and
# the same token ids, then both figures with machine, JDK and commit appended to bench/RESULTS.md.
# Usage: bench/embed.sh [--backend B] [--batch N] [--seq N] [-r N]
set -euo pipefail
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/jdk25.sh
source "$root/scripts/jdk25.sh"
batch=32 seq=64 reps=5 backend=auto
while [[ $# -gt 0 ]]; do
    case "$1" in
        --batch) batch=$2; shift 2 ;;
        --seq) seq=$2; shift 2 ;;
        -r) reps=$2; shift 2 ;;
        --backend) backend=$2; shift 2 ;;
        *) echo "embed.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$([[ -n $(git status --porcelain 2>/dev/null) ]] && echo "+dirty" || true)
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
strata=$(./strata bench embed --backend "$backend" --batch "$batch" --seq "$seq" -r "$reps" 2>/dev/null)
echo "$strata"
cp_file=$(mktemp)
(cd bench && mvn -B -q -o dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null)
ort=$(OPT_OUT_TRACKING=true "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "bench/target/classes:$(cat "$cp_file")" dev.strata.bench.OrtEmbedBench "$batch" "$seq" "$reps" 2>/dev/null)
rm -f "$cp_file"
echo "$ort"
s_tps=$(sed -n 's/^tokens_per_second: //p' <<< "$strata")
o_tps=$(sed -n 's/^tokens_per_second: //p' <<< "$ort")
ratio=$(awk -v a="$s_tps" -v b="$o_tps" 'BEGIN { printf "%.2f", a / b }')
{
    echo
    echo "### Embeddings $(date -u +%Y-%m-%d) — commit ${commit}${dirty} (\`bench/embed.sh\`)"
    echo "Machine: ${cpu:-unknown CPU}, $(nproc) cores, JDK $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
    echo
    echo "| engine | backend | model | batch × seq | tokens/s |"
    echo "|---|---|---|---|---:|"
    echo "| Strata | $backend | all-MiniLM-L6-v2 F32 | $batch × $seq | $s_tps |"
    echo "| ONNX Runtime (anchor, same run) | CPU EP | same ONNX file | $batch × $seq | $o_tps |"
    echo
    echo "Strata / ONNX Runtime: ${ratio}×"
} >> bench/RESULTS.md
echo "Strata / ONNX Runtime: ${ratio}×"
