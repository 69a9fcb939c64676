package dev.smelt.runtime.constrain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JumpForwardTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LABELS = "{\"type\":\"object\",\"properties\":{\"label\":{\"enum\":[\"card_arrival\",\"card_linking\",\"cash_withdrawal\"]}},\"required\":[\"label\"]}";

    private static JsonMatcher after(String schema, String text) throws Exception {
        return JsonMatcher.start(SchemaCompiler.compile(JSON.readTree(schema))).feed(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String forced(JsonMatcher m) {
        return new String(m.forcedBytes(256), StandardCharsets.UTF_8);
    }

    @Test
    void forcesTheOnlyKeyTheRestOfAUniqueEnumValueAndStopsAtBlanks() throws Exception {
        assertThat(forced(after(LABELS, ""))).as("no blank before a document").isEqualTo("{");
        assertThat(forced(after(LABELS, "{"))).as("a blank or the quote: a choice").isEmpty();
        assertThat(forced(after(LABELS, "{\""))).isEqualTo("label\"");
        assertThat(forced(after(LABELS, "{\"label\": \"ca"))).as("card_ or cash_: a choice").isEmpty();
        assertThat(forced(after(LABELS, "{\"label\": \"card_"))).isEmpty();
        assertThat(forced(after(LABELS, "{\"label\": \"cas"))).isEqualTo("h_withdrawal\"");
        assertThat(forced(after(LABELS, "{\"label\":\"card_l"))).isEqualTo("inking\"");
        assertThat(forced(after(LABELS, "{\"label\":\"cash_withdrawal\"}"))).as("complete").isEmpty();
    }

    @Test
    void compactJsonForcesPunctuationToo() throws Exception {
        JsonMatcher m = JsonMatcher.start(SchemaCompiler.compile(JSON.readTree(LABELS)), 0).feed("{\"label\":\"cash".getBytes(StandardCharsets.UTF_8));
        assertThat(forced(m)).isEqualTo("_withdrawal\"}");
        JsonMatcher k = JsonMatcher.start(SchemaCompiler.compile(JSON.readTree(LABELS)), 0);
        assertThat(forced(k)).isEqualTo("{\"label\":\"ca");
    }

    @Test
    void forcedTextIsCutToWholeUtf8Characters() {
        byte[] e = "aé".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonMatcher.utf8Whole(e)).isEqualTo(e);
        assertThat(JsonMatcher.utf8Whole(java.util.Arrays.copyOf(e, 2))).isEqualTo(new byte[] {'a'});
        byte[] smile = "😀".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonMatcher.utf8Whole(java.util.Arrays.copyOf(smile, 3))).isEmpty();
        assertThat(JsonMatcher.utf8Whole(smile)).isEqualTo(smile);
    }

    /** A vocabulary of whole pieces; the encoder is its greedy longest match (a stand-in for the model's tokenizer). */
    private static final String[] PIECES = {"", "{", "\"", "label", "\":", " ", "}", "card", "_arrival", "_linking", "cash", "_withdrawal", "\"}", "l", "a"};

    private static byte[][] vocab() {
        byte[][] v = new byte[PIECES.length][];
        for (int i = 0; i < PIECES.length; i++) {
            v[i] = PIECES[i].getBytes(StandardCharsets.UTF_8);
        }
        return v;
    }

    static int[] greedyEncode(String[] pieces, String text) {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int best = -1;
            for (int t = 0; t < pieces.length; t++) {
                if (!pieces[t].isEmpty() && text.startsWith(pieces[t], i) && (best < 0 || pieces[t].length() > pieces[best].length())) {
                    best = t;
                }
            }
            if (best < 0) {
                throw new IllegalArgumentException("cannot tokenize " + text.substring(i));
            }
            ids.add(best);
            i += pieces[best].length();
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void forcedTokensLeaveTheLastTokenToTheModelUnlessTheDocumentEndsWithIt() throws Exception {
        Node root = SchemaCompiler.compile(JSON.readTree(LABELS));
        JsonConstraint c = new JsonConstraint(root, vocab(), t -> t == 0, JsonConstraint.DEFAULT_WHITESPACE, s -> greedyEncode(PIECES, s));
        assertThat(c.forcedTokens()).as("'{' alone: its only token is the last one").isEmpty();
        c.accept(1);
        c.accept(2);
        // forced 'label"' = [label, "]: the quote may merge with what follows ('":'), so only 'label' is forced
        assertThat(c.forcedTokens()).containsExactly(3);
        c.accept(3);
        c.accept(4);
        c.accept(5);
        c.accept(2);
        c.accept(10);
        assertThat(c.forcedTokens()).as("'_withdrawal\"' = [_withdrawal, \"]").containsExactly(11);

        JsonConstraint compact = new JsonConstraint(root, vocab(), t -> t == 0, 0, s -> greedyEncode(PIECES, s));
        for (int t : greedyEncode(PIECES, "{\"label\":\"cash")) {
            compact.accept(t);
        }
        assertThat(compact.forcedTokens()).as("the document ends with the forced text: all of it").containsExactly(11, 12);
        assertThat(new JsonConstraint(root, vocab(), t -> t == 0).forcedTokens()).as("no encoder: no jump-forward").isEmpty();
    }

    @Test
    void tokensThatDoNotSpellTheForcedTextAreNotForced() throws Exception {
        Node root = SchemaCompiler.compile(JSON.readTree(LABELS));
        // an encoder that tokenizes 'label"' wrongly (as 'l', 'a', 'card', '"')
        JsonConstraint c = new JsonConstraint(root, vocab(), t -> t == 0, JsonConstraint.DEFAULT_WHITESPACE, s -> new int[] {13, 14, 7, 2});
        c.accept(1);
        c.accept(2);
        assertThat(c.forcedTokens()).isEmpty();
    }

    @Test
    void aDummyLeadingSpaceIsDroppedThroughAnAnchor() throws Exception {
        // a SentencePiece-style encoder: text at the start of its input gets a leading space ("▁label")
        String[] pieces = {"", "{", "\"", " label", "label", "\n", "\":", " ", "}", "cash", "_withdrawal", "\"}"};
        byte[][] v = new byte[pieces.length][];
        for (int i = 0; i < pieces.length; i++) {
            v[i] = pieces[i].getBytes(StandardCharsets.UTF_8);
        }
        Node root = SchemaCompiler.compile(JSON.readTree(LABELS));
        JsonConstraint c = new JsonConstraint(root, v, t -> t == 0, JsonConstraint.DEFAULT_WHITESPACE, s -> greedyEncode(pieces, " " + s));
        c.accept(1);
        c.accept(2);
        assertThat(c.forcedTokens()).as("' label' refused; '\\n' + 'label\"' gives [\\n, label, \"]").containsExactly(4);
    }
}
