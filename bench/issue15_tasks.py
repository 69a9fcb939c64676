#!/usr/bin/env python3
"""Task sets for the issue-15 few-shot table, from the shipped data only (seeded, deterministic).

Usage: bench/issue15_tasks.py OUT [SEED]   (default seed 15) → CSV files with columns text,label:
  OUT/b77/train-{10,30,all}.csv, OUT/b77/test.csv         Banking77: K per intent from train; test = its test split
  OUT/sms/train-{10,30,all}.csv, OUT/sms/test.csv         SMS spam (ham/spam): 30% of each class held out for test
  OUT/nlupp-{banking,hotels}/train.csv, .../test.csv      NLU++ single-label subset: only examples with exactly one
        intent (NLU++ is multi-label; 31% of banking and 43% of hotels examples have one); folds 0-9 train, 10-19 test
  OUT/intent150/train.csv, OUT/intent150/test.csv         the 150-class few-shot task (below)

intent150: the 77 Banking77 intents (30 training examples each, seeded) + up to 73 NLU++ intents from the
single-label subset, prefixed by domain (nlupp_banking/…, hotels/…), most examples first: up to 30 of them for
training (half when fewer than 60) and the rest for test. Only 72 NLU++ intents have single-label examples in
folds 0-9, so the task has 149 classes. Shipped data has no other single-label intents, so the NLU++ classes are
smaller (fewer than 30 shots for most) and the NLU++ banking ones overlap Banking77's topics; test = Banking77 test
+ the held-out NLU++ examples. No out-of-scope rows (in-scope accuracy is what the target counts).
"""
import csv, json, os, random, sys
from collections import defaultdict

out = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 15
data = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '..', 'shared', 'data')


def write(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(['text', 'label'])
        w.writerows(rows)
    print(path, len(rows), 'rows', len({r[1] for r in rows}), 'labels')


def shots(rows, k, rnd):
    by = defaultdict(list)
    for t, l in rows:
        by[l].append(t)
    picked, rest = [], []
    for l in sorted(by):
        ts = by[l][:]
        rnd.shuffle(ts)
        picked += [(t, l) for t in ts[:k]]
        rest += [(t, l) for t in ts[k:]]
    rnd.shuffle(picked)
    return picked, rest


rnd = random.Random(seed)
b77 = [(r['text'], r['category']) for r in csv.DictReader(open(os.path.join(data, 'banking77', 'train.csv'), encoding='utf-8'))]
b77test = [(r['text'], r['category']) for r in csv.DictReader(open(os.path.join(data, 'banking77', 'test.csv'), encoding='utf-8'))]
for k in (10, 30):
    write(os.path.join(out, 'b77', f'train-{k}.csv'), shots(b77, k, random.Random(seed))[0])
write(os.path.join(out, 'b77', 'train-all.csv'), b77)
write(os.path.join(out, 'b77', 'test.csv'), b77test)

sms = []
for line in open(os.path.join(data, 'sms_spam', 'SMSSpamCollection'), encoding='utf-8'):
    label, text = line.rstrip('\n').split('\t', 1)
    sms.append((text, label))
by = defaultdict(list)
for t, l in sms:
    by[l].append((t, l))
smstrain, smstest = [], []
for l in sorted(by):
    rs = by[l][:]
    random.Random(seed).shuffle(rs)
    cut = int(round(len(rs) * 0.7))
    smstrain += rs[:cut]
    smstest += rs[cut:]
random.Random(seed).shuffle(smstest)
for k in (10, 30):
    write(os.path.join(out, 'sms', f'train-{k}.csv'), shots(smstrain, k, random.Random(seed))[0])
random.Random(seed).shuffle(smstrain)
write(os.path.join(out, 'sms', 'train-all.csv'), smstrain)
write(os.path.join(out, 'sms', 'test.csv'), smstest)

single = {}
for dom in ('banking', 'hotels'):
    tr, te = [], []
    for f in range(20):
        for r in json.load(open(os.path.join(data, 'nlupp', dom, f'fold{f}.json'), encoding='utf-8')):
            it = r.get('intents') or []
            if len(it) == 1:
                (tr if f < 10 else te).append((r['text'], it[0]))
    labels = {l for _, l in tr}
    te = [r for r in te if r[1] in labels]  # an intent never seen in training cannot be answered
    write(os.path.join(out, f'nlupp-{dom}', 'train.csv'), tr)
    write(os.path.join(out, f'nlupp-{dom}', 'test.csv'), te)
    for t, l in tr + te:
        single.setdefault(('nlupp_banking/' if dom == 'banking' else 'hotels/') + l, []).append(t)

train150, rest = shots(b77, 30, random.Random(seed))
test150 = list(b77test)
need = 150 - len({l for _, l in train150})
top = sorted(single, key=lambda l: (-len(single[l]), l))[:need]
r2 = random.Random(seed)
for l in sorted(top):
    ts = single[l][:]
    r2.shuffle(ts)
    ntrain = min(30, max(1, len(ts) // 2)) if len(ts) < 60 else 30
    train150 += [(t, l) for t in ts[:ntrain]]
    test150 += [(t, l) for t in ts[ntrain:]]
random.Random(seed).shuffle(train150)
random.Random(seed).shuffle(test150)
write(os.path.join(out, 'intent150', 'train.csv'), train150)
write(os.path.join(out, 'intent150', 'test.csv'), test150)
