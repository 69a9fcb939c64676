package dev.smelt.server;

import dev.smelt.model.tokenizer.Tokenizer;

/** {@link TextCodec} over a model {@link Tokenizer}. Thread-safe. */
public record TokenizerCodec(Tokenizer tokenizer) implements TextCodec {
    @Override
    public int[] encode(String text, boolean addSpecial) {
        return tokenizer.encode(text, addSpecial, true);
    }

    @Override
    public byte[] tokenBytes(int id) {
        // control tokens (EOS, chat markers) are not part of the generated text
        return tokenizer.isSpecial(id) ? new byte[0] : tokenizer.tokenBytes(id);
    }

    @Override
    public byte[] rawTokenBytes(int id) {
        return tokenizer.tokenBytes(id);
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return tokenizer.isEndOfGeneration(id);
    }

    @Override
    public int eos() {
        return tokenizer.eos();
    }

    @Override
    public int vocabSize() {
        return tokenizer.vocabSize();
    }
}
