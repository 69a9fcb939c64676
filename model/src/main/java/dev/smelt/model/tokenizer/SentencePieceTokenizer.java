package dev.smelt.model.tokenizer;

import dev.smelt.model.gguf.GgufFile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece (BPE-by-score with byte fallback) as llama.cpp's {@code llm_tokenizer_spm}: spaces
 * become U+2581, a space is prefixed to text that starts the input or follows a special token (when
 * {@code add_space_prefix}), UTF-8 characters are merged pairwise by the highest piece score (ties:
 * leftmost), and pieces missing from the vocabulary fall back to {@code <0xXX>} byte tokens.
 * Immutable, thread-safe.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private static final String SPACE = "\u2581";
    private final Vocabulary v;
    private final byte[][] bytes; // [vocab] decoded bytes of each token
    private final int[] byteTokens = new int[256];

    public SentencePieceTokenizer(GgufFile f) {
        this.v = new Vocabulary(f);
        this.bytes = new byte[v.size()][];
        for (int i = 0; i < v.size(); i++) {
            bytes[i] = decodePiece(i);
        }
        for (int b = 0; b < 256; b++) {
            Integer id = v.ids.get(String.format("<0x%02X>", b));
            byteTokens[b] = id != null ? id : v.unk;
        }
    }

    private byte[] decodePiece(int id) {
        String p = v.pieces[id];
        return switch (v.types[id]) {
            case Vocabulary.CONTROL -> new byte[0];
            case Vocabulary.BYTE -> new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
            case Vocabulary.UNKNOWN -> "\u2585".getBytes(StandardCharsets.UTF_8);
            default -> p.replace(SPACE, " ").getBytes(StandardCharsets.UTF_8);
        };
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        boolean prevSpecial = true;
        if (addSpecial && v.addBos && v.bos >= 0) {
            out.add(v.bos);
        }
        for (Object frag : SpecialSplitter.split(text, v, parseSpecial)) {
            if (frag instanceof Integer id) {
                out.add(id);
                prevSpecial = true;
            } else {
                String t = (String) frag;
                String s = (v.addSpacePrefix && prevSpecial ? " " : "") + t;
                tokenize(s.replace(" ", SPACE), out);
                prevSpecial = false;
            }
        }
        if (addSpecial && v.addEos && v.eos >= 0) {
            out.add(v.eos);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** One symbol of the merge list: a substring [start, start + len) of the text, doubly linked. */
    private static final class Sym {
        int start;
        int len;
        int prev;
        int next;
    }

    private record Bigram(int left, int right, float score, int size) {
    }

    private void tokenize(String text, List<Integer> out) {
        if (text.isEmpty()) {
            return;
        }
        List<Sym> syms = new ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            Sym s = new Sym();
            s.start = i;
            s.len = Character.charCount(cp);
            s.prev = syms.size() - 1;
            s.next = i + s.len < text.length() ? syms.size() + 1 : -1;
            syms.add(s);
            i += s.len;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score)
                : Integer.compare(a.left, b.left));
        Map<String, int[]> revMerge = new HashMap<>();
        for (int i = 1; i < syms.size(); i++) {
            addBigram(text, syms, i - 1, i, queue, revMerge);
        }
        while (!queue.isEmpty()) {
            Bigram bg = queue.poll();
            Sym left = syms.get(bg.left);
            Sym right = syms.get(bg.right);
            if (left.len == 0 || right.len == 0 || left.len + right.len != bg.size) {
                continue;
            }
            left.len += right.len;
            right.len = 0;
            left.next = right.next;
            if (right.next >= 0) {
                syms.get(right.next).prev = bg.left;
            }
            addBigram(text, syms, left.prev, bg.left, queue, revMerge);
            addBigram(text, syms, bg.left, left.next, queue, revMerge);
        }
        for (int i = 0; i != -1; i = syms.get(i).next) {
            Sym s = syms.get(i);
            if (s.len > 0) {
                resegment(text, syms, s, revMerge, out);
            }
        }
    }

    private void addBigram(String text, List<Sym> syms, int left, int right, PriorityQueue<Bigram> q, Map<String, int[]> rev) {
        if (left < 0 || right < 0) {
            return;
        }
        Sym l = syms.get(left);
        Sym r = syms.get(right);
        String piece = text.substring(l.start, l.start + l.len + r.len);
        Integer id = v.ids.get(piece);
        if (id == null) {
            return;
        }
        q.add(new Bigram(left, right, v.scores[id], piece.length()));
        rev.put(piece, new int[] {left, right});
    }

    private void resegment(String text, List<Sym> syms, Sym s, Map<String, int[]> rev, List<Integer> out) {
        String piece = text.substring(s.start, s.start + s.len);
        Integer id = v.ids.get(piece);
        if (id != null) {
            out.add(id);
            return;
        }
        int[] p = rev.get(piece);
        if (p == null) {
            for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                out.add(byteTokens[b & 0xFF]);
            }
            return;
        }
        resegment(text, syms, syms.get(p[0]), rev, out);
        resegment(text, syms, syms.get(p[1]), rev, out);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return id >= 0 && id < bytes.length ? bytes[id] : new byte[0];
    }

    @Override
    public String decode(int[] ids) {
        String s = Tokenizer.super.decode(ids);
        // the space prefix added when encoding is not part of the text (llama.cpp's remove-space-prefix)
        return v.addSpacePrefix && s.startsWith(" ") ? s.substring(1) : s;
    }

    @Override
    public int vocabSize() {
        return v.size();
    }

    @Override
    public int bos() {
        return v.bos;
    }

    @Override
    public int eos() {
        return v.eos;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return v.endOfGeneration.contains(id);
    }

    @Override
    public String piece(int id) {
        return v.pieces[id];
    }

    @Override
    public int tokenId(String piece) {
        Integer id = v.ids.get(piece);
        return id == null ? -1 : id;
    }
}
