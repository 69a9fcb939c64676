#!/usr/bin/env bash
# Fuzzes every target for DURATION each (default 10m), one JVM per target (Jazzer fuzzes one target per run).
# Usage: fuzz/run-all.sh [DURATION] [FILTER]   e.g. fuzz/run-all.sh 10m   or   fuzz/run-all.sh 2m Schema
# Findings (crashing inputs) land in fuzz/src/test/resources/.../<Class>Inputs/<method>/ and are replayed
# by every default build afterwards; the log of each run is in fuzz/target/fuzz-logs/.
set -u
cd "$(dirname "$0")/.."
DURATION="${1:-10m}"
FILTER="${2:-}"
TARGETS="${FUZZ_TARGETS:-ModelFilesFuzzTest#gguf ModelFilesFuzzTest#safetensors ModelFilesFuzzTest#onnx ModelFilesFuzzTest#tokenizerJson
ModelFilesFuzzTest#peftAdapter ModelFilesFuzzTest#chatTemplate RequestBodyFuzzTest#openAiChat RequestBodyFuzzTest#openAiCompletions
RequestBodyFuzzTest#ollamaGenerate RequestBodyFuzzTest#ollamaChat SchemaFuzzTest#jsonSchema TrainingInputsFuzzTest#jsonlTrainingData
TrainingInputsFuzzTest#csvData TrainingInputsFuzzTest#taskYaml TrainingInputsFuzzTest#routerYaml}"
mkdir -p fuzz/target/fuzz-logs
status=0
for t in $TARGETS; do
  case "$t" in *"$FILTER"*) ;; *) continue ;; esac
  log="fuzz/target/fuzz-logs/${t/\#/.}.log"
  echo "$(date -u +%H:%M:%S) fuzzing $t for $DURATION -> $log"
  if ./mvnw -B -o -pl fuzz -Pfuzz test -Dtest="$t" -Dfuzz.duration="$DURATION" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1; then
    echo "  ok"
  else
    echo "  FINDING or failure: see $log and fuzz/target/surefire-reports"; status=1
  fi
  # libFuzzer's summary line: executions and speed
  grep -ho "Done [0-9]* runs in [0-9]* second(s)\|stat::number_of_executed_units: [0-9]*" "$log" fuzz/target/surefire-reports/*-output.txt 2>/dev/null | tail -1
done
exit $status
