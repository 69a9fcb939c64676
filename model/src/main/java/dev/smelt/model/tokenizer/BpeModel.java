package dev.smelt.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * Byte-pair-encoding merge engine shared by llama.cpp's BPE vocabularies and Hugging Face's {@code BPE} model:
 * a word starts as one symbol per character, then the adjacent pair with the lowest merge rank is merged
 * (leftmost on ties) until no listed pair remains. Merges are stored as (left id, right id) → (rank, merged id)
 * in an open-addressing table so that loading half a million merges takes milliseconds. Immutable, thread-safe.
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

    BpeModel(Vocabulary vocab, boolean ignoreMerges, boolean byteFallback, int unk, boolean fuseUnk, int expectedMerges) {
        this.vocab = vocab;
        this.ignoreMerges = ignoreMerges;
        this.byteFallback = byteFallback;
        this.unk = unk;
        this.fuseUnk = fuseUnk;
        int cap = Integer.highestOneBit(Math.max(16, expectedMerges * 2)) * 2;
        keys = new long[cap];
        values = new long[cap];
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
        int[] ids = new int[word.length() * 4]; // [n_symbols] worst case: every char a 4-byte fallback
        int n = 0;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int len = Character.charCount(cp);
            String ch = word.substring(i, i + len);
            int id = vocab.id(ch);
            if (id >= 0) {
                ids[n++] = id;
            } else if (byteFallback && allBytesKnown(ch)) {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
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
        merge(ids, out);
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
        // Queue entry: rank in the high 32 bits, left position in the low ones: lowest rank, then leftmost.
        PriorityQueue<long[]> queue = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0])
                : Long.compare(a[1], b[1]));
        for (int i = 0; i + 1 < n; i++) {
            push(queue, ids, i, i + 1);
        }
        while (!queue.isEmpty()) {
            long[] e = queue.poll();
            int l = (int) e[1];
            int r = (int) e[2];
            // Stale: either side already merged into something else.
            if (dead[l] || dead[r] || next[l] != r || ids[l] != (int) e[3] || ids[r] != (int) e[4]) {
                continue;
            }
            ids[l] = (int) e[5];
            dead[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            if (prev[l] >= 0) {
                push(queue, ids, prev[l], l);
            }
            if (next[l] >= 0) {
                push(queue, ids, l, next[l]);
            }
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            out.add(ids[i]);
        }
    }

    private void push(PriorityQueue<long[]> queue, int[] ids, int l, int r) {
        long v = lookup(ids[l], ids[r]);
        if (v >= 0) {
            queue.add(new long[] {v >>> 32, l, r, ids[l], ids[r], (int) v});
        }
    }
}
