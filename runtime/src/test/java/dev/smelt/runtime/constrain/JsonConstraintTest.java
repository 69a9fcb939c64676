package dev.smelt.runtime.constrain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonConstraintTest {
    private static final int END = 0;

    @Test
    void aLiteralTheVocabularyCannotFinishIsNeverStarted() throws Exception {
        // every printable ASCII byte, é as one token, and a trap: the lead byte of 😀 with no token for the rest
        List<byte[]> v = new ArrayList<>();
        v.add(new byte[0]); // END
        for (int c = 0x20; c < 0x7F; c++) {
            v.add(new byte[] {(byte) c});
        }
        int e = v.size();
        v.add(new byte[] {(byte) 0xC3, (byte) 0xA9});
        int trap = v.size();
        v.add(new byte[] {(byte) 0xF0});
        byte[][] vocab = v.toArray(byte[][]::new);
        Node root = SchemaCompiler.compile(new ObjectMapper().readTree("{\"enum\":[\"😀\",\"é\"]}"));
        JsonConstraint c = new JsonConstraint(root, vocab, t -> t == END);
        int quote = 1 + '"' - 0x20;
        assertThat(c.allows(quote)).isTrue();
        c.accept(quote);
        assertThat(c.allows(trap)).as("F0 starts 😀, which no token sequence can finish here").isFalse();
        assertThat(c.allows(e)).isTrue();

        Node only = SchemaCompiler.compile(new ObjectMapper().readTree("{\"enum\":[\"😀\"]}"));
        assertThat(new JsonConstraint(only, vocab, t -> t == END).allows(quote)).as("no value can be spelled: not even its quote").isFalse();
    }
}
