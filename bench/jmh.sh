#!/usr/bin/env bash
# Runs the Strata JMH benchmarks (bench/target/benchmarks.jar), building it first if it is missing
# or older than the sources. Arguments go to JMH (e.g. `./jmh.sh MatMulBench -p dtype=BF16`).
# JSON results land in bench/results/jmh-<date>-<commit>.json.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
source "$root/scripts/jdk25.sh"
jar="$here/target/benchmarks.jar"
if [[ ! -f "$jar" ]] || [[ -n $(find "$root/engine/src" "$here/src" "$here/pom.xml" -newer "$jar" -type f -print -quit) ]]; then
    (cd "$root" && mvn -B -q -o install -DskipTests -pl bench -am)
fi
mkdir -p "$here/results"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
result="$here/results/jmh-$(date +%Y%m%d-%H%M%S)-$commit.json"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -jar "$jar" -rf json -rff "$result" "$@"
echo "results: $result"
