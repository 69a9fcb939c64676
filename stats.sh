#!/usr/bin/env bash
cd /tmp/loaders-fuzz
for f in *.mvn.log; do
  t=${f%.mvn.log}
  done_line=$(grep -ho "Done [0-9]* runs in [0-9]* second(s)" "$f" | tail -1)
  last=$(grep -h "^#[0-9]*.*cov:" "$f" | tail -1 | sed -E 's/^#([0-9]+)\s+(\w+)\s+cov: ([0-9]+) ft: ([0-9]+).*exec\/s: ([0-9]+).*/\1 \2 cov=\3 ft=\4 exec\/s=\5/')
  res=$(grep -h "Tests run:.*in dev" "$f" | tail -1 | sed -E 's/.*(Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+).*/\1/')
  echo "$t | $done_line | $last | $res"
done
