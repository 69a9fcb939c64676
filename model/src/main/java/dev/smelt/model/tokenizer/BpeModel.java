package dev.smelt.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair-encoding merge engine shared by llama.cpp's BPE vocabularies and Hugging Face's {@code BPE} model:
 * a word starts as one symbol per character, then the adjacent pair with the lowest merge rank is merged
 * (leftmost on ties) until no listed pair remains. Merges are stored as (left id, right id) → (rank, merged id)
 * in an open-addressing table so that loading half a million merges takes milliseconds. Thread-safe: the tables are immutable and the word cache is concurrent.
 */
final class BpeModel {
    private final Vocabulary vocab;
    private final boolean ignoreMerges;  // a word that is itself a piece is emitted whole (llama3)
    private final boolean byteFallback;  // characters without a piece become <0xNN> tokens (gemma)
    private final int unk;
    private final boolean fuseUnk;
    private long[] keys;   // [capacity] (left << 32 | right) + 1, 0 = empty
    private long[] values; // [capacity] (rank << 32 | merged id)
    private int count;
    private final int[] bmpIds;  // [65536] id of each single-char piece, -1 when none
    // Words repeat constantly in natural text; caching their ids (as Hugging Face does) skips the merge loop.
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();
    private static final int CACHE_MAX_ENTRIES = 200_000;
    private static final int CACHE_MAX_WORD_CHARS = 64;

    BpeModel(Vocabulary vocab, boolean ignoreMerges, boolean byteFallback, int unk, boolean fuseUnk, int expectedMerges) {
        this.vocab = vocab;
        this.ignoreMerges = ignoreMerges;
        this.byteFallback = byteFallback;
        this.unk = unk;
        this.fuseUnk = fuseUnk;
        int cap = Integer.highestOneBit(Math.max(16, expectedMerges * 2)) * 2;
        keys = new long[cap];
        values = new long[cap];
        bmpIds = new int[65536];
        for (int c = 0; c < bmpIds.length; c++) {
            bmpIds[c] = Character.isSurrogate((char) c) ? -1 : vocab.id(String.valueOf((char) c));
        }
    }

    /**
     * Adds merge number {@code rank} of {@code left}+{@code right}. Returns false (and ignores it) when a part or
     * the result is not in the vocabulary, which happens in some published files and never fires in llama.cpp.
     */
    boolean addMerge(String left, String right, int rank) {
        int l = vocab.id(left), r = vocab.id(right), m = vocab.id(left + right);
        if (l < 0 || r < 0 || m < 0) {
            return false;
        }
        long key = ((long) l << 32 | (r & 0xFFFFFFFFL)) + 1;
        int slot = slot(key);
        if (keys[slot] == 0) {
            // Keep the first (lowest) rank when a file lists the same pair twice.
            keys[slot] = key;
            values[slot] = (long) rank << 32 | m;
            if (++count * 2 > keys.length) {
                grow();
            }
        }
        return true;
    }

    private int slot(long key) {
        int mask = keys.length - 1;
        int h = (int) (key * 0x9E3779B97F4A7C15L >>> 33) & mask;
        while (keys[h] != 0 && keys[h] != key) {
            h = (h + 1) & mask;
        }
        return h;
    }

    private void grow() {
        long[] ok = keys, ov = values;
        keys = new long[ok.length * 2];
        values = new long[ok.length * 2];
        for (int i = 0; i < ok.length; i++) {
            if (ok[i] != 0) {
                int s = slot(ok[i]);
                keys[s] = ok[i];
                values[s] = ov[i];
            }
        }
    }

    /** (rank << 32 | merged id) of the pair, or -1. */
    private long lookup(int l, int r) {
        long key = ((long) l << 32 | (r & 0xFFFFFFFFL)) + 1;
        int s = slot(key);
        return keys[s] == 0 ? -1 : values[s];
    }

    /** Encodes one pre-tokenized word (already byte-level mapped where applicable). */
    void encodeWord(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges) {
            int whole = vocab.id(word);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        boolean cacheable = word.length() <= CACHE_MAX_WORD_CHARS;
        if (cacheable) {
            int[] hit = cache.get(word);
            if (hit != null) {
                for (int id : hit) {
                    out.add(id);
                }
                return;
            }
        }
        int[] ids = new int[word.length() * 4]; // [n_symbols] worst case: every char a 4-byte fallback
        int n = 0;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int len = Character.charCount(cp);
            int id = len == 1 ? bmpIds[cp] : vocab.id(word.substring(i, i + len));
            if (id >= 0) {
                ids[n++] = id;
            } else if (byteFallback && allBytesKnown(word.substring(i, i + len))) {
                for (byte b : word.substring(i, i + len).getBytes(StandardCharsets.UTF_8)) {
                    ids[n++] = vocab.id(String.format("<0x%02X>", b & 0xFF));
                }
            } else if (unk >= 0) {
                if (!(fuseUnk && n > 0 && ids[n - 1] == unk)) {
                    ids[n++] = unk;
                }
            }
            // else: no piece, no fallback, no unk: the character is dropped (llama.cpp does the same)
            i += len;
        }
        ids = Arrays.copyOf(ids, n);
        int before = out.size();
        merge(ids, out);
        if (cacheable && cache.size() < CACHE_MAX_ENTRIES) {
            int[] result = new int[out.size() - before];
            for (int k = 0; k < result.length; k++) {
                result[k] = out.get(before + k);
            }
            cache.put(word, result);
        }
    }

    private boolean allBytesKnown(String ch) {
        for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
            if (vocab.id(String.format("<0x%02X>", b & 0xFF)) < 0) {
                return false;
            }
        }
        return true;
    }

    private void merge(int[] ids, IntList out) {
        int n = ids.length;
        int[] prev = new int[n], next = new int[n]; // [n] linked list over symbols; -1 = none
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Min-heap of (rank << 32 | left position): lowest rank first, then leftmost. An entry is stale when
        // the pair at that position no longer has that rank; it is then skipped.
        LongHeap heap = new LongHeap(Math.max(4, n));
        for (int i = 0; i + 1 < n; i++) {
            long v = lookup(ids[i], ids[i + 1]);
            if (v >= 0) {
                heap.push((v >>> 32) << 32 | i);
            }
        }
        while (!heap.isEmpty()) {
            long e = heap.pop();
            int l = (int) e;
            int rank = (int) (e >>> 32);
            if (dead[l] || next[l] < 0) {
                continue;
            }
            int r = next[l];
            long v = lookup(ids[l], ids[r]);
            if (v < 0 || (int) (v >>> 32) != rank) {
                continue;
            }
            ids[l] = (int) v;
            dead[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            if (prev[l] >= 0) {
                long pv = lookup(ids[prev[l]], ids[l]);
                if (pv >= 0) {
                    heap.push((pv >>> 32) << 32 | prev[l]);
                }
            }
            if (next[l] >= 0) {
                long nv = lookup(ids[l], ids[next[l]]);
                if (nv >= 0) {
                    heap.push((nv >>> 32) << 32 | l);
                }
            }
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            out.add(ids[i]);
        }
    }

    /** Binary min-heap of longs (not thread-safe; one per merge call). */
    private static final class LongHeap {
        private long[] a;
        private int n;

        LongHeap(int cap) {
            a = new long[cap];
        }

        boolean isEmpty() {
            return n == 0;
        }

        void push(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            int i = n++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) {
                    break;
                }
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) {
                    break;
                }
                if (c + 1 < n && a[c + 1] < a[c]) {
                    c++;
                }
                if (a[c] >= last) {
                    break;
                }
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }
}
