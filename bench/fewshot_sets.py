#!/usr/bin/env python3
"""K examples per intent from Banking77 train (seeded), for the few-shot rows of the issue-15 table.

Usage: bench/fewshot_sets.py OUT K [SEED]   → OUT/train-K.csv (text,category); test with ../shared/data/banking77/test.csv
"""
import csv, os, random, sys
from collections import defaultdict

out, k = sys.argv[1], int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 15
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rows = list(csv.DictReader(open(os.path.join(root, '..', 'shared', 'data', 'banking77', 'train.csv'), newline='', encoding='utf-8')))
by = defaultdict(list)
for r in rows:
    by[r['category']].append(r['text'])
rnd = random.Random(seed)
picked = []
for label in sorted(by):
    texts = by[label][:]
    rnd.shuffle(texts)
    picked += [(t, label) for t in texts[:k]]
rnd.shuffle(picked)
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, f'train-{k}.csv'), 'w', newline='', encoding='utf-8') as f:
    w = csv.writer(f)
    w.writerow(['text', 'category'])
    w.writerows(picked)
print(len(picked))
