package dev.smelt.runtime.constrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class JsonMatcherTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final String PERSON = """
            {"type":"object","properties":{
               "name":{"type":"string"},
               "age":{"type":"integer"},
               "tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2},
               "ok":{"type":["boolean","null"]}},
             "required":["name","age"]}""";

    private static JsonMatcher feed(String schema, String text) throws Exception {
        Node n = schema == null ? SchemaCompiler.anyObject() : SchemaCompiler.compile(M.readTree(schema));
        return JsonMatcher.start(n).feed(text.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"name\":\"Al\",\"age\":3}",
        "{ \"name\" : \"A\\\"l\\u00e9\", \"age\": -12, \"tags\": [\"a\", \"b\"], \"ok\": null }",
        "{\"name\":\"é😀\",\"age\":0,\"ok\":true}",
        "{\"name\":\"x\",\"age\":7,\"tags\":[]}"})
    void acceptsValidDocuments(String doc) throws Exception {
        JsonMatcher m = feed(PERSON, doc);
        assertThat(m.dead()).isFalse();
        assertThat(m.complete()).as(doc).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"age\":3",              // required 'name' must come first
        "{\"name\":\"A\",\"age\":3.5", // integer
        "{\"name\":\"A\"}",          // missing required age
        "{\"name\":\"A\",\"age\":01", // leading zero
        "{\"name\":\"A\",\"age\":1,\"tags\":[\"c\"", // enum
        "{\"name\":\"A\",\"age\":1,\"tags\":[\"a\",\"a\",\"a\"", // maxItems
        "{\"nam\":",                 // unknown key
        "{\"name\\n",               // escapes cannot smuggle a key
        "' {'",                        // no blanks before the document
        "{\"name\":\"A\",\"age\":1,\"extra\"" // no additional properties
    })
    void rejectsInvalidPrefixes(String doc) throws Exception {
        assertThat(feed(PERSON, doc).dead()).as(doc).isTrue();
    }

    @Test
    void prefixesAreLiveButIncomplete() throws Exception {
        JsonMatcher m = feed(PERSON, "{\"name\":\"Al\",\"ag");
        assertThat(m.dead()).isFalse();
        assertThat(m.complete()).isFalse();
    }

    @Test
    void whitespaceIsOneSpaceOrOneNewlineWithASmallIndentAsInLlamaCpp() throws Exception {
        assertThat(feed(null, "{ ").dead()).isFalse();
        assertThat(feed(null, "{  ").dead()).as("two spaces").isTrue();
        assertThat(feed(null, "{\n" + " ".repeat(JsonMatcher.MAX_WS - 1)).dead()).isFalse();
        assertThat(feed(null, "{\n" + " ".repeat(JsonMatcher.MAX_WS)).dead()).as("indent over the limit").isTrue();
        assertThat(feed(null, "{\n\t\t").dead()).isFalse();
        assertThat(feed(null, "{\n\n").dead()).as("runs of newlines").isTrue();
        assertThat(feed(null, "{\t").dead()).as("a gap starts with a space or a newline").isTrue();
        assertThat(feed(null, "{ \n").dead()).isTrue();
        assertThat(feed(PERSON, "{\n  \"name\": \"x\",\n  \"age\": 1\n}").complete()).as("pretty-printed").isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"const\":\"中\"}|\"中\"",
        "{\"enum\":[\"é\",\"😀\",\"日本語\",\"naïve\"]}|\"😀\"",
        "{\"enum\":[\"é\",\"😀\",\"日本語\",\"naïve\"]}|\"naïve\"",
        "{\"enum\":[\"é\",\"😀\",\"日本語\",\"naïve\"]}|\"é\"",
        "{\"type\":\"object\",\"properties\":{\"名前\":{\"const\":\"ü\"}},\"required\":[\"名前\"]}|{\"名前\":\"ü\"}"})
    void literalsAndKeysMatchAsUtf8Bytes(String schema, String doc) throws Exception {
        assertThat(feed(schema, doc).complete()).as(doc).isTrue();
    }

    @Test
    void aLatin1ByteNoLongerPassesForAnAccentedLiteral() throws Exception {
        // before: é (U+00E9) compared as a char matched the lone byte 0xE9, so "\xE9" (invalid UTF-8) was a complete value
        JsonMatcher m = JsonMatcher.start(SchemaCompiler.compile(M.readTree("{\"const\":\"é\"}"))).feed(new byte[] {'"', (byte) 0xE9});
        assertThat(m.dead()).isTrue();
        JsonMatcher cjk = JsonMatcher.start(SchemaCompiler.compile(M.readTree("{\"const\":\"中\"}")));
        assertThat(cjk.feed("\"".getBytes(StandardCharsets.UTF_8)).dead()).isFalse();
        assertThat(cjk.feed(new byte[] {'"', (byte) 0xE4}).dead()).as("the first byte of 中").isFalse();
        assertThat(cjk.feed(new byte[] {'"', '"'}).dead()).as("the empty string is not 中").isTrue();
    }

    @ParameterizedTest
    @CsvSource({
        "C0 80, overlong NUL",
        "E0 80, overlong three-byte form",
        "ED A0, UTF-16 surrogate",
        "F4 90, past U+10FFFF",
        "F8, no five-byte forms",
        "80, a continuation byte first",
        "C3 41, a lead byte without its continuation"})
    void stringsStayValidUtf8(String hex, String why) throws Exception {
        String[] parts = hex.split(" ");
        byte[] b = new byte[parts.length + 1];
        b[0] = '"';
        for (int i = 0; i < parts.length; i++) {
            b[i + 1] = (byte) Integer.parseInt(parts[i], 16);
        }
        assertThat(JsonMatcher.start(Node.of(Node.Kind.STRING)).feed(b).dead()).as(why).isTrue();
    }

    @Test
    void fourByteCharactersAreAcceptedInFreeStrings() {
        assertThat(JsonMatcher.start(Node.of(Node.Kind.STRING)).feed("\"😀𝄞\"".getBytes(StandardCharsets.UTF_8)).complete()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"type\":\"string\",\"maxLength\":-5}|/maxLength|-5",
        "{\"type\":\"string\",\"maxLength\":\"3\"}|/maxLength|\"3\"",
        "{\"type\":\"array\",\"minItems\":1.5}|/minItems|1.5",
        "{\"type\":\"array\",\"maxItems\":-1}|/maxItems|-1",
        "{\"type\":\"array\",\"minItems\":3,\"maxItems\":2}|inconsistent|3"})
    void countKeywordsMustBeNonNegativeIntegers(String schema, String where, String value) {
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree(schema))).isInstanceOf(SchemaException.class)
                .hasMessageContaining(where).hasMessageContaining(value);
    }

    @Test
    void countKeywordsAreEnforced() throws Exception {
        assertThat(feed("{\"type\":\"string\",\"maxLength\":3.0}", "\"abc\"").complete()).isTrue();
        assertThat(feed("{\"type\":\"string\",\"maxLength\":3}", "\"中中中中").dead()).as("characters, not bytes, count").isTrue();
        assertThat(feed("{\"type\":\"string\",\"maxLength\":1e20}", "\"" + "a".repeat(100) + "\"").complete()).isTrue();
    }

    @Test
    void jsonObjectModeAcceptsAnyObject() throws Exception {
        assertThat(feed(null, "{\"a\":[1,{\"b\":null},\"x\",-2.5e3],\"c\":{}}").complete()).isTrue();
        assertThat(feed(null, "[1]").dead()).isTrue();
        assertThat(feed(null, "{\"a\":tru ").dead()).isTrue();
    }

    @Test
    void unionsAndRefs() throws Exception {
        String s = """
                {"$defs":{"pt":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}},
                 "anyOf":[{"$ref":"#/$defs/pt"},{"type":"array","items":{"$ref":"#/$defs/pt"}}]}""";
        assertThat(feed(s, "{\"x\":1}").complete()).isTrue();
        assertThat(feed(s, "[{\"x\":1},{\"x\":2e-1}]").complete()).isTrue();
        assertThat(feed(s, "\"x\"").dead()).isTrue();
    }

    @Test
    void unsupportedOrBrokenSchemasAreRejectedWithThePointer() {
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"x\"}}}")))
                .isInstanceOf(SchemaException.class).hasMessageContaining("/properties/a").hasMessageContaining("pattern");
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree("{\"type\":\"strnig\"}"))).hasMessageContaining("unknown type 'strnig'");
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree("{\"type\":\"object\",\"properties\":{},\"required\":[\"q\"]}")))
                .isInstanceOf(SchemaException.class);
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree("{\"$ref\":\"#/$defs/a\",\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}}}")))
                .hasMessageContaining("recursive");
    }

    @Test
    void whitespaceLimitIsConfigurable() {
        Node root = SchemaCompiler.anyObject();
        byte[] compact = "{\"a\":[1,2]}".getBytes(StandardCharsets.UTF_8);
        byte[] spaced = "{\"a\": [1, 2]}".getBytes(StandardCharsets.UTF_8);
        byte[] blanks = "{\"a\":\n    1}".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonMatcher.start(root, 0).feed(compact).complete()).isTrue();
        assertThat(JsonMatcher.start(root, 0).feed(spaced).dead()).isTrue();
        assertThat(JsonMatcher.start(root, 1).feed(spaced).complete()).isTrue();
        assertThat(JsonMatcher.start(root, 1).feed(blanks).dead()).isTrue();
        assertThat(JsonMatcher.start(root).feed(blanks).complete()).isTrue();
        assertThatThrownBy(() -> JsonMatcher.start(root, -1)).hasMessageContaining("-1");
    }
}
