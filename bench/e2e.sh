#!/usr/bin/env bash
# End-to-end benchmark in the llama-bench shape: runs `strata bench` (pp512 / tg128 by default on
# the generated ~100M-parameter random Llama) and appends the table, with machine, JDK and
# commit, to bench/RESULTS.md. Extra arguments go to `strata bench` (e.g. --backend cpu -r 5).
set -euo pipefail
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$([[ -n $(git status --porcelain 2>/dev/null) ]] && echo "+dirty" || true)
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
table=$(./strata bench "$@" 2>/dev/null)
echo "$table"
{
    echo
    echo "### End-to-end $(date -u +%Y-%m-%d) — commit ${commit}${dirty}"
    echo "Machine: ${cpu:-unknown CPU}, $(nproc) cores; args: ${*:-(defaults)}"
    echo
    echo "$table"
} >> bench/RESULTS.md
