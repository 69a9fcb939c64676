package dev.smelt.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * BPE tokenizer: optional normalizer → regex pre-tokenizer → optional GPT-2 byte-level mapping → {@link BpeModel}
 * per word. Covers llama.cpp's {@code gpt2} vocabularies and Hugging Face's byte-level BPE (Llama 3, Qwen) and
 * SentencePiece-style BPE with byte fallback (Gemma). Immutable and thread-safe.
 */
final class BpeTokenizer extends AbstractTokenizer {
    /** How pieces turn back into bytes. */
    enum Decoding {
        /** GPT-2 byte-level characters → bytes. */
        BYTE_LEVEL,
        /** '▁' → ' ', {@code <0xNN>} → byte (SentencePiece-style BPE). */
        METASPACE
    }

    private final UnaryOperator<String> normalizer; // identity when the model has none
    private final Function<String, List<String>> preTokenizer; // normalized text → words ready for the model
    private final BpeModel model;
    private final Decoding decoding;
    private final boolean stripFirstSpace;

    BpeTokenizer(Vocabulary vocab, List<SpecialTokenSplitter.Special> specials, UnaryOperator<String> normalizer,
            Function<String, List<String>> preTokenizer, BpeModel model, Decoding decoding, boolean stripFirstSpace) {
        super(vocab, specials);
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.decoding = decoding;
        this.stripFirstSpace = stripFirstSpace;
        precomputeBytes();
    }

    @Override
    protected void encodeText(String fragment, boolean afterSpecial, IntList out) {
        String text = normalizer.apply(fragment);
        for (String w : preTokenizer.apply(text)) {
            model.encodeWord(w, out);
        }
    }

    @Override
    protected byte[] computeBytes(int id) {
        String p = vocab.piece(id);
        if (vocab.type(id) == TokenType.UNUSED) {
            return new byte[0];
        }
        return switch (decoding) {
            case BYTE_LEVEL -> ByteLevel.decode(p);
            case METASPACE -> {
                if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
                    try {
                        yield new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
                    } catch (NumberFormatException e) {
                        // not a byte token after all; fall through to the text
                    }
                }
                yield p.replace(SentencePieceTokenizer.SPACE, ' ').getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    @Override
    protected boolean decodesUserDefined() {
        // Hugging Face runs its Replace('▁', ' ') decoder over added tokens too (Gemma's whitespace-run tokens).
        return decoding == Decoding.METASPACE;
    }

    @Override
    protected boolean stripsFirstSpace() {
        return stripFirstSpace;
    }
}
