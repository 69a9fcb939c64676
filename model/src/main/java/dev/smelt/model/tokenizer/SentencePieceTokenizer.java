package dev.smelt.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.PriorityQueue;

/**
 * llama.cpp's SentencePiece (SPM, {@code tokenizer.ggml.model = llama}) tokenizer: spaces become '▁', a dummy
 * '▁' prefix is added to the first fragment (and each fragment after a special token) when
 * {@code add_space_prefix}, then adjacent symbols are merged greedily by the score of the merged piece (highest
 * first, leftmost on ties); characters with no piece fall back to {@code <0xNN>} byte tokens. Thread-safe.
 */
final class SentencePieceTokenizer extends AbstractTokenizer {
    static final char SPACE = '\u2581'; // '▁'
    private final boolean addSpacePrefix;
    private final int[] byteTokens = new int[256]; // [256] id of <0xNN>, or -1

    SentencePieceTokenizer(Vocabulary vocab, List<SpecialTokenSplitter.Special> specials, boolean addSpacePrefix) {
        super(vocab, specials);
        this.addSpacePrefix = addSpacePrefix;
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0) {
                id = vocab.id(String.valueOf((char) b));
            }
            byteTokens[b] = id >= 0 ? id : vocab.unk;
        }
        precomputeBytes();
    }

    @Override
    protected byte[] computeBytes(int id) {
        return switch (vocab.type(id)) {
            case BYTE -> new byte[] {(byte) Integer.parseInt(vocab.piece(id).substring(3, 5), 16)};
            // llama.cpp renders the unknown token as U+2585 '▅'.
            case UNKNOWN -> "\u2585".getBytes(StandardCharsets.UTF_8);
            case UNUSED -> new byte[0];
            default -> vocab.piece(id).replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
        };
    }

    @Override
    protected boolean decodesUnknown() {
        return true;
    }

    @Override
    protected boolean stripsFirstSpace() {
        return addSpacePrefix;
    }

    private static final class Symbol {
        int start, end; // [start, end) chars in the escaped text
        int prev, next;
    }

    private record Bigram(int left, int right, float score, int size) {
    }

    @Override
    protected void encodeText(String fragment, boolean afterSpecial, IntList out) {
        String text = (addSpacePrefix && afterSpecial ? " " + fragment : fragment).replace(' ', SPACE);
        int nChars = text.codePointCount(0, text.length());
        Symbol[] sym = new Symbol[nChars];
        for (int i = 0, off = 0; off < text.length(); i++) {
            Symbol s = new Symbol();
            s.start = off;
            off += Character.charCount(text.codePointAt(off));
            s.end = off;
            s.prev = i - 1;
            s.next = off < text.length() ? i + 1 : -1;
            sym[i] = s;
        }
        // Highest score first, then leftmost.
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 1; i < nChars; i++) {
            tryAdd(text, sym, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bg = queue.poll();
            Symbol l = sym[bg.left], r = sym[bg.right];
            // Skip stale entries: a side was merged away or changed size since the bigram was queued.
            if (l.end == l.start || r.end == r.start || (l.end - l.start) + (r.end - r.start) != bg.size) {
                continue;
            }
            l.end = r.end;
            r.end = r.start; // mark merged
            l.next = r.next;
            if (r.next >= 0) {
                sym[r.next].prev = bg.left;
            }
            tryAdd(text, sym, l.prev, bg.left, queue);
            tryAdd(text, sym, bg.left, l.next, queue);
        }
        for (int i = 0; i >= 0 && nChars > 0; i = sym[i].next) {
            Symbol s = sym[i];
            int id = vocab.id(text.substring(s.start, s.end));
            if (id >= 0) {
                out.add(id);
            } else {
                // Only unmerged single characters can miss; emit their UTF-8 bytes as byte tokens.
                for (byte b : text.substring(s.start, s.end).getBytes(StandardCharsets.UTF_8)) {
                    out.add(byteTokens[b & 0xFF]);
                }
            }
        }
    }

    private void tryAdd(String text, Symbol[] sym, int left, int right, PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) {
            return;
        }
        int id = vocab.id(text.substring(sym[left].start, sym[right].end));
        if (id < 0) {
            return;
        }
        queue.add(new Bigram(left, right, vocab.score(id), sym[right].end - sym[left].start));
    }
}
