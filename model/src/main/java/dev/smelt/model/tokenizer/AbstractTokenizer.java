package dev.smelt.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalInt;

/**
 * Shared skeleton: cut special tokens out of the text, let the subclass encode each plain fragment, add BOS/EOS,
 * and decode by concatenating per-token bytes (precomputed at construction). Immutable and thread-safe.
 */
abstract class AbstractTokenizer implements Tokenizer {
    protected final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;
    private byte[][] bytes; // [n_vocab][*] bytes each token contributes when decoded

    AbstractTokenizer(Vocabulary vocab, List<SpecialTokenSplitter.Special> specials) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(specials);
    }

    /** Must be called by the subclass constructor once its own state is ready. */
    protected final void precomputeBytes() {
        byte[][] b = new byte[vocab.size()][];
        for (int i = 0; i < b.length; i++) {
            TokenType t = vocab.type(i);
            b[i] = t == TokenType.CONTROL || t == TokenType.USER_DEFINED && !decodesUserDefined()
                    || t == TokenType.UNKNOWN && !decodesUnknown()
                    ? vocab.piece(i).getBytes(StandardCharsets.UTF_8)
                    : computeBytes(i);
        }
        this.bytes = b;
    }

    /** Bytes of a normal / byte / unknown token. */
    protected abstract byte[] computeBytes(int id);

    /** True when {@link #computeBytes} handles UNKNOWN tokens itself (llama.cpp SPM renders them as ▅). */
    protected boolean decodesUnknown() {
        return false;
    }

    /** True when user-defined (added, non-special) tokens go through the decoder too (Hugging Face Metaspace). */
    protected boolean decodesUserDefined() {
        return false;
    }

    /** Encodes one fragment of plain text (no special tokens). {@code afterSpecial}: first fragment or one after a token. */
    protected abstract void encodeText(String text, boolean afterSpecial, IntList out);

    /** True when decoding drops one leading space of the first piece (SPM dummy prefix, WordPiece word marks). */
    protected boolean stripsFirstSpace() {
        return false;
    }

    protected int prefixId() {
        return vocab.addBos ? vocab.bos : -1;
    }

    protected int suffixId() {
        return vocab.addEos ? vocab.eos : -1;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        IntList out = new IntList();
        if (addSpecial && prefixId() >= 0) {
            out.add(prefixId());
        }
        boolean afterSpecial = true;
        for (SpecialTokenSplitter.Fragment f : splitter.split(text, parseSpecial)) {
            if (f.isText()) {
                encodeText(f.text(), afterSpecial, out);
                afterSpecial = false;
            } else {
                out.add(f.id());
                afterSpecial = true;
            }
        }
        if (addSpecial && suffixId() >= 0) {
            out.add(suffixId());
        }
        return out.toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean first = true;
        for (int id : ids) {
            if (skipSpecial && isSpecial(id)) {
                continue;
            }
            byte[] b = tokenBytes(id);
            int from = first && stripsFirstSpace() && b.length > 0 && b[0] == ' ' ? 1 : 0;
            buf.write(b, from, b.length - from);
            first = false;
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        vocab.check(id);
        return bytes[id].clone();
    }

    /** Same as {@link #tokenBytes} without the defensive copy, for the streaming detokenizer. */
    byte[] tokenBytesShared(int id) {
        vocab.check(id);
        return bytes[id];
    }

    @Override
    public boolean isSpecial(int id) {
        TokenType t = vocab.type(id);
        return t == TokenType.CONTROL;
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bos() {
        return vocab.bos;
    }

    @Override
    public int eos() {
        return vocab.eos;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return vocab.isEndOfGeneration(id);
    }

    @Override
    public String piece(int id) {
        return vocab.piece(id);
    }

    @Override
    public OptionalInt tokenId(String piece) {
        return vocab.tokenId(piece);
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    boolean stripsFirstSpaceOnDecode() {
        return stripsFirstSpace();
    }
}
