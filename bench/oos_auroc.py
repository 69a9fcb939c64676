#!/usr/bin/env python3
"""AUROC and out-of-scope recall of a classifier's confidences (issue 15, item 3).

Usage: bench/oos_auroc.py TEST.csv CLASSIFY_OUTPUT.jsonl [SHARE]
TEST.csv has text,category with out-of-scope rows labelled 'oos'; the JSONL is `smelt classify` output for its
texts, in order (label, probability, distance_confidence). For each confidence (probability, distance, their
product): AUROC of "low confidence → out of scope", out-of-scope recall when the least confident SHARE of the
traffic goes to the teacher, and in-scope accuracy of the top label.
"""
import csv, json, sys

rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
preds = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8') if l.strip()]
share = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
assert len(rows) == len(preds), (len(rows), len(preds))
oos = [r['category'] == 'oos' for r in rows]
conf = {
    'probability': [p['probability'] for p in preds],
    'distance': [p['distance_confidence'] for p in preds],
    'combined': [p['probability'] * p['distance_confidence'] for p in preds],
}

def auroc(score, pos):
    """P(score of a positive > score of a negative), ties count half (Mann-Whitney)."""
    pairs = sorted(zip(score, pos))
    rank_sum, n_pos, i = 0.0, 0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg = (i + j + 1) / 2  # 1-based average rank of the tie group
        for k in range(i, j):
            if pairs[k][1]:
                rank_sum += avg
                n_pos += 1
        i = j
    n_neg = len(pairs) - n_pos
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)

inscope = [i for i in range(len(rows)) if not oos[i]]
acc = sum(preds[i]['raw_label'] == rows[i]['category'] for i in inscope) / len(inscope)
out = {'n': len(rows), 'oos': sum(oos), 'in_scope_top1_accuracy': acc, 'share': share}
for name, c in conf.items():
    k = int(share * len(c))
    order = sorted(range(len(c)), key=lambda i: c[i])[:k]  # least confident first
    out[name] = {'auroc': auroc([-v for v in c], oos), 'oos_recall_at_share': sum(oos[i] for i in order) / sum(oos)}
print(json.dumps(out, indent=1))
