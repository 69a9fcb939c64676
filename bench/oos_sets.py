#!/usr/bin/env python3
"""Out-of-scope and drift sets for a Banking77 classifier (issue 15), from the shipped data only.

NLU++ hotels queries (../shared/data/nlupp/hotels) are out of scope for Banking77. Writes to OUT:
  train.csv  Banking77 train minus a held-out dev part (text,category), no out-of-scope rows
  dev.csv    the held-out Banking77 rows + 3% hotels rows labelled 'oos'   (calibration traffic)
  test.csv   Banking77 test + hotels rows making 18% of it, labelled 'oos' (drifted traffic), shuffled
  teacher.csv  dev + test rows: what the replay teacher stand-in answers
  task.yaml  examples/banking77/task.yaml with 'oos' added to the labels
Usage: bench/oos_sets.py OUT [DEV_SIZE] [SEED]
"""
import csv, glob, json, os, random, sys

out = sys.argv[1]
dev_size = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 15
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.path.join(root, '..', 'shared', 'data')
rnd = random.Random(seed)

def read(path):
    with open(path, newline='', encoding='utf-8') as f:
        return [(r['text'], r['category']) for r in csv.DictReader(f)]

train = read(os.path.join(shared, 'banking77', 'train.csv'))
test = read(os.path.join(shared, 'banking77', 'test.csv'))
hotels = []
for f in sorted(glob.glob(os.path.join(shared, 'nlupp', 'hotels', 'fold*.json'))):
    hotels += [e['text'].strip() for e in json.load(open(f, encoding='utf-8'))]
hotels = sorted(set(h for h in hotels if h))
rnd.shuffle(hotels)
rnd.shuffle(train)
dev_in, train = train[:dev_size], train[dev_size:]
n_dev_oos = round(dev_size * 0.03 / 0.97)
n_test_oos = round(len(test) * 0.18 / 0.82)
assert n_dev_oos + n_test_oos <= len(hotels), (n_dev_oos, n_test_oos, len(hotels))
dev = dev_in + [(h, 'oos') for h in hotels[:n_dev_oos]]
tst = test + [(h, 'oos') for h in hotels[n_dev_oos:n_dev_oos + n_test_oos]]
rnd.shuffle(dev)
rnd.shuffle(tst)
os.makedirs(out, exist_ok=True)

def write(name, rows):
    with open(os.path.join(out, name), 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(['text', 'category'])
        w.writerows(rows)

write('train.csv', train)
write('dev.csv', dev)
write('test.csv', tst)
write('teacher.csv', dev + tst)
task = open(os.path.join(root, 'examples', 'banking77', 'task.yaml'), encoding='utf-8').read().rstrip('\n')
open(os.path.join(out, 'task.yaml'), 'w', encoding='utf-8').write(task + '\n  - oos\n')
print(json.dumps({'train': len(train), 'dev': len(dev), 'dev_oos': n_dev_oos, 'test': len(tst), 'test_oos': n_test_oos}))
