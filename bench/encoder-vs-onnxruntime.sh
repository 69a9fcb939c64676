#!/usr/bin/env bash
# smelt's BERT encoder vs onnxruntime (langchain4j 1.0.0-beta1), same process, rounds interleaved.
# Usage: bench/encoder-vs-onnxruntime.sh [MODEL] [SENTENCES] [ROUNDS] [long]   (run from the project root)
# long: texts of 40 joined sentences (~470 word pieces) instead of single sentences
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
MODEL="${1:-all-minilm-l6-v2}"; N="${2:-1024}"; ROUNDS="${3:-3}"; MODE="${4:-}"
./mvnw -B -q -DskipTests install -pl model -am >&2
OUT="$ROOT/bench/encoder/target"; mkdir -p "$OUT/classes"
./mvnw -B -q -f bench/encoder/pom.xml dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" >&2
# smelt's classes come from this checkout's build (not ~/.m2), the reference's from the bench project.
CP="$ROOT/model/target/classes:$ROOT/tensor/target/classes:$(cat "$OUT/cp.txt")"
"$JAVA_HOME/bin/javac" -d "$OUT/classes" -cp "$CP" bench/encoder/src/main/java/EncoderBench.java
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 -XX:+UseParallelGC \
  -cp "$OUT/classes:$CP" EncoderBench "$MODEL" "$ROOT/../shared/data/banking77/test.csv" "$N" "$ROUNDS" $MODE 2>&1 | grep -v '^WARNING'
